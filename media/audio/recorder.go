package audio

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// RecordMode chooses how a Recorder lays out the two directions of a call.
type RecordMode int

const (
	// RecordMixed sums both directions into one mono channel (what a
	// listener on the line would hear).
	RecordMixed RecordMode = iota
	// RecordStereo puts the local side (microphone, sent) on the left
	// channel and the remote side (received, played) on the right.
	RecordStereo
)

// Recorder writes both directions of a call into one WAV file. Each
// direction is a Sink (Local, Remote) written from its own goroutine. The
// recorder pairs samples by count; when one side runs more than maxSkew
// (0.5 s) ahead (the other is on hold or has stalled) the lagging side is
// filled with silence up to the leading one, so the two stay aligned when
// the stalled side resumes.
type Recorder struct {
	mu       sync.Mutex
	w        *WAVWriter
	mode     RecordMode
	rate     int
	maxSkew  int
	q        [2][]int16 // pending samples: 0 local, 1 remote
	out      []int16
	closed   bool
	writeErr error
}

// NewRecorder creates path and records at rate Hz in the given mode.
func NewRecorder(path string, rate int, mode RecordMode) (*Recorder, error) {
	ch := 1
	if mode == RecordStereo {
		ch = 2
	}
	w, err := CreateWAVChannels(path, rate, ch)
	if err != nil {
		return nil, err
	}
	return &Recorder{w: w, mode: mode, rate: rate, maxSkew: rate / 2}, nil
}

// Local is the Sink for the local side (what we send).
func (r *Recorder) Local() Sink { return recorderSide{r, 0} }

// Remote is the Sink for the remote side (what we receive and play).
func (r *Recorder) Remote() Sink { return recorderSide{r, 1} }

type recorderSide struct {
	r    *Recorder
	side int
}

func (s recorderSide) Write(frame []int16) (int, error) { return s.r.write(s.side, frame) }
func (s recorderSide) SampleRate() int                  { return s.r.rate }

// Close of one side is a no-op; close the Recorder itself.
func (s recorderSide) Close() error { return nil }

func (r *Recorder) write(side int, frame []int16) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.writeErr != nil {
		return 0, r.writeErr
	}
	r.q[side] = append(r.q[side], frame...)
	other := 1 - side
	if skew := len(r.q[side]) - len(r.q[other]); skew > r.maxSkew {
		r.q[other] = append(r.q[other], make([]int16, skew)...)
	}
	if err := r.flush(min(len(r.q[0]), len(r.q[1]))); err != nil {
		r.writeErr = err
		return len(frame), err
	}
	return len(frame), nil
}

// flush writes the first n paired samples.
func (r *Recorder) flush(n int) error {
	if n == 0 {
		return nil
	}
	l, rr := r.q[0][:n], r.q[1][:n]
	r.out = r.out[:0]
	if r.mode == RecordStereo {
		for i := range n {
			r.out = append(r.out, l[i], rr[i])
		}
	} else {
		r.out = append(r.out, l...)
		MixInto(r.out, rr)
	}
	_, err := r.w.Write(r.out)
	for i := range r.q {
		r.q[i] = r.q[i][:copy(r.q[i], r.q[i][n:])]
	}
	if err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	return nil
}

// Close writes what is pending (padding the shorter side) and closes the
// file. It is idempotent.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	n := max(len(r.q[0]), len(r.q[1]))
	for i := range r.q {
		r.q[i] = append(r.q[i], make([]int16, n-len(r.q[i]))...)
	}
	err := r.flush(n)
	return errors.Join(err, r.w.Close())
}
