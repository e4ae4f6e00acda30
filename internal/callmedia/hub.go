package callmedia

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/teaphone/teaphone/media/audio"
)

// hub owns the one microphone and the one speaker of a Factory and joins
// them to the calls' RTP sessions through ports. Each direction runs in a
// goroutine of its own (a runner) that exists only while something needs
// that device: the input runner while a port is attached, the output runner
// while a port is attached or a tone plays.
//
//	mic ──► input runner ──► every port that sends (not held, not muted)
//	ports that receive + tones ──► audio.Mixer ──► output runner ──► speaker
type hub struct {
	dev   AudioDevices
	rate  int // device-side rate of every port, tone and device
	frame int // samples per ptime at rate
	log   *slog.Logger

	mu     sync.Mutex
	ports  []*port
	tones  []namedTone
	mixer  *audio.Mixer // over ports and tones; rebuilt when they change
	in     *runner
	out    *runner
	closed bool
	wg     sync.WaitGroup // every runner goroutine ever started

	inOpens, outOpens atomic.Int64 // device opens, for tests and logs
}

type namedTone struct {
	name string
	src  audio.Source
}

// runner is one device goroutine; stop asks it to end, done is closed when
// it has closed its device.
type runner struct {
	stop chan struct{}
	done chan struct{}
}

func newHub(dev AudioDevices, rate, frame int, log *slog.Logger) *hub {
	return &hub{dev: dev, rate: rate, frame: frame, log: log}
}

// attach adds a port; the devices open if they were closed.
func (h *hub) attach(p *port) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.ports = append(h.ports, p)
	h.rebuildLocked()
}

// detach removes a port; devices nobody needs any more close.
func (h *hub) detach(p *port) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, q := range h.ports {
		if q == p {
			h.ports = append(h.ports[:i], h.ports[i+1:]...)
			break
		}
	}
	h.rebuildLocked()
}

// setTone starts (src non-nil) or stops the named tone on the speaker.
func (h *hub) setTone(name string, src audio.Source) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	for i, t := range h.tones {
		if t.name == name {
			h.tones = append(h.tones[:i], h.tones[i+1:]...)
			break
		}
	}
	if src != nil {
		h.tones = append(h.tones, namedTone{name, src})
	}
	h.rebuildLocked()
}

func (h *hub) toneOn(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.tones {
		if t.name == name {
			return true
		}
	}
	return false
}

// rebuildLocked recomputes the mix and starts or stops the runners.
func (h *hub) rebuildLocked() {
	srcs := make([]audio.Source, 0, len(h.ports)+len(h.tones))
	for _, p := range h.ports {
		srcs = append(srcs, p.playSource())
	}
	for _, t := range h.tones {
		srcs = append(srcs, t.src)
	}
	// Every source runs at h.rate, so NewMixer cannot fail.
	h.mixer, _ = audio.NewMixer(h.rate, srcs...)

	needIn := len(h.ports) > 0 && !h.closed
	needOut := (len(h.ports) > 0 || len(h.tones) > 0) && !h.closed
	h.in = h.switchRunner(h.in, needIn, h.runInput)
	h.out = h.switchRunner(h.out, needOut, h.runOutput)
}

// switchRunner starts a runner when one is needed and none runs, and stops
// the running one when it is not needed. A new runner waits for the
// previous one to release the device before opening it again.
func (h *hub) switchRunner(r *runner, need bool, run func(*runner)) *runner {
	switch {
	case need && r == nil:
		nr := &runner{stop: make(chan struct{}), done: make(chan struct{})}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer close(nr.done)
			run(nr)
		}()
		return nr
	case !need && r != nil:
		close(r.stop)
		return nil
	}
	return r
}

// close stops both runners and waits until the devices are closed.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	h.ports, h.tones = nil, nil
	h.rebuildLocked()
	h.mu.Unlock()
	h.wg.Wait()
}

