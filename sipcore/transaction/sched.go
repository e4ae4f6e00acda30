package transaction

import (
	"container/heap"
	"sync"
	"time"
)

// scheduler runs the timers of one Layer on one goroutine: a min-heap of
// deadlines behind a single time.Timer. Compared with a time.AfterFunc per
// timer it starts no goroutine per expiry (two or more per transaction),
// and a stopped timer leaves the heap at once. Callbacks run one at a time
// and must not block: the transaction timers only retransmit over UDP or
// change state (sends that may block, on reliable transports, use
// time.AfterFunc instead; see timerSlot).
type scheduler struct {
	mu     sync.Mutex
	h      entryHeap
	seq    uint64
	timer  *time.Timer
	done   chan struct{}
	exited chan struct{}
	due    []*schedEntry // reused by run
}

// timerOwner is a transaction whose timers the scheduler fires.
type timerOwner interface {
	fire(slot *timerSlot, gen uint32, kind eventKind)
}

// schedEntry is one scheduled timer; it carries the call to make instead
// of a closure, so arming a timer is one allocation.
type schedEntry struct {
	at    time.Time
	seq   uint64 // FIFO among equal deadlines
	idx   int    // position in the heap, -1 when not queued
	owner timerOwner
	slot  *timerSlot
	gen   uint32
	kind  eventKind
}

func newScheduler() *scheduler {
	s := &scheduler{timer: time.NewTimer(time.Hour), done: make(chan struct{}), exited: make(chan struct{})}
	s.timer.Stop()
	go s.run()
	return s
}

// after schedules owner.fire(slot, gen, kind) to run d from now.
func (s *scheduler) after(d time.Duration, owner timerOwner, slot *timerSlot, gen uint32, kind eventKind) *schedEntry {
	e := &schedEntry{at: time.Now().Add(d), owner: owner, slot: slot, gen: gen, kind: kind}
	s.mu.Lock()
	s.seq++
	e.seq = s.seq
	heap.Push(&s.h, e)
	if e.idx == 0 {
		s.timer.Reset(d)
	}
	s.mu.Unlock()
	return e
}

// stop unschedules e (a no-op once it ran or was stopped). The callback
// may still run if it was already taken off the heap; callers guard with
// their own generation counters.
func (s *scheduler) stop(e *schedEntry) {
	s.mu.Lock()
	if e.idx >= 0 {
		heap.Remove(&s.h, e.idx)
		s.shrinkLocked()
	}
	s.mu.Unlock()
}

// shrinkLocked gives back the heap's backing array after a burst.
func (s *scheduler) shrinkLocked() {
	if c := cap(s.h); c > 1024 && len(s.h) < c/4 {
		s.h = append(make(entryHeap, 0, 2*len(s.h)), s.h...)
	}
}

func (s *scheduler) close() {
	close(s.done)
	<-s.exited
	s.timer.Stop()
}

func (s *scheduler) run() {
	defer close(s.exited)
	for {
		select {
		case <-s.timer.C:
		case <-s.done:
			return
		}
		now := time.Now()
		s.mu.Lock()
		due := s.due[:0]
		for len(s.h) > 0 && !s.h[0].at.After(now) {
			due = append(due, heap.Pop(&s.h).(*schedEntry))
		}
		if len(s.h) > 0 {
			s.timer.Reset(s.h[0].at.Sub(now))
		}
		s.shrinkLocked()
		s.mu.Unlock()
		for i, e := range due {
			e.owner.fire(e.slot, e.gen, e.kind)
			due[i] = nil
		}
		s.due = due[:0]
	}
}

type entryHeap []*schedEntry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}
func (h *entryHeap) Push(x any) {
	e := x.(*schedEntry)
	e.idx = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	e.idx = -1
	*h = old[:n-1]
	return e
}
