package codec_test

import (
	"math"
	"testing"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
)

// TestConcealment decodes 200 ms of a voiced-like signal, loses the next
// 100 ms and checks each concealed 10 ms block: the pitch carries on at
// full level for the first 10 ms, then fades, and is silent from 60 ms.
func TestConcealment(t *testing.T) {
	cs := []codec.Codec{codec.PCMU(), codec.PCMA(), codec.G722()}
	if o, err := codec.NewOpus(codec.DefaultOpusOptions()); err == nil {
		cs = append(cs, o)
	}
	for _, c := range cs {
		t.Run(c.Name(), func(t *testing.T) {
			rate := c.SampleRate()
			enc, _ := c.NewEncoder()
			dec, _ := c.NewDecoder()
			n := codec.FrameSamples(c, 20*time.Millisecond)
			src := audio.NewMultiTone(rate, []float64{200, 400, 600}, -16) // 200 Hz "voice"
			x := make([]int16, n)
			var pkt []byte
			var out []int16
			for range 10 {
				src.Read(x)
				pkt, _ = enc.Encode(pkt[:0], x)
				out, _ = dec.Decode(out[:0], pkt)
			}
			ref := audio.ToneLevel(out, rate, 200)
			var lost []int16
			for range 5 {
				var err error
				if lost, err = dec.Conceal(lost, n); err != nil {
					t.Fatal(err)
				}
			}
			if len(lost) != 5*n {
				t.Fatalf("concealed %d samples, want %d", len(lost), 5*n)
			}
			blk := rate / 100
			level := func(i int) float64 { return audio.ToneLevel(lost[i*blk:(i+1)*blk], rate, 200) }
			rms := func(i int) float64 { return audio.DBFS(audio.RMS(lost[i*blk : (i+1)*blk])) }
			t.Logf("200 Hz before loss %.1f dBFS; concealed 10 ms blocks: %.1f %.1f %.1f %.1f %.1f %.1f (RMS %.1f … %.1f)",
				ref, level(0), level(1), level(2), level(3), level(4), level(5), rms(0), rms(9))
			if math.Abs(level(0)-ref) > 3 {
				t.Errorf("first 10 ms at %.1f dBFS, want within 3 dB of %.1f (pitch carried on)", level(0), ref)
			}
			if c.Name() == "opus" {
				// libopus PLC has its own fade; just require it to decay.
				if rms(9) >= rms(0)-6 {
					t.Errorf("opus PLC did not fade: %.1f → %.1f dBFS", rms(0), rms(9))
				}
				return
			}
			for i := 1; i < 6; i++ {
				if rms(i) > rms(i-1)+0.5 {
					t.Errorf("block %d louder than block %d (%.1f > %.1f): not fading", i, i-1, rms(i), rms(i-1))
				}
			}
			if rms(3) > rms(0)-3 {
				t.Errorf("30–40 ms at %.1f dBFS, want ≥ 3 dB below the start (%.1f)", rms(3), rms(0))
			}
			for i := 6; i < 10; i++ {
				if r := rms(i); !math.IsInf(r, -1) {
					t.Errorf("block %d (after 60 ms) at %.1f dBFS, want silence", i, r)
				}
			}
			// Recovery: the next good frame is cross-faded, so the first
			// samples stay close to the concealed signal's (silent) level.
			src.Read(x)
			pkt, _ = enc.Encode(pkt[:0], x)
			out, _ = dec.Decode(out[:0], pkt)
			if math.Abs(float64(out[0])) > 2000 {
				t.Errorf("first sample after loss = %d, want a faded-in start", out[0])
			}
		})
	}
}

func TestConcealerSilentWithoutHistory(t *testing.T) {
	c := codec.NewConcealer(8000)
	y := c.Conceal(nil, 160)
	if len(y) != 160 || audio.RMS(y) != 0 {
		t.Errorf("concealment with no history: %d samples RMS %.1f, want 160 silent", len(y), audio.RMS(y))
	}
	if !c.Lost() {
		t.Error("Lost() = false during a loss")
	}
}
