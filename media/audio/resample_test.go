package audio

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
)

var ratePairs = [][2]int{
	{8000, 16000}, {16000, 8000}, {8000, 48000}, {48000, 8000}, {16000, 48000}, {48000, 16000},
	{44100, 8000}, {44100, 16000}, {44100, 48000}, {8000, 44100}, {16000, 44100}, {48000, 44100},
}

// resampleFrames runs x through r in 20 ms frames, like a device would.
func resampleFrames(r *Resampler, x []int16, inRate int) []int16 {
	var out []int16
	step := inRate / 50
	for i := 0; i < len(x); i += step {
		out = r.Process(out, x[i:min(i+step, len(x))])
	}
	return out
}

func TestResamplerToneSNR(t *testing.T) {
	for _, p := range ratePairs {
		in, out := p[0], p[1]
		for _, f := range []float64{440, 1000, 3000} {
			t.Run(fmt.Sprintf("%d-%d/%v", in, out, f), func(t *testing.T) {
				r, err := NewResampler(in, out)
				if err != nil {
					t.Fatal(err)
				}
				x := readN(t, NewTone(in, f, -6), in) // 1 s
				y := resampleFrames(r, x, in)
				if want := out; abs(len(y)-want) > 1 {
					t.Fatalf("len = %d, want %d ±1", len(y), want)
				}
				d := int(math.Ceil(r.Delay())) + 1
				y = y[2*d : len(y)-d] // skip the filter's start-up transient
				snr := ToneSNR(y, out, f)
				lvl := ToneLevel(y, out, f)
				t.Logf("SNR %.1f dB, level %.2f dBFS", snr, lvl)
				if snr < 60 {
					t.Errorf("SNR = %.1f dB, want ≥ 60", snr)
				}
				if math.Abs(lvl+6) > 0.1 {
					t.Errorf("level = %.2f dBFS, want -6 ±0.1", lvl)
				}
			})
		}
	}
}

func TestResamplerRejectsAliases(t *testing.T) {
	// A 6 kHz tone cannot exist at 8 kHz; decimation must remove it rather
	// than fold it down to 2 kHz.
	r, _ := NewResampler(48000, 8000)
	y := resampleFrames(r, readN(t, NewTone(48000, 6000, -6), 48000), 48000)
	if got := ToneLevel(y[100:], 8000, 2000); got > -66 {
		t.Errorf("alias at 2 kHz = %.1f dBFS, want < -66", got)
	}
	r, _ = NewResampler(44100, 8000)
	y = resampleFrames(r, readN(t, NewTone(44100, 5000, -6), 44100), 44100)
	if got := ToneLevel(y[100:], 8000, 3000); got > -66 {
		t.Errorf("44.1k: alias at 3 kHz = %.1f dBFS, want < -66", got)
	}
}

func TestResamplerStreamingEqualsWhole(t *testing.T) {
	for _, p := range ratePairs {
		x := readN(t, NewDualTone(p[0], 350, 1234, -9), p[0]/2)
		a, _ := NewResampler(p[0], p[1])
		whole := a.Process(nil, x)
		b, _ := NewResampler(p[0], p[1])
		var parts []int16
		for i, n := 0, 1; i < len(x); i, n = i+n, n%97+13 { // odd, varying chunk sizes
			parts = b.Process(parts, x[i:min(i+n, len(x))])
		}
		if !slices.Equal(whole, parts) {
			t.Errorf("%d→%d: chunked output differs from whole (%d vs %d samples)", p[0], p[1], len(parts), len(whole))
		}
		b.Reset()
		if again := b.Process(nil, x); !slices.Equal(again, whole) {
			t.Errorf("%d→%d: output after Reset differs", p[0], p[1])
		}
	}
}

func TestResamplerSameRateIsCopy(t *testing.T) {
	r, err := NewResampler(8000, 8000)
	if err != nil {
		t.Fatal(err)
	}
	x := []int16{1, -2, 3}
	if got := r.Process(nil, x); !slices.Equal(got, x) {
		t.Errorf("Process = %v, want %v", got, x)
	}
	if _, err := NewResampler(0, 8000); err == nil {
		t.Error("NewResampler(0, 8000) succeeded, want error")
	}
}

func TestResampleSourceAndSink(t *testing.T) {
	src, err := NewResampleSource(NewTone(44100, 1000, -6), 8000)
	if err != nil {
		t.Fatal(err)
	}
	if src.SampleRate() != 8000 {
		t.Fatalf("SampleRate = %d", src.SampleRate())
	}
	var y []int16
	for range 50 {
		y = append(y, readN(t, src, 160)...)
	}
	if snr := ToneSNR(y[200:], 8000, 1000); snr < 60 {
		t.Errorf("source SNR = %.1f dB, want ≥ 60", snr)
	}
	d := NewDiscard(48000)
	sink, err := NewResampleSink(d, 8000)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if n, err := sink.Write(y[:160]); n != 160 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := d.Samples(); abs(int(got)-48000) > 1 {
		t.Errorf("device got %d samples for 1 s, want 48000", got)
	}
}

// threadCPU is this thread's CPU time (getrusage RUSAGE_THREAD): the cost
// stays meaningful on a busy machine where wall time includes waiting.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // 1 = RUSAGE_THREAD
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func BenchmarkResample(b *testing.B) {
	for _, p := range ratePairs {
		b.Run(fmt.Sprintf("%d-%d", p[0], p[1]), func(b *testing.B) {
			r, _ := NewResampler(p[0], p[1])
			x := make([]int16, p[0]/50)
			NewTone(p[0], 1000, -6).Read(x)
			out := make([]int16, 0, r.OutLen(len(x)))
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			var cpu time.Duration
			n := 0
			for b.Loop() {
				t0 := threadCPU()
				for range 50 { // one second of audio per op
					out = r.Process(out[:0], x)
				}
				cpu += threadCPU() - t0
				n++
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/s-audio")
		})
	}
}
