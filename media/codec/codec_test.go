package codec_test

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
)

func tone(t testing.TB, rate int, f, db float64, n int) []int16 {
	t.Helper()
	x := make([]int16, n)
	audio.NewTone(rate, f, db).Read(x)
	return x
}

// roundTrip encodes x in frames of ptime and decodes every payload.
func roundTrip(t *testing.T, c codec.Codec, x []int16, ptime time.Duration) []int16 {
	t.Helper()
	enc, err := c.NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	n := codec.FrameSamples(c, ptime)
	var out []int16
	var pkt []byte
	for i := 0; i+n <= len(x); i += n {
		pkt, err = enc.Encode(pkt[:0], x[i:i+n])
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		before := len(out)
		if out, err = dec.Decode(out, pkt); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if got := len(out) - before; got != n {
			t.Fatalf("decoded %d samples from a %v frame, want %d", got, ptime, n)
		}
	}
	return out
}

func TestToneRoundTrip(t *testing.T) {
	opus, err := codec.NewOpus(codec.DefaultOpusOptions())
	if err != nil && codec.OpusAvailable {
		t.Fatal(err)
	}
	tests := []struct {
		c      codec.Codec
		freqs  []float64
		minSNR float64
	}{
		{codec.PCMU(), []float64{440, 1000, 3000}, 35},
		{codec.PCMA(), []float64{440, 1000, 3000}, 35},
		{codec.G722(), []float64{440, 1000, 3000, 6000}, 20},
		{opus, []float64{440, 1000, 3000, 6000}, 15},
	}
	for _, tc := range tests {
		if tc.c == nil {
			continue
		}
		for _, f := range tc.freqs {
			t.Run(fmt.Sprintf("%s/%v", tc.c.Name(), f), func(t *testing.T) {
				rate := tc.c.SampleRate()
				y := roundTrip(t, tc.c, tone(t, rate, f, -10, rate), 20*time.Millisecond)
				y = y[rate/10:] // skip codec start-up and delay
				snr := audio.ToneSNR(y, rate, f)
				lvl := audio.ToneLevel(y, rate, f)
				t.Logf("SNR %.1f dB, level %.2f dBFS", snr, lvl)
				if snr < tc.minSNR {
					t.Errorf("SNR = %.1f dB, want ≥ %v", snr, tc.minSNR)
				}
				if math.Abs(lvl+10) > 1 {
					t.Errorf("level at %v Hz = %.2f dBFS, want -10 ±1", f, lvl)
				}
				if off := audio.ToneLevel(y, rate, f*1.37); off > lvl-30 {
					t.Errorf("energy at %.0f Hz = %.1f dBFS, want 30 dB below the tone", f*1.37, off)
				}
			})
		}
	}
}

func TestFrameSizes(t *testing.T) {
	for _, c := range codec.All() {
		for _, ms := range []int{10, 20, 30, 40, 60} {
			ptime := time.Duration(ms) * time.Millisecond
			t.Run(fmt.Sprintf("%s/%dms", c.Name(), ms), func(t *testing.T) {
				enc, _ := c.NewEncoder()
				dec, _ := c.NewDecoder()
				n := codec.FrameSamples(c, ptime)
				x := tone(t, c.SampleRate(), 800, -12, n)
				pkt, err := enc.Encode(nil, x)
				if c.Name() == "opus" && ms == 30 {
					if !errors.Is(err, codec.ErrFrame) {
						t.Fatalf("opus 30 ms: err = %v, want ErrFrame (not an Opus frame size)", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				switch c.Name() {
				case "PCMU", "PCMA":
					if len(pkt) != n {
						t.Errorf("payload %d bytes, want %d", len(pkt), n)
					}
				case "G722":
					if len(pkt) != n/2 || uint32(len(pkt)) != codec.TimestampStep(c, ptime) {
						t.Errorf("payload %d bytes, want %d (= RTP timestamp step)", len(pkt), n/2)
					}
				}
				y, err := dec.Decode(nil, pkt)
				if err != nil || len(y) != n {
					t.Fatalf("Decode = %d samples, %v; want %d", len(y), err, n)
				}
			})
		}
	}
}

func TestRegistry(t *testing.T) {
	tests := []struct {
		name     string
		clock    int
		channels int
		want     string
		pt       uint8
	}{
		{"PCMU", 8000, 1, "PCMU", 0},
		{"pcmu", 8000, 0, "PCMU", 0},
		{"PCMA", 8000, 1, "PCMA", 8},
		{"G722", 8000, 1, "G722", 9},
		{"opus", 48000, 2, "opus", 111},
		{"OPUS", 48000, 0, "opus", 111},
		{"PCMU", 16000, 1, "", 0},
		{"G722", 16000, 1, "", 0},
		{"PCMU", 8000, 2, "", 0},
		{"speex", 8000, 1, "", 0},
	}
	for _, tc := range tests {
		if tc.want == "opus" && !codec.OpusAvailable {
			continue
		}
		c, ok := codec.Lookup(tc.name, tc.clock, tc.channels)
		if tc.want == "" {
			if ok {
				t.Errorf("Lookup(%q, %d, %d) = %s, want none", tc.name, tc.clock, tc.channels, c.Name())
			}
			continue
		}
		if !ok || c.Name() != tc.want || c.PayloadType() != tc.pt {
			t.Errorf("Lookup(%q, %d, %d) = %v, %v; want %s pt %d", tc.name, tc.clock, tc.channels, c, ok, tc.want, tc.pt)
		}
	}
	var names []string
	for _, c := range codec.All() {
		names = append(names, c.Name())
	}
	want := "[G722 PCMU PCMA]"
	if codec.OpusAvailable {
		want = "[opus G722 PCMU PCMA]"
	}
	if got := fmt.Sprint(names); got != want {
		t.Errorf("All() = %s, want %s", got, want)
	}
	for pt, name := range map[uint8]string{0: "PCMU", 8: "PCMA", 9: "G722"} {
		if c, ok := codec.ByPayloadType(pt); !ok || c.Name() != name {
			t.Errorf("ByPayloadType(%d) = %v, %v; want %s", pt, c, ok, name)
		}
	}
	if _, ok := codec.ByPayloadType(111); ok {
		t.Error("ByPayloadType(111) found a codec; dynamic types need an rtpmap")
	}
	g := codec.G722()
	if codec.FrameSamples(g, 20*time.Millisecond) != 320 || codec.TimestampStep(g, 20*time.Millisecond) != 160 {
		t.Error("G.722 20 ms: want 320 samples, timestamp step 160 (RFC 3551 §4.5.2)")
	}
}
