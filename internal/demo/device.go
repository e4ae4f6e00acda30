package demo

import (
	"os"
	"sync"
	"time"

	"github.com/teaphone/teaphone/internal/callmedia"
	"github.com/teaphone/teaphone/media/audio"
)

// echoDevices is the echo user's "sound card": whatever its speaker plays
// (the mix of the calls' received audio) comes back out of its microphone
// delay later, so each caller hears themselves. It implements
// callmedia.AudioDevices; both devices pace themselves on the monotonic
// clock like a sound card.
type echoDevices struct {
	line *delayLine
}

var _ callmedia.AudioDevices = echoDevices{}

func newEchoDevices(delay time.Duration) echoDevices {
	return echoDevices{line: &delayLine{delay: delay}}
}

// OpenInput implements callmedia.AudioDevices: the delayed speaker audio.
func (d echoDevices) OpenInput(rate int) (audio.Source, error) {
	return &echoSource{line: d.line, rate: rate, p: newPacer(rate)}, nil
}

// OpenOutput implements callmedia.AudioDevices: the delay line's input.
func (d echoDevices) OpenOutput(rate int) (audio.Sink, error) {
	return &echoSink{line: d.line, rate: rate, p: newPacer(rate)}, nil
}

// delayLine holds written audio stamped with the time it becomes due
// (written + delay). Stamping by time rather than by sample count keeps
// the delay right whichever device opens first and however long one of
// them was closed.
type delayLine struct {
	delay time.Duration

	mu   sync.Mutex
	q    []chunk
	rate int // of the queued chunks; a rate change drops them
}

type chunk struct {
	due time.Time
	s   []int16
}

// maxLate is how long a due chunk may wait for the reader before it is
// dropped as stale (the microphone was closed, or stalled).
const maxLate = 200 * time.Millisecond

func (l *delayLine) write(frame []int16, rate int, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if rate != l.rate {
		l.q, l.rate = nil, rate
	}
	l.dropStale(now) // bounds the queue when nobody reads
	l.q = append(l.q, chunk{due: now.Add(l.delay), s: append([]int16(nil), frame...)})
}

// read fills frame with the audio due at now (silence where none is) and
// returns len(frame).
func (l *delayLine) read(frame []int16, rate int, now time.Time) int {
	clear(frame)
	l.mu.Lock()
	defer l.mu.Unlock()
	if rate != l.rate {
		return len(frame)
	}
	l.dropStale(now)
	n := 0
	for n < len(frame) && len(l.q) > 0 && !l.q[0].due.After(now) {
		c := &l.q[0]
		k := copy(frame[n:], c.s)
		n += k
		if k < len(c.s) {
			c.s = c.s[k:]
			break
		}
		l.q = l.q[1:]
	}
	if len(l.q) == 0 {
		l.q = nil // let the backing array go
	}
	return len(frame)
}

// dropStale drops what is too late to play: it belongs to a past call or
// a stall. l.mu is held.
func (l *delayLine) dropStale(now time.Time) {
	i := 0
	for i < len(l.q) && now.Sub(l.q[i].due) > maxLate {
		i++
	}
	l.q = l.q[i:]
}

type echoSource struct {
	line *delayLine
	rate int
	p    *pacer
}

func (s *echoSource) Read(frame []int16) (int, error) {
	if !s.p.wait(len(frame)) {
		return 0, os.ErrClosed
	}
	return s.line.read(frame, s.rate, time.Now()), nil
}

func (s *echoSource) SampleRate() int { return s.rate }
func (s *echoSource) Close() error    { s.p.close(); return nil }

type echoSink struct {
	line *delayLine
	rate int
	p    *pacer
}

func (s *echoSink) Write(frame []int16) (int, error) {
	s.line.write(frame, s.rate, time.Now())
	if !s.p.wait(len(frame)) {
		return len(frame), os.ErrClosed
	}
	return len(frame), nil
}

func (s *echoSink) SampleRate() int { return s.rate }
func (s *echoSink) Close() error    { s.p.close(); return nil }

// pacer makes a device block like a sound card: the call that hands out
// samples n…n+k returns at start + n/rate (absolute deadlines, so no
// drift). One goroutine uses a device at a time (callmedia's runner);
// close may come from any.
type pacer struct {
	rate  int
	start time.Time
	n     int64
	timer *time.Timer
	done  chan struct{}
	once  sync.Once
}

func newPacer(rate int) *pacer { return &pacer{rate: max(rate, 1), done: make(chan struct{})} }

// wait blocks until the samples handed out so far are due, then accounts
// for k more; false once closed.
func (p *pacer) wait(k int) bool {
	now := time.Now()
	if p.start.IsZero() {
		p.start = now
	}
	due := p.start.Add(time.Duration(p.n * int64(time.Second) / int64(p.rate)))
	p.n += int64(k)
	if now.Sub(due) > maxLate {
		// stalled (suspend, overload): start afresh rather than burst
		p.start, p.n = now, int64(k)
		due = now
	}
	if d := due.Sub(now); d > 0 {
		if p.timer == nil {
			p.timer = time.NewTimer(d)
		} else {
			p.timer.Reset(d)
		}
		select {
		case <-p.timer.C:
		case <-p.done:
			return false
		}
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *pacer) close() {
	p.once.Do(func() {
		close(p.done)
	})
}
