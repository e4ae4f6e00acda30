package demo

import (
	"errors"
	"os"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

const (
	devRate  = 8000
	devFrame = 160 // 20 ms
)

func frameOf(v int16) []int16 {
	f := make([]int16, devFrame)
	for i := range f {
		f[i] = v
	}
	return f
}

// TestEchoDeviceDelay: in fake time, what the speaker plays at t comes out
// of the microphone at exactly t+delay, frame by frame, and both devices
// pace like a sound card.
func TestEchoDeviceDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 100 * time.Millisecond
		dev := newEchoDevices(delay)
		mic, _ := dev.OpenInput(devRate)
		spk, _ := dev.OpenOutput(devRate)
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			// frames 1..10 carry their number, then silence
			for k := range 20 {
				v := int16(0)
				if k < 10 {
					v = int16(k + 1)
				}
				if _, err := spk.Write(frameOf(v)); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		}()
		var got []int16
		var at []time.Duration
		buf := make([]int16, devFrame)
		for range 20 {
			n, err := mic.Read(buf)
			if err != nil || n != devFrame {
				t.Fatalf("read = %d, %v", n, err)
			}
			got = append(got, buf[0])
			at = append(at, time.Since(start))
		}
		<-done
		want := []int16{0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0}
		if !slices.Equal(got, want) {
			t.Errorf("microphone frames %v, want %v", got, want)
		}
		for i, d := range at {
			if want := time.Duration(i) * 20 * time.Millisecond; d != want {
				t.Errorf("read %d returned at %v, want %v (paced)", i, d, want)
				break
			}
		}
		mic.Close()
		spk.Close()
		if _, err := mic.Read(buf); !errors.Is(err, os.ErrClosed) {
			t.Errorf("read after close: %v, want os.ErrClosed", err)
		}
	})
}

// TestDelayLineDropsStale: audio the microphone was not there to take
// (closed, stalled) is dropped rather than played late; a partial read
// keeps the rest of a chunk for the next.
func TestDelayLineDropsStale(t *testing.T) {
	l := &delayLine{delay: 100 * time.Millisecond}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.write(frameOf(7), devRate, t0)
	buf := make([]int16, devFrame)
	// far past due: dropped, silence
	l.read(buf, devRate, t0.Add(100*time.Millisecond+maxLate+time.Millisecond))
	if buf[0] != 0 || len(l.q) != 0 {
		t.Errorf("stale chunk played (%d) or kept (%d queued)", buf[0], len(l.q))
	}
	// a half-frame read takes half, the next read the rest
	l.write(frameOf(9), devRate, t0)
	half := make([]int16, devFrame/2)
	due := t0.Add(100 * time.Millisecond)
	l.read(half, devRate, due)
	if half[0] != 9 || len(l.q) != 1 || len(l.q[0].s) != devFrame/2 {
		t.Errorf("half read: %d, %d queued", half[0], len(l.q))
	}
	l.read(buf, devRate, due)
	if buf[0] != 9 || buf[devFrame/2-1] != 9 || buf[devFrame/2] != 0 || len(l.q) != 0 {
		t.Errorf("rest: %v…, %d queued", buf[:2], len(l.q))
	}
	// not yet due: silence, kept
	l.write(frameOf(3), devRate, t0)
	l.read(buf, devRate, t0.Add(50*time.Millisecond))
	if buf[0] != 0 || len(l.q) != 1 {
		t.Errorf("early read: %d, %d queued", buf[0], len(l.q))
	}
	// a reader at another rate hears nothing; a writer at another rate
	// drops what was queued
	l.read(buf, 16000, due)
	if buf[0] != 0 {
		t.Errorf("read at another rate got %d", buf[0])
	}
	l.write(frameOf(4), 16000, t0)
	l.read(buf, 16000, due)
	if buf[0] != 4 {
		t.Errorf("after a rate change got %d, want 4", buf[0])
	}
}

// TestDelayLineBoundedWithoutReader: a speaker with no microphone reading
// keeps no more than delay+maxLate of audio.
func TestDelayLineBoundedWithoutReader(t *testing.T) {
	l := &delayLine{delay: 100 * time.Millisecond}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := range 1000 {
		l.write(frameOf(1), devRate, t0.Add(time.Duration(k)*20*time.Millisecond))
	}
	if limit := int((100*time.Millisecond+maxLate)/(20*time.Millisecond)) + 1; len(l.q) > limit {
		t.Errorf("%d frames queued, want at most %d", len(l.q), limit)
	}
}
