package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// expectDigits waits for dtmf events (from index from) spelling want.
func expectDigits(tb testing.TB, a *Agent, from int, want string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got strings.Builder
	for got.Len() < len(want) {
		ev, i, err := a.WaitEventFrom(ctx, from, Is("dtmf"))
		if err != nil {
			tb.Fatalf("%s: dtmf digits %q so far, want %q: %v", a.Name, got.String(), want, err)
		}
		got.WriteString(ev.Str("digit"))
		from = i + 1
	}
	if got.String() != want {
		tb.Errorf("%s: dtmf digits %q, want %q", a.Name, got.String(), want)
	}
}

// waitAudio waits (polling the file every 100 ms, bounded) until the WAV
// recording at path holds at least d of audio.
func waitAudio(tb testing.TB, path string, d time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(d + 20*time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var have time.Duration
	for {
		if rate, s, err := interop.ReadWAV(path); err == nil && rate > 0 {
			have = time.Duration(len(s)) * time.Second / time.Duration(rate)
			if have >= d {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("recording %s: %v of audio after waiting, want %v", path, have, d)
		}
		<-tick.C
	}
}

// expectTone checks that the recording at path is not silent and that
// want dominates other.
func expectTone(tb testing.TB, path string, want, other float64) {
	tb.Helper()
	res, err := interop.ToneCheck(path, want, other)
	if err != nil {
		tb.Errorf("tone check %s: %v", path, err)
		return
	}
	tb.Logf("recording %s: %.1f s, RMS %.0f, power %v", path, res.Seconds, res.RMS, res.Power)
	if res.Silent || res.Dominant != want {
		tb.Errorf("recording %s (%.1f s, RMS %.0f, power %v): dominant %.0f Hz, silent %v; want %.0f Hz",
			path, res.Seconds, res.RMS, res.Power, res.Dominant, res.Silent, want)
	}
}
