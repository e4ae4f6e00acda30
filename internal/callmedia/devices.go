package callmedia

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/teaphone/teaphone/media/audio"
)

// AudioDevices opens the microphone and the speaker. The Factory opens each
// at most once at a time, on demand (the first call with media, a ring
// tone) and closes it when nothing needs it any more, so an idle teaphone
// holds no sound device.
//
// The returned Source's Read and Sink's Write must run in real time: block
// for about the duration of the frame, as a sound card does. Synthetic
// devices here pace themselves on the monotonic clock. A device may return
// a rate other than the one asked for; the Factory then resamples.
type AudioDevices interface {
	OpenInput(rate int) (audio.Source, error)
	OpenOutput(rate int) (audio.Sink, error)
}

// Null is a device pair with no hardware: silence in, output discarded.
type Null struct{}

// OpenInput implements AudioDevices: paced silence.
func (Null) OpenInput(rate int) (audio.Source, error) {
	return newPacedSource(audio.NewSilence(rate)), nil
}

// OpenOutput implements AudioDevices: a paced sink that drops everything.
func (Null) OpenOutput(rate int) (audio.Sink, error) {
	return newPacedSink(audio.NewDiscard(rate)), nil
}

// Files plays a WAV file as the microphone and writes the speaker to a WAV
// file (for the demo mode, headless runs and tests). An empty In is
// silence, an empty Out discards. Every OpenOutput truncates Out: with
// devices opened per call, Out holds the audio of the last call only.
type Files struct {
	In, Out string
	// Loop replays In from the start at its end; otherwise silence
	// follows the end of the file.
	Loop bool
}

// OpenInput implements AudioDevices.
func (f Files) OpenInput(rate int) (audio.Source, error) {
	if f.In == "" {
		return Null{}.OpenInput(rate)
	}
	at := audio.SilenceAtEOF
	if f.Loop {
		at = audio.LoopAtEOF
	}
	src, err := audio.OpenWAV(f.In, audio.WAVOptions{Rate: rate, AtEOF: at})
	if err != nil {
		return nil, fmt.Errorf("callmedia: input: %w", err)
	}
	return newPacedSource(src), nil
}

// OpenOutput implements AudioDevices.
func (f Files) OpenOutput(rate int) (audio.Sink, error) {
	if f.Out == "" {
		return Null{}.OpenOutput(rate)
	}
	w, err := audio.CreateWAV(f.Out, rate)
	if err != nil {
		return nil, fmt.Errorf("callmedia: output: %w", err)
	}
	return newPacedSink(w), nil
}

// Tone is a test device: a sine of Hz at LevelDBFS (−20 dBFS when 0) as the
// microphone, and the speaker written to the WAV file Out (discarded when
// empty).
type Tone struct {
	Hz        float64
	LevelDBFS float64
	Out       string
}

// OpenInput implements AudioDevices.
func (t Tone) OpenInput(rate int) (audio.Source, error) {
	lvl := t.LevelDBFS
	if lvl == 0 {
		lvl = -20
	}
	return newPacedSource(audio.NewTone(rate, t.Hz, lvl)), nil
}

// OpenOutput implements AudioDevices.
func (t Tone) OpenOutput(rate int) (audio.Sink, error) { return Files{Out: t.Out}.OpenOutput(rate) }

// pacer blocks each caller until the wall-clock time of the samples it has
// already handed out: start + n/rate, on absolute deadlines so it does not
// drift.
type pacer struct {
	rate  int
	start time.Time
	n     int64
	timer *time.Timer
	done  chan struct{}
	once  sync.Once
}

func newPacer(rate int) *pacer { return &pacer{rate: rate, done: make(chan struct{})} }

// wait blocks until the samples before the next n are due, then accounts
// for n more. It returns false once the pacer is closed.
func (p *pacer) wait(n int) bool {
	now := time.Now()
	if p.start.IsZero() {
		p.start = now
	}
	due := p.start.Add(time.Duration(p.n * int64(time.Second) / int64(max(p.rate, 1))))
	p.n += int64(n)
	if lag := now.Sub(due); lag > 200*time.Millisecond {
		// Stalled (suspend, debugger): start over rather than burst.
		p.start, p.n = now, int64(n)
		return true
	}
	d := due.Sub(now)
	if d <= 0 {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-p.timer.C:
		return true
	case <-p.done:
		return false
	}
}

func (p *pacer) close() {
	p.once.Do(func() { close(p.done) })
}

// pacedSource makes a synthetic source behave like a microphone: each Read
// returns when the previous frame's time has elapsed.
type pacedSource struct {
	src audio.Source
	p   *pacer
}

func newPacedSource(src audio.Source) *pacedSource {
	return &pacedSource{src: src, p: newPacer(src.SampleRate())}
}

func (s *pacedSource) Read(frame []int16) (int, error) {
	if !s.p.wait(len(frame)) {
		return 0, os.ErrClosed
	}
	return s.src.Read(frame)
}

func (s *pacedSource) SampleRate() int { return s.src.SampleRate() }

func (s *pacedSource) Close() error {
	s.p.close()
	return s.src.Close()
}

// pacedSink makes a file or null sink behave like a speaker.
type pacedSink struct {
	dst audio.Sink
	p   *pacer
}

func newPacedSink(dst audio.Sink) *pacedSink {
	return &pacedSink{dst: dst, p: newPacer(dst.SampleRate())}
}

func (s *pacedSink) Write(frame []int16) (int, error) {
	n, err := s.dst.Write(frame)
	if !s.p.wait(len(frame)) {
		return n, errors.Join(err, os.ErrClosed)
	}
	return n, err
}

func (s *pacedSink) SampleRate() int { return s.dst.SampleRate() }

func (s *pacedSink) Close() error {
	s.p.close()
	return s.dst.Close()
}

// DeviceFuncs adapts two functions to AudioDevices. main uses it for the
// real sound card, so that no package but main and media/portaudio links
// libportaudio (layering_test.go):
//
//	host, err := portaudio.Open(portaudio.Options{StderrLog: logPath})
//	...
//	devices := callmedia.DeviceFuncs{
//		Input: func(rate int) (audio.Source, error) {
//			in, err := host.OpenInput(portaudio.StreamOptions{Device: cfg.Input, Rate: rate})
//			if err != nil {
//				return nil, err
//			}
//			return in, nil
//		},
//		Output: func(rate int) (audio.Sink, error) {
//			out, err := host.OpenOutput(portaudio.StreamOptions{Device: cfg.Output, Rate: rate})
//			if err != nil {
//				return nil, err
//			}
//			return out, nil
//		},
//	}
//
// A nil function behaves as Null.
type DeviceFuncs struct {
	Input  func(rate int) (audio.Source, error)
	Output func(rate int) (audio.Sink, error)
}

// OpenInput implements AudioDevices.
func (d DeviceFuncs) OpenInput(rate int) (audio.Source, error) {
	if d.Input == nil {
		return Null{}.OpenInput(rate)
	}
	return d.Input(rate)
}

// OpenOutput implements AudioDevices.
func (d DeviceFuncs) OpenOutput(rate int) (audio.Sink, error) {
	if d.Output == nil {
		return Null{}.OpenOutput(rate)
	}
	return d.Output(rate)
}
