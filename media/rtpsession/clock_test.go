package rtpsession

import (
	"math"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teaphone/teaphone/media/audio"
)

// pollTone is a Poller source: a tone generator, always one frame ready.
type pollTone struct {
	tone  *audio.Tone
	polls atomic.Int64
}

func (p *pollTone) Read(f []int16) (int, error) { return p.tone.Read(f) }
func (p *pollTone) SampleRate() int             { return p.tone.SampleRate() }
func (p *pollTone) Close() error                { return nil }
func (p *pollTone) Poll(f []int16) int {
	p.polls.Add(1)
	n, _ := p.tone.Read(f)
	return n
}

func (c *Clock) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stop != nil
}

// TestSharedClock: ten calls on one clock, each a tone through a polled
// source to a recording sink. Every call gets its tone, every session
// starts on the clock's grid, and the clock's goroutine ends with the last
// session.
func TestSharedClock(t *testing.T) {
	clk := NewClock()
	const calls = 10
	type call struct {
		a, b *Session
		rec  *recSink
		src  *pollTone
	}
	var cs []call
	for i := range calls {
		src := &pollTone{tone: audio.NewTone(8000, 500+100*float64(i), toneDB)}
		a, b, rec := pair(t, Options{Source: src, Clock: clk}, Options{Clock: clk})
		cs = append(cs, call{a, b, rec, src})
	}
	if !clk.running() {
		t.Fatal("clock not running with sessions on it")
	}
	for i, c := range cs {
		for _, s := range []*Session{c.a, c.b} {
			if off := s.start.Sub(clk.epoch) % s.ptime; off != 0 {
				t.Errorf("call %d: session start %v off the %v grid", i, off, s.ptime)
			}
		}
		if c.a.capCh != nil {
			t.Errorf("call %d: a polled source got a capture goroutine", i)
		}
	}
	for i, c := range cs {
		waitSink(t, c.rec, 5*time.Second, "1 s of audio", func() bool { return c.rec.len() >= 8000 })
		pcm := c.rec.samples()
		last := pcm[len(pcm)-4000:]
		freq := 500 + 100*float64(i)
		if level := medianFrameLevel(last, freq); math.Abs(level-toneDB) > 1 {
			t.Errorf("call %d: %.0f Hz at %.2f dBFS, want %.1f ± 1", i, freq, level, toneDB)
		}
		if c.src.polls.Load() == 0 {
			t.Errorf("call %d: source never polled", i)
		}
	}
	for _, c := range cs {
		c.a.Close()
		c.b.Close()
	}
	if clk.running() {
		t.Error("clock still running after its last session closed")
	}
	// The clock starts again for a new session.
	s := newSession(t, Options{Clock: clk, Remote: netip.MustParseAddrPort("127.0.0.1:9")})
	if !clk.running() {
		t.Error("clock not restarted by a new session")
	}
	s.Close()
	if clk.running() {
		t.Error("clock still running after its session closed")
	}
}

// closeSink fails the test if anything is written after closed is set.
type closeSink struct {
	t      *testing.T
	closed atomic.Bool
	wrote  chan struct{}
}

func (c *closeSink) Write(f []int16) (int, error) {
	if c.closed.Load() {
		c.t.Error("sink written after Close returned")
	}
	select {
	case c.wrote <- struct{}{}:
	default:
	}
	return len(f), nil
}
func (c *closeSink) SampleRate() int { return 8000 }
func (c *closeSink) Close() error    { return nil }

// TestClockCloseIsFinal: sessions closed while the shared clock runs
// others never see their sink or source used after Close returns.
func TestClockCloseIsFinal(t *testing.T) {
	clk := NewClock()
	keep := newSession(t, Options{Clock: clk, Remote: netip.MustParseAddrPort("127.0.0.1:9")})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				sink := &closeSink{t: t, wrote: make(chan struct{}, 1)}
				s, err := New(Options{LocalAddr: loopback, Codec: keep.opts.Codec, Clock: clk, Sink: sink,
					Source: &pollTone{tone: audio.NewTone(8000, 440, toneDB)}, Remote: netip.MustParseAddrPort("127.0.0.1:9")})
				if err != nil {
					t.Error(err)
					return
				}
				select {
				case <-sink.wrote:
				case <-time.After(2 * time.Second):
					t.Error("no playout within 2 s")
				}
				s.Close()
				sink.closed.Store(true)
			}
		})
	}
	wg.Wait()
	if !clk.running() {
		t.Error("clock stopped while a session is still on it")
	}
}
