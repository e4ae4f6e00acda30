package rtpsession

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// Clock runs the timed work of RTP sessions — a frame sent every ptime, a
// frame played out half a ptime later, the RTCP reports — on one goroutine.
// Sessions that share a Clock (Options.Clock) start on a common grid of
// frame times (epoch + k·ptime), so one timer wake-up serves all of them:
// N calls cost one wake-up per half frame time instead of 2N, and no
// goroutine per call waits on a timer.
//
// The goroutine exists only while the clock has sessions. The work of the
// sessions runs one after the other on it, so a Source read through
// [Poller] and a Sink write must not block (a Source without Poll is read
// by a goroutine of its own, as before). A session without a Clock gets a
// private one.
type Clock struct {
	epoch time.Time
	wake  chan struct{} // an earlier deadline was added

	mu      sync.Mutex
	h       clockHeap
	members int
	stop    chan struct{} // closed to end the running goroutine
	done    chan struct{} // closed when it has ended
}

// NewClock returns a clock with no sessions (and so no goroutine).
func NewClock() *Clock {
	return &Clock{epoch: time.Now(), wake: make(chan struct{}, 1)}
}

// align returns the first grid point of period p at or after t.
func (c *Clock) align(t time.Time, p time.Duration) time.Time {
	n := (t.Sub(c.epoch) + p - 1) / p
	return c.epoch.Add(n * p)
}

// clockEntry is one session's place in the clock.
type clockEntry struct {
	s       *Session
	at      time.Time // when the session next has work
	idx     int       // index in the heap, -1 while out of it
	removed atomic.Bool
}

type clockHeap []*clockEntry

func (h clockHeap) Len() int           { return len(h) }
func (h clockHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h clockHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *clockHeap) Push(x any) {
	e := x.(*clockEntry)
	e.idx = len(*h)
	*h = append(*h, e)
}
func (h *clockHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.idx = -1
	return e
}

// add schedules s from at on; the goroutine starts with the first session.
func (c *Clock) add(s *Session, at time.Time) *clockEntry {
	e := &clockEntry{s: s, at: at}
	c.mu.Lock()
	heap.Push(&c.h, e)
	c.members++
	if c.stop == nil {
		c.stop, c.done = make(chan struct{}), make(chan struct{})
		go c.run(c.stop, c.done)
	} else if e.idx == 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	return e
}

// remove takes the session out. When it returns, no work of the session
// runs or will run; the last session out also waits for the goroutine to
// end. It must not be called from the clock's goroutine (a Source or Sink).
func (c *Clock) remove(e *clockEntry) {
	c.mu.Lock()
	if e.removed.Load() {
		c.mu.Unlock()
		return
	}
	e.removed.Store(true)
	if e.idx >= 0 {
		heap.Remove(&c.h, e.idx)
	}
	c.members--
	var done chan struct{}
	if c.members == 0 {
		close(c.stop)
		done = c.done
		c.stop, c.done = nil, nil
	}
	c.mu.Unlock()
	// Wait out a tick of this session in progress (it holds tickMu and
	// checks removed under it).
	e.s.tickMu.Lock()
	//lint:ignore SA2001 an empty critical section is the barrier here
	e.s.tickMu.Unlock()
	if done != nil {
		<-done
	}
}

func (c *Clock) run(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var batch []*clockEntry
	sc := newPollScratch()
	for {
		c.mu.Lock()
		select {
		case <-stop:
			c.mu.Unlock()
			return
		default:
		}
		now := time.Now()
		batch = batch[:0]
		for len(c.h) > 0 && !c.h[0].at.After(now) {
			batch = append(batch, heap.Pop(&c.h).(*clockEntry))
		}
		var next time.Time
		if len(c.h) > 0 {
			next = c.h[0].at
		}
		c.mu.Unlock()

		if len(batch) == 0 {
			var timeout <-chan time.Time
			if !next.IsZero() {
				t.Reset(time.Until(next))
				timeout = t.C
			}
			select {
			case <-timeout:
			case <-c.wake:
			case <-stop:
				return
			}
			continue
		}
		for _, e := range batch {
			e.s.tickMu.Lock()
			if !e.removed.Load() {
				e.at = e.s.tick(now, sc)
			}
			e.s.tickMu.Unlock()
		}
		c.mu.Lock()
		for i, e := range batch {
			if !e.removed.Load() {
				heap.Push(&c.h, e)
			}
			batch[i] = nil
		}
		c.mu.Unlock()
	}
}
