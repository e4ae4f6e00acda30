package codec_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/teaphone/teaphone/media/codec"
)

// Each op is one second of audio in 20 ms frames, so ns/op is the wall
// time for one second. cpu-µs/s-audio is the thread's CPU time per second
// of audio (getrusage RUSAGE_THREAD), which stays meaningful on a busy
// machine where wall time includes waiting for a core.

const rusageThread = 1 // RUSAGE_THREAD (Linux)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs f (one second of audio) b.N times and reports CPU per
// second of audio.
func measure(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	var cpu time.Duration
	n := 0
	for b.Loop() {
		t0 := threadCPU()
		f()
		cpu += threadCPU() - t0
		n++
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/s-audio")
}

func benchCodecs(b *testing.B) []codec.Codec {
	cs := []codec.Codec{codec.PCMU(), codec.PCMA(), codec.G722()}
	if o, err := codec.NewOpus(codec.DefaultOpusOptions()); err == nil {
		cs = append(cs, o)
	}
	return cs
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range benchCodecs(b) {
		b.Run(c.Name(), func(b *testing.B) {
			enc, _ := c.NewEncoder()
			x := tone(b, c.SampleRate(), 440, -10, codec.FrameSamples(c, 20*time.Millisecond))
			pkt := make([]byte, 0, 1500)
			measure(b, func() {
				for range 50 {
					pkt, _ = enc.Encode(pkt[:0], x)
				}
			})
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range benchCodecs(b) {
		b.Run(c.Name(), func(b *testing.B) {
			enc, _ := c.NewEncoder()
			dec, _ := c.NewDecoder()
			x := tone(b, c.SampleRate(), 440, -10, codec.FrameSamples(c, 20*time.Millisecond))
			pkt, _ := enc.Encode(nil, x)
			out := make([]int16, 0, 5760)
			measure(b, func() {
				for range 50 {
					out, _ = dec.Decode(out[:0], pkt)
				}
			})
		})
	}
}
