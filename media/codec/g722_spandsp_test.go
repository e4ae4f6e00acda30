//go:build spandsp

package codec_test

// Cross-check of the pure-Go G.722 against libspandsp, bit for bit:
//   go test -tags spandsp -run SpanDSP ./media/codec

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
	"github.com/teaphone/teaphone/media/codec/internal/spandsp"
)

func TestG722MatchesSpanDSP(t *testing.T) {
	// Tones, a sweep of levels, and noise (exercises every quantiser step
	// and the saturation paths).
	var x []int16
	for _, f := range []float64{300, 1000, 3400, 5000, 7000} {
		for _, db := range []float64{-40, -20, -6, 0} {
			seg := make([]int16, 3200)
			audio.NewTone(16000, f, db).Read(seg)
			x = append(x, seg...)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 32000 {
		x = append(x, int16(rng.IntN(65536)-32768))
	}
	ref, err := spandsp.NewG722Encoder()
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	refDec, _ := spandsp.NewG722Decoder()
	defer refDec.Close()
	enc, dec := codec.NewG722Encoder(), codec.NewG722Decoder()
	clipped, matched := 0, 0
	defer func() {
		t.Logf("%d codes bit-exact; decoder differs only at %d overloaded samples (spandsp wraps, we saturate)", matched, clipped)
	}()
	for i := 0; i < len(x); i += 320 {
		frame := x[i:min(i+320, len(x))]
		want := ref.Encode(frame)
		got, _ := enc.Encode(nil, frame)
		if !slices.Equal(got, want) {
			t.Fatalf("frame %d: encoder output differs from spandsp", i/320)
		}
		matched += len(got)
		wantPCM := refDec.Decode(want)
		gotPCM, _ := dec.Decode(nil, want)
		for j := range gotPCM {
			// spandsp casts the QMF output to int16 and so wraps around on
			// overload; we saturate. Only differences at the rails are allowed.
			if gotPCM[j] != wantPCM[j] {
				if gotPCM[j] == 32767 || gotPCM[j] == -32768 {
					clipped++
					continue
				}
				t.Fatalf("frame %d sample %d: decoded %d, spandsp %d", i/320, j, gotPCM[j], wantPCM[j])
			}
		}
	}
}
