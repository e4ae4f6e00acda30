package audio

import (
	"errors"
	"io"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestMeter(t *testing.T) {
	m := NewMeter(8000)
	if l := m.Level(); !math.IsInf(l.RMS, -1) || !math.IsInf(l.Peak, -1) {
		t.Errorf("initial level = %+v, want -Inf", l)
	}
	m.Write(readN(t, NewTone(8000, 1000, -6), 160))
	l := m.Level()
	if math.Abs(l.Peak+6) > 0.1 || math.Abs(l.RMS+9.03) > 0.1 {
		t.Errorf("level of a -6 dBFS sine = %+v, want peak -6, RMS -9.03", l)
	}
	// Concurrent reader and writer (run with -race).
	var wg sync.WaitGroup
	wg.Go(func() {
		x := make([]int16, 160)
		for i := range 1000 {
			x[0] = int16(i)
			m.Write(x)
		}
	})
	for range 1000 {
		_ = m.Level()
	}
	wg.Wait()
}

func TestMuteAndTap(t *testing.T) {
	m := NewMute(NewTone(8000, 1000, -6))
	x := make([]int16, 160)
	m.Read(x)
	if RMS(x) == 0 {
		t.Fatal("unmuted source silent")
	}
	m.SetMuted(true)
	if !m.Muted() {
		t.Error("Muted() = false after SetMuted(true)")
	}
	m.Read(x)
	if RMS(x) != 0 {
		t.Error("muted source not silent")
	}
	meter := NewMeter(8000)
	tap := NewTapSource(NewTone(8000, 500, -20), meter)
	tap.Read(x)
	if got := meter.Level().Peak; math.Abs(got+20) > 0.2 {
		t.Errorf("tapped meter peak = %.2f, want -20", got)
	}
	d1, d2 := NewDiscard(8000), NewDiscard(8000)
	tee := NewTee(d1, d2)
	if n, err := tee.Write(x); n != 160 || err != nil || d2.Samples() != 160 {
		t.Errorf("Tee.Write = %d, %v; second sink got %d", n, err, d2.Samples())
	}
}

func TestMixer(t *testing.T) {
	a := NewToneSequence(8000, false, ToneSegment{Freqs: []float64{500}, LevelDBFS: -12, Duration: 40 * time.Millisecond})
	b := NewTone(8000, 1300, -12)
	mx, err := NewMixer(8000, a, b)
	if err != nil {
		t.Fatal(err)
	}
	x := readN(t, mx, 320)
	if l1, l2 := ToneLevel(x, 8000, 500), ToneLevel(x, 8000, 1300); math.Abs(l1+12) > 1 || math.Abs(l2+12) > 0.5 {
		t.Errorf("mixed levels = %.1f, %.1f, want -12, -12", l1, l2)
	}
	readN(t, mx, 320) // a ends and drops out
	x = readN(t, mx, 320)
	if l := ToneLevel(x, 8000, 500); l > -60 {
		t.Errorf("ended source still audible: %.1f dBFS", l)
	}
	if _, err := NewMixer(8000, NewSilence(16000)); !errors.Is(err, ErrRate) {
		t.Errorf("rate mismatch: err = %v, want ErrRate", err)
	}
	y := []int16{30000, -30000}
	MixInto(y, []int16{10000, -10000})
	if y[0] != 32767 || y[1] != -32768 {
		t.Errorf("MixInto saturation = %v", y)
	}
	mx.Close()
	if _, err := mx.Read(x); !errors.Is(err, io.EOF) {
		t.Errorf("Read after Close = %v, want EOF", err)
	}
}

func TestRecorderStereoAligned(t *testing.T) {
	p := filepath.Join(t.TempDir(), "call.wav")
	r, err := NewRecorder(p, 8000, RecordStereo)
	if err != nil {
		t.Fatal(err)
	}
	loc, rem := NewTone(8000, 600, -10), NewTone(8000, 1400, -10)
	var wg sync.WaitGroup
	step := make(chan struct{}) // lock-step, as two real-time directions are
	for i, side := range []struct {
		src  Source
		sink Sink
	}{{loc, r.Local()}, {rem, r.Remote()}} {
		wg.Go(func() {
			x := make([]int16, 160)
			for range 50 {
				if i == 1 {
					<-step
				}
				side.src.Read(x)
				side.sink.Write(x)
				if i == 0 {
					step <- struct{}{}
				}
			}
		})
	}
	wg.Wait()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	w, err := openWAV(p, StopAtEOF)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.channels != 2 || w.size != 8000*4 {
		t.Fatalf("recording: %d channels, %d bytes; want 2, %d", w.channels, w.size, 8000*4)
	}
	raw := make([]byte, w.size)
	io.ReadFull(w.r, raw)
	left, right := make([]int16, 8000), make([]int16, 8000)
	for i := range left {
		left[i] = int16(uint16(raw[4*i]) | uint16(raw[4*i+1])<<8)
		right[i] = int16(uint16(raw[4*i+2]) | uint16(raw[4*i+3])<<8)
	}
	if l := ToneLevel(left, 8000, 600); math.Abs(l+10) > 0.2 {
		t.Errorf("left 600 Hz = %.1f dBFS, want -10", l)
	}
	if l := ToneLevel(left, 8000, 1400); l > -60 {
		t.Errorf("remote leaked into left: %.1f dBFS", l)
	}
	if l := ToneLevel(right, 8000, 1400); math.Abs(l+10) > 0.2 {
		t.Errorf("right 1400 Hz = %.1f dBFS, want -10", l)
	}
}

func TestRecorderMixedPadsStalledSide(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.wav")
	r, _ := NewRecorder(p, 8000, RecordMixed)
	x := readN(t, NewTone(8000, 600, -10), 160)
	for range 100 { // 2 s of local audio, remote on hold
		r.Local().Write(x)
	}
	r.Remote().Write(x)
	r.Close()
	w, _ := openWAV(p, StopAtEOF)
	defer w.Close()
	// Remote was padded each time local got 0.5 s ahead; its one frame
	// lands inside the 2 s of local audio.
	if got := w.size / 2; got != 16000 {
		t.Errorf("mixed recording = %d samples, want 16000", got)
	}
}
