package rtpsession

import (
	"net/netip"
	"sync"
	"time"
)

// Event is something the session reports through Events. The concrete
// types are DTMFEvent, InactivityEvent, ResumedEvent, LatchedEvent,
// SSRCChangedEvent and ByeEvent.
type Event interface{ isEvent() }

// DTMFEvent is one received RFC 4733 event, reported once when it ends.
type DTMFEvent struct {
	Digit    rune // '0'-'9', '*', '#', 'A'-'D', '!' (flash)
	Code     uint8
	Duration time.Duration
	// EndLost: no end packet arrived; the event ended by timeout or by the
	// next event.
	EndLost bool
}

// InactivityEvent: no RTP arrived for Options.InactivityTimeout while the
// direction says we should receive.
type InactivityEvent struct{ Silent time.Duration }

// ResumedEvent: RTP arrived again after an InactivityEvent.
type ResumedEvent struct{}

// LatchedEvent: symmetric RTP moved the remote address to where the peer's
// packets really come from.
type LatchedEvent struct{ From, To netip.AddrPort }

// SSRCChangedEvent: the peer's RTP source changed (RFC 3550 §8.2).
type SSRCChangedEvent struct{ Old, New uint32 }

// ByeEvent: the peer sent an RTCP BYE (RFC 3550 §6.6).
type ByeEvent struct{ SSRC uint32 }

func (DTMFEvent) isEvent()        {}
func (InactivityEvent) isEvent()  {}
func (ResumedEvent) isEvent()     {}
func (LatchedEvent) isEvent()     {}
func (SSRCChangedEvent) isEvent() {}
func (ByeEvent) isEvent()         {}

// eventQueue is an unbounded FIFO feeding a channel, so the session never
// blocks on a slow reader and never drops an event while it runs. A
// goroutine delivers the queue while it is not empty and ends when it is:
// a session with no events has none.
type eventQueue struct {
	out     chan Event
	handler func(Event) // instead of out, when set
	stop    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	q       []Event
	running bool
	closed  bool
}

func newEventQueue(handler func(Event)) *eventQueue {
	return &eventQueue{out: make(chan Event), handler: handler, stop: make(chan struct{})}
}

func (e *eventQueue) push(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.q = append(e.q, ev)
	if !e.running {
		e.running = true
		e.wg.Add(1)
		go e.deliver()
	}
}

func (e *eventQueue) deliver() {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		if len(e.q) == 0 {
			e.running = false
			e.mu.Unlock()
			return
		}
		ev := e.q[0]
		e.q[0] = nil
		e.q = e.q[1:]
		e.mu.Unlock()
		if e.handler != nil {
			e.handler(ev)
			continue
		}
		select {
		case e.out <- ev:
		case <-e.stop:
			return
		}
	}
}

// close discards what is queued, waits for the delivering goroutine and
// closes the channel.
func (e *eventQueue) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	close(e.stop)
	e.wg.Wait()
	close(e.out)
}
