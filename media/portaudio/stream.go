package portaudio

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	pa "github.com/gordonklaus/portaudio"

	"github.com/teaphone/teaphone/media/audio"
)

// Input is a microphone: an audio.Source at the rate asked for. Read blocks
// until the device has the samples. Close may be called from another
// goroutine; it waits for a Read in progress (at most one device buffer).
type Input struct {
	h         *Host
	dev       *rawInput
	src       audio.Source // dev, or dev behind a resampler
	info      string
	overflows atomic.Int64
}

type rawInput struct {
	mu     sync.Mutex
	st     *pa.Stream
	buf    []int16 // the stream's buffer, refilled by st.Read
	fifo   []int16 // unread samples from buf
	rate   int
	closed bool
	parent *Input
}

// OpenInput opens and starts a capture stream.
func (h *Host) OpenInput(o StreamOptions) (*Input, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	p, err := h.openParams(o, true)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	raw := &rawInput{buf: make([]int16, p.FramesPerBuffer), rate: int(p.SampleRate)}
	st, err := pa.OpenStream(p, raw.buf)
	if err != nil {
		return nil, fmt.Errorf("open input %q at %.0f Hz: %w", p.Input.Device.Name, p.SampleRate, err)
	}
	if err := st.Start(); err != nil {
		st.Close()
		return nil, fmt.Errorf("start input %q: %w", p.Input.Device.Name, err)
	}
	raw.st = st
	in := &Input{h: h, dev: raw, src: raw,
		info: fmt.Sprintf("%s at %.0f Hz", p.Input.Device.Name, p.SampleRate)}
	raw.parent = in
	if raw.rate != o.Rate {
		rs, err := audio.NewResampleSource(raw, o.Rate)
		if err != nil {
			raw.close()
			return nil, fmt.Errorf("open input: %w", err)
		}
		in.src = rs
		in.info += fmt.Sprintf(" resampled to %d Hz", o.Rate)
	}
	if err := h.track(in); err != nil {
		raw.close()
		return nil, err
	}
	return in, nil
}

func (r *rawInput) Read(frame []int16) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for n < len(frame) {
		if r.closed {
			return n, ErrClosed
		}
		if len(r.fifo) == 0 {
			if err := r.st.Read(); err != nil {
				if !errors.Is(err, pa.InputOverflowed) {
					return n, fmt.Errorf("read input: %w", err)
				}
				r.parent.overflows.Add(1) // samples were lost before this buffer; carry on
			}
			r.fifo = r.buf
		}
		c := copy(frame[n:], r.fifo)
		r.fifo = r.fifo[c:]
		n += c
	}
	return n, nil
}

func (r *rawInput) SampleRate() int { return r.rate }
func (r *rawInput) Close() error    { return r.close() }

func (r *rawInput) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.st.Stop()
	return errors.Join(err, r.st.Close())
}

// Read implements audio.Source.
func (in *Input) Read(frame []int16) (int, error) { return in.src.Read(frame) }

// SampleRate implements audio.Source (the rate asked for).
func (in *Input) SampleRate() int { return in.src.SampleRate() }

// Close stops and closes the stream.
func (in *Input) Close() error {
	in.h.untrack(in)
	return in.close()
}

func (in *Input) close() error { return in.dev.close() }

// Overflows counts device buffers that reported lost input.
func (in *Input) Overflows() int64 { return in.overflows.Load() }

// String describes the device and rates, for logs.
func (in *Input) String() string { return in.info }

// Output is a speaker: an audio.Sink at the rate asked for. Write blocks
// while the device buffer is full. Close plays out what was written.
type Output struct {
	h          *Host
	dev        *rawOutput
	sink       audio.Sink
	info       string
	underflows atomic.Int64
}

type rawOutput struct {
	mu     sync.Mutex
	st     *pa.Stream
	buf    []int16 // the stream's buffer
	fill   int     // samples of buf filled so far
	rate   int
	closed bool
	parent *Output
}

// OpenOutput opens and starts a playback stream.
func (h *Host) OpenOutput(o StreamOptions) (*Output, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	p, err := h.openParams(o, false)
	if err != nil {
		return nil, fmt.Errorf("open output: %w", err)
	}
	raw := &rawOutput{buf: make([]int16, p.FramesPerBuffer), rate: int(p.SampleRate)}
	st, err := pa.OpenStream(p, raw.buf)
	if err != nil {
		return nil, fmt.Errorf("open output %q at %.0f Hz: %w", p.Output.Device.Name, p.SampleRate, err)
	}
	if err := st.Start(); err != nil {
		st.Close()
		return nil, fmt.Errorf("start output %q: %w", p.Output.Device.Name, err)
	}
	raw.st = st
	out := &Output{h: h, dev: raw, sink: raw,
		info: fmt.Sprintf("%s at %.0f Hz", p.Output.Device.Name, p.SampleRate)}
	raw.parent = out
	if raw.rate != o.Rate {
		rs, err := audio.NewResampleSink(raw, o.Rate)
		if err != nil {
			raw.close()
			return nil, fmt.Errorf("open output: %w", err)
		}
		out.sink = rs
		out.info += fmt.Sprintf(" resampled from %d Hz", o.Rate)
	}
	if err := h.track(out); err != nil {
		raw.close()
		return nil, err
	}
	return out, nil
}

func (r *rawOutput) Write(frame []int16) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for n < len(frame) {
		if r.closed {
			return n, ErrClosed
		}
		c := copy(r.buf[r.fill:], frame[n:])
		r.fill += c
		n += c
		if r.fill == len(r.buf) {
			if err := r.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// flush writes the full device buffer. Called with mu held.
func (r *rawOutput) flush() error {
	r.fill = 0
	if err := r.st.Write(); err != nil {
		if !errors.Is(err, pa.OutputUnderflowed) {
			return fmt.Errorf("write output: %w", err)
		}
		r.parent.underflows.Add(1) // the device ran dry before this buffer; carry on
	}
	return nil
}

func (r *rawOutput) SampleRate() int { return r.rate }
func (r *rawOutput) Close() error    { return r.close() }

// close pads and plays a partial last buffer, waits for playback to finish
// (Pa_StopStream drains), then closes.
func (r *rawOutput) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	var err error
	if r.fill > 0 {
		clear(r.buf[r.fill:])
		err = r.flush()
	}
	err = errors.Join(err, r.st.Stop())
	return errors.Join(err, r.st.Close())
}

// Write implements audio.Sink.
func (out *Output) Write(frame []int16) (int, error) { return out.sink.Write(frame) }

// SampleRate implements audio.Sink (the rate asked for).
func (out *Output) SampleRate() int { return out.sink.SampleRate() }

// Close plays out buffered audio, then stops and closes the stream.
func (out *Output) Close() error {
	out.h.untrack(out)
	return out.close()
}

func (out *Output) close() error { return out.dev.close() }

// Underflows counts device buffers written after the device ran dry.
func (out *Output) Underflows() int64 { return out.underflows.Load() }

// String describes the device and rates, for logs.
func (out *Output) String() string { return out.info }