func stopped(r *runner) bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// runInput reads the microphone one frame at a time and hands each frame to
// the ports that send.
func (h *hub) runInput(r *runner) {
	src, err := h.dev.OpenInput(h.rate)
	if err != nil {
		h.log.Warn("microphone unavailable; sending silence", "err", err)
		<-r.stop
		return
	}
	h.inOpens.Add(1)
	if src.SampleRate() != h.rate {
		rs, err := audio.NewResampleSource(src, h.rate)
		if err != nil {
			h.log.Warn("microphone rate unusable; sending silence", "rate", src.SampleRate(), "err", err)
			src.Close()
			<-r.stop
			return
		}
		src = rs
	}
	h.log.Debug("microphone open", "rate", h.rate)
	defer func() {
		if err := src.Close(); err != nil {
			h.log.Debug("microphone close", "err", err)
		}
		h.log.Debug("microphone closed")
	}()
	buf := make([]int16, h.frame)
	for !stopped(r) {
		n, err := src.Read(buf)
		if n > 0 {
			h.mu.Lock()
			for _, p := range h.ports {
				p.feed(buf[:n])
			}
			h.mu.Unlock()
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				h.log.Warn("microphone read failed; sending silence", "err", err)
			}
			<-r.stop
			return
		}
	}
}

// runOutput plays the mix of the receiving ports and the tones.
func (h *hub) runOutput(r *runner) {
	dst, err := h.dev.OpenOutput(h.rate)
	if err != nil {
		h.log.Warn("speaker unavailable", "err", err)
		<-r.stop
		return
	}
	h.outOpens.Add(1)
	if dst.SampleRate() != h.rate {
		rs, err := audio.NewResampleSink(dst, h.rate)
		if err != nil {
			h.log.Warn("speaker rate unusable", "rate", dst.SampleRate(), "err", err)
			dst.Close()
			<-r.stop
			return
		}
		dst = rs
	}
	h.log.Debug("speaker open", "rate", h.rate)
	defer func() {
		if err := dst.Close(); err != nil {
			h.log.Warn("speaker close", "err", err)
		}
		h.log.Debug("speaker closed")
	}()
	buf := make([]int16, h.frame)
	for !stopped(r) {
		h.mu.Lock()
		m := h.mixer
		n, _ := m.Read(buf) // sources never fail; an ended tone just drops out
		h.mu.Unlock()
		clear(buf[n:])
		if _, err := dst.Write(buf); err != nil {
			h.log.Warn("speaker write failed", "err", err)
			<-r.stop
			return
		}
	}
}

// port is one session's connection to the hub. The RTP session reads the
// microphone from it (source side) and writes what it plays into it (sink
// side); the hub feeds the first and mixes the second.
type port struct {
	rate, frame int
	sending     atomic.Bool // the hub feeds the microphone to it
	receiving   atomic.Bool // the hub mixes it into the speaker
	txMeter     *audio.Meter
	rxMeter     *audio.Meter

	mu     sync.Mutex
	in     []int16 // microphone samples not yet read by the session
	wake   chan struct{}
	closed chan struct{}
	out    []int16 // played samples not yet mixed
	// silence stands in for the microphone on the meter and recording
	// of a port that does not send; used by the input runner only.
	silence []int16
	primed  bool // out has reached its target fill since the last underrun
	recTx   audio.Sink
	recRx   audio.Sink
}

// Bounds of the two FIFOs, in frames: enough to ride out the scheduling
// jitter between the device clock and the session's clock, small enough to
// add little delay.
const (
	maxInFrames   = 4
	primeFrames   = 2
	maxOutFrames  = 6
	trimOutFrames = 3
)

func newPort(rate, frame int) *port {
	p := &port{rate: rate, frame: frame, wake: make(chan struct{}, 1), closed: make(chan struct{}),
		txMeter: audio.NewMeter(rate), rxMeter: audio.NewMeter(rate)}
	return p
}

// setRecorder installs the two recording taps (nil: none).
func (p *port) setRecorder(tx, rx audio.Sink) {
	p.mu.Lock()
	p.recTx, p.recRx = tx, rx
	p.mu.Unlock()
}

