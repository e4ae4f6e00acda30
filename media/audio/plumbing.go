package audio

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
)

// Level is one meter reading in dBFS (-Inf for digital silence).
type Level struct {
	RMS  float64 // RMS of the last frame relative to a full-scale square wave
	Peak float64 // largest absolute sample of the last frame
}

// Meter measures the level of the frames written to it. It is a Sink so it
// can sit on a Tee or a TapSource; Level may be called from any goroutine
// (the UI) while the audio path writes.
type Meter struct {
	rate int
	v    atomic.Uint64 // float32 bits: RMS dBFS high word, peak dBFS low word
}

// NewMeter returns a meter for frames at rate Hz, reading silence.
func NewMeter(rate int) *Meter {
	m := &Meter{rate: rate}
	m.store(math.Inf(-1), math.Inf(-1))
	return m
}

func (m *Meter) store(rms, peak float64) {
	m.v.Store(uint64(math.Float32bits(float32(rms)))<<32 | uint64(math.Float32bits(float32(peak))))
}

// Write implements Sink: it measures frame and keeps nothing else.
func (m *Meter) Write(frame []int16) (int, error) {
	if len(frame) == 0 {
		return 0, nil
	}
	var e float64
	peak := 0
	for _, s := range frame {
		v := int(s)
		e += float64(v * v)
		if v < 0 {
			v = -v
		}
		peak = max(peak, v)
	}
	m.store(DBFS(math.Sqrt(e/float64(len(frame)))), DBFS(float64(peak)))
	return len(frame), nil
}

// Level returns the latest reading; RMS and Peak come from the same frame.
func (m *Meter) Level() Level {
	v := m.v.Load()
	return Level{RMS: float64(math.Float32frombits(uint32(v >> 32))), Peak: float64(math.Float32frombits(uint32(v)))}
}

// SampleRate implements Sink.
func (m *Meter) SampleRate() int { return m.rate }

// Close implements Sink.
func (m *Meter) Close() error { return nil }

// Mute wraps a Source and replaces its samples with silence while muted. The
// underlying source is still read, so a device keeps draining and no stale
// audio bursts out on unmute. SetMuted may be called from any goroutine.
type Mute struct {
	src   Source
	muted atomic.Bool
}

// NewMute wraps src, initially not muted.
func NewMute(src Source) *Mute { return &Mute{src: src} }

// SetMuted switches muting on or off.
func (m *Mute) SetMuted(on bool) { m.muted.Store(on) }

// Muted reports whether the source is muted.
func (m *Mute) Muted() bool { return m.muted.Load() }

// Read implements Source.
func (m *Mute) Read(frame []int16) (int, error) {
	n, err := m.src.Read(frame)
	if m.muted.Load() {
		clear(frame[:n])
	}
	return n, err
}

// SampleRate implements Source.
func (m *Mute) SampleRate() int { return m.src.SampleRate() }

// Close closes the wrapped source.
func (m *Mute) Close() error { return m.src.Close() }

// TapSource wraps a Source and copies every frame it yields into a Sink (a
// Meter, a Recorder direction). A tap that fails does not fail the read; the
// first tap error is kept and reported by TapErr.
type TapSource struct {
	src    Source
	tap    Sink
	tapErr atomic.Pointer[error]
}

// NewTapSource returns src with every frame also written to tap.
func NewTapSource(src Source, tap Sink) *TapSource { return &TapSource{src: src, tap: tap} }

// Read implements Source.
func (t *TapSource) Read(frame []int16) (int, error) {
	n, err := t.src.Read(frame)
	if n > 0 {
		if _, terr := t.tap.Write(frame[:n]); terr != nil {
			t.tapErr.CompareAndSwap(nil, &terr)
		}
	}
	return n, err
}

// TapErr returns the first error the tap returned, if any.
func (t *TapSource) TapErr() error {
	if p := t.tapErr.Load(); p != nil {
		return *p
	}
	return nil
}

// SampleRate implements Source.
func (t *TapSource) SampleRate() int { return t.src.SampleRate() }

// Close closes the wrapped source (not the tap, which may be shared).
func (t *TapSource) Close() error { return t.src.Close() }

// Tee is a Sink writing every frame to several sinks of the same rate (the
// speaker, a meter, a recorder). The first sink's result is returned; errors
// from the others are joined in.
type Tee struct{ sinks []Sink }

// NewTee returns a sink duplicating frames to sinks; sinks[0] is primary.
func NewTee(sinks ...Sink) *Tee { return &Tee{sinks: sinks} }

// Write implements Sink.
func (t *Tee) Write(frame []int16) (int, error) {
	if len(t.sinks) == 0 {
		return len(frame), nil
	}
	n, err := t.sinks[0].Write(frame)
	for _, s := range t.sinks[1:] {
		if _, e := s.Write(frame); e != nil {
			err = errors.Join(err, e)
		}
	}
	return n, err
}

// SampleRate implements Sink.
func (t *Tee) SampleRate() int {
	if len(t.sinks) == 0 {
		return 0
	}
	return t.sinks[0].SampleRate()
}

// Close closes the primary sink only; secondary sinks belong to others.
func (t *Tee) Close() error {
	if len(t.sinks) == 0 {
		return nil
	}
	return t.sinks[0].Close()
}

// MixInto adds src into dst sample by sample with saturation (a conference
// bridge's sum). Only min(len(dst), len(src)) samples are touched.
func MixInto(dst, src []int16) {
	for i := range min(len(dst), len(src)) {
		v := int32(dst[i]) + int32(src[i])
		dst[i] = int16(max(-32768, min(32767, v)))
	}
}

// Mixer is a Source summing several sources of one rate (a three-way
// conference: the local microphone plus the other leg's audio). A source
// that reaches io.EOF drops out; the mixer ends when all have.
type Mixer struct {
	mu   sync.Mutex
	rate int
	srcs []Source
	tmp  []int16
}

// NewMixer returns a mixer at rate over srcs; all must run at rate.
func NewMixer(rate int, srcs ...Source) (*Mixer, error) {
	for _, s := range srcs {
		if s.SampleRate() != rate {
			return nil, fmt.Errorf("mixer at %d Hz given a %d Hz source: %w", rate, s.SampleRate(), ErrRate)
		}
	}
	return &Mixer{rate: rate, srcs: srcs}, nil
}

// Read implements Source.
func (m *Mixer) Read(frame []int16) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.srcs) == 0 {
		return 0, io.EOF
	}
	clear(frame)
	if cap(m.tmp) < len(frame) {
		m.tmp = make([]int16, len(frame))
	}
	tmp := m.tmp[:len(frame)]
	live := m.srcs[:0]
	var errs error
	for _, s := range m.srcs {
		n, err := s.Read(tmp)
		MixInto(frame, tmp[:n])
		switch {
		case errors.Is(err, io.EOF):
			continue
		case err != nil:
			errs = errors.Join(errs, err)
		}
		live = append(live, s)
	}
	m.srcs = live
	return len(frame), errs
}

// SampleRate implements Source.
func (m *Mixer) SampleRate() int { return m.rate }

// Close closes every remaining source.
func (m *Mixer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs error
	for _, s := range m.srcs {
		errs = errors.Join(errs, s.Close())
	}
	m.srcs = nil
	return errs
}
