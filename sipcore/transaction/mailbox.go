package transaction

import "sync"

// mailboxCap is the channel buffer of a mailbox; more queued values start a
// pump goroutine, so the state machine never blocks on a slow reader and
// nothing is dropped.
const mailboxCap = 4

// mailbox delivers values to a channel in order without ever blocking the
// sender: values go straight into the buffered channel while it has room;
// beyond that they queue and one pump goroutine (started only then, ended
// when the queue drains or the layer closes) feeds the channel. close
// closes the channel once everything queued has been delivered.
type mailbox[T any] struct {
	mu      sync.Mutex
	ch      chan T
	q       []T
	pumping bool
	closing bool
	closed  bool
	discard bool // nobody reads: drop values (internal transactions)
}

func newMailbox[T any](discard bool) *mailbox[T] {
	m := &mailbox[T]{discard: discard}
	if !discard {
		m.ch = make(chan T, mailboxCap)
	}
	return m
}

// put queues v; l provides the pump's owner (its done channel and wait
// group).
func (m *mailbox[T]) put(l *Layer, v T) {
	if m.discard {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing || m.closed {
		return
	}
	if !m.pumping {
		select {
		case m.ch <- v:
			return
		default:
		}
	}
	m.q = append(m.q, v)
	if !m.pumping {
		m.pumping = true
		if !l.goPump(func() { m.pump(l.done) }) {
			// The layer is closing: nobody will read any more.
			m.pumping = false
			m.q = nil
		}
	}
}

// close closes the channel after the queued values are delivered.
func (m *mailbox[T]) close() {
	if m.discard {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing || m.closed {
		return
	}
	if m.pumping {
		m.closing = true
		return
	}
	m.closed = true
	close(m.ch)
}

func (m *mailbox[T]) pump(done <-chan struct{}) {
	for {
		m.mu.Lock()
		if len(m.q) == 0 {
			m.pumping = false
			if m.closing && !m.closed {
				m.closed = true
				close(m.ch)
			}
			m.mu.Unlock()
			return
		}
		v := m.q[0]
		var zero T
		m.q[0] = zero
		m.q = m.q[1:]
		m.mu.Unlock()
		select {
		case m.ch <- v:
		case <-done:
			m.mu.Lock()
			m.q = nil
			m.pumping = false
			if !m.closed {
				m.closed = true
				close(m.ch)
			}
			m.mu.Unlock()
			return
		}
	}
}