// setFlow says whether the hub feeds the microphone and plays the port.
func (p *port) setFlow(send, recv bool) {
	if p.sending.Swap(send) && !send {
		p.mu.Lock()
		p.in = p.in[:0]
		p.mu.Unlock()
		p.txMeter.Write(make([]int16, p.frame)) // read silence, not a stale level
	}
	p.receiving.Store(recv)
}

// feed is called by the input runner with one microphone frame. A port
// that does not send gets silence on its meter and its recording, so both
// show what the peer hears and the recording stays aligned.
func (p *port) feed(frame []int16) {
	send := p.sending.Load()
	p.mu.Lock()
	rec := p.recTx
	if send {
		p.in = append(p.in, frame...)
		if over := len(p.in) - maxInFrames*p.frame; over > 0 {
			p.in = p.in[:copy(p.in, p.in[over:])] // drop the oldest
		}
	}
	p.mu.Unlock()
	heard := frame
	if !send {
		if len(p.silence) < len(frame) {
			p.silence = make([]int16, len(frame))
		}
		heard = p.silence[:len(frame)]
	}
	p.txMeter.Write(heard)
	if rec != nil {
		_, _ = rec.Write(heard)
	}
	if send {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

func (p *port) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.closed:
	default:
		close(p.closed)
	}
}

// source is what the RTP session reads: the microphone while the port is
// fed. Read blocks until a whole frame is there or the port is closed.
func (p *port) source() audio.Source { return portSource{p} }

type portSource struct{ p *port }

func (s portSource) Read(frame []int16) (int, error) {
	p := s.p
	for {
		if n := s.Poll(frame); n > 0 {
			return n, nil
		}
		select {
		case <-p.wake:
		case <-p.closed:
			return 0, io.EOF
		}
	}
}

// Poll implements rtpsession.Poller, so the session takes the microphone
// on its clock without a goroutine: a whole frame if the input runner has
// delivered one, else 0.
func (s portSource) Poll(frame []int16) int {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.in) < len(frame) {
		return 0
	}
	copy(frame, p.in)
	p.in = p.in[:copy(p.in, p.in[len(frame):])]
	return len(frame)
}

func (s portSource) SampleRate() int { return s.p.rate }
func (s portSource) Close() error    { return nil }

// sink is what the RTP session writes its playout to.
func (p *port) sink() audio.Sink { return portSink{p} }

type portSink struct{ p *port }

func (s portSink) Write(frame []int16) (int, error) {
	p := s.p
	p.rxMeter.Write(frame)
	p.mu.Lock()
	rec := p.recRx
	if p.receiving.Load() {
		p.out = append(p.out, frame...)
		if len(p.out) > maxOutFrames*p.frame {
			// The speaker runs slower than the session: drop the oldest
			// audio down to a short queue.
			over := len(p.out) - trimOutFrames*p.frame
			p.out = p.out[:copy(p.out, p.out[over:])]
		}
	} else {
		p.out, p.primed = p.out[:0], false
	}
	p.mu.Unlock()
	if rec != nil {
		_, _ = rec.Write(frame)
	}
	return len(frame), nil
}

func (s portSink) SampleRate() int { return s.p.rate }
func (s portSink) Close() error    { return nil }

// playSource is what the hub's mixer reads: the session's playout, or
// silence while it is not receiving or has not buffered enough yet.
func (p *port) playSource() audio.Source { return playSource{p} }

type playSource struct{ p *port }

func (s playSource) Read(frame []int16) (int, error) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.primed && len(p.out) >= primeFrames*len(frame) {
		p.primed = true
	}
	if !p.primed || !p.receiving.Load() {
		clear(frame)
		return len(frame), nil
	}
	n := copy(frame, p.out)
	p.out = p.out[:copy(p.out, p.out[n:])]
	if n < len(frame) {
		clear(frame[n:])
		p.primed = false // underrun: build the cushion up again
	}
	return len(frame), nil
}

func (s playSource) SampleRate() int { return s.p.rate }
func (s playSource) Close() error    { return nil }
