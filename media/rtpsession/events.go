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
// blocks on a slow reader and never drops an event while it runs.
type eventQueue struct {
	mu     sync.Mutex
	q      []Event
	wake   chan struct{}
	out    chan Event
	closed chan struct{}
}

func newEventQueue() *eventQueue {
	return &eventQueue{wake: make(chan struct{}, 1), out: make(chan Event), closed: make(chan struct{})}
}

func (e *eventQueue) push(ev Event) {
	e.mu.Lock()
	e.q = append(e.q, ev)
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// run delivers events until stop is closed, then closes the channel.
func (e *eventQueue) run(stop <-chan struct{}) {
	defer close(e.out)
	for {
		e.mu.Lock()
		var ev Event
		if len(e.q) > 0 {
			ev = e.q[0]
			e.q[0] = nil
			e.q = e.q[1:]
		}
		e.mu.Unlock()
		if ev == nil {
			select {
			case <-e.wake:
				continue
			case <-stop:
				return
			}
		}
		select {
		case e.out <- ev:
		case <-stop:
			return
		}
	}
}
