package rtpsession

import (
	"container/heap"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/teaphone/teaphone/media/codec"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// recSink records everything written and signals each write.
type recSink struct {
	rate int
	mu   sync.Mutex
	pcm  []int16
	tick chan struct{}
}

func newRecSink(rate int) *recSink { return &recSink{rate: rate, tick: make(chan struct{}, 1)} }

func (r *recSink) Write(f []int16) (int, error) {
	r.mu.Lock()
	r.pcm = append(r.pcm, f...)
	r.mu.Unlock()
	select {
	case r.tick <- struct{}{}:
	default:
	}
	return len(f), nil
}
func (r *recSink) SampleRate() int { return r.rate }
func (r *recSink) Close() error    { return nil }
func (r *recSink) samples() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int16(nil), r.pcm...)
}
func (r *recSink) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pcm)
}

// waitSink waits, checking cond after every frame the sink is given, until
// cond holds or timeout passes.
func waitSink(t *testing.T, r *recSink, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-r.tick:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// waitEvent returns the first event of type T from s within timeout,
// collecting the others into skipped.
func waitEvent[T Event](t *testing.T, s *Session, timeout time.Duration) T {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-s.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if e, ok := ev.(T); ok {
				return e
			}
		case <-deadline.C:
			var zero T
			t.Fatalf("no %T within %v", zero, timeout)
			return zero
		}
	}
}

// capture is a raw UDP socket that records the RTP packets sent to it.
type capture struct {
	conn *net.UDPConn
	ch   chan capPkt
	wg   sync.WaitGroup
}

type capPkt struct {
	p    rtp.Packet
	at   time.Time
	from netip.AddrPort
}

func newCapture(t *testing.T) *capture {
	t.Helper()
	c, err := listenUDP(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	cp := &capture{conn: c, ch: make(chan capPkt, 10000)}
	cp.wg.Add(1)
	go func() {
		defer cp.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if isRTCP(buf[:n]) {
				continue
			}
			var p rtp.Packet
			if p.Unmarshal(append([]byte(nil), buf[:n]...)) == nil {
				select {
				case cp.ch <- capPkt{p, time.Now(), from}:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() { c.Close(); cp.wg.Wait() })
	return cp
}

func (c *capture) addr() netip.AddrPort { return c.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// next returns the next captured packet within timeout.
func (c *capture) next(t *testing.T, timeout time.Duration) capPkt {
	t.Helper()
	select {
	case p := <-c.ch:
		return p
	case <-time.After(timeout):
		t.Fatalf("no RTP packet within %v", timeout)
		return capPkt{}
	}
}

// relay is a lossy, jittery UDP relay between two sessions for tests: a
// and b are the relay's two faces. Packets from a's peer go out of b to
// b's peer and back, each direction with its own seeded impairments.
type relay struct {
	a, b  *net.UDPConn
	peerA netip.AddrPort // where face a forwards (session A)
	peerB netip.AddrPort // where face b forwards (session B)
	mu    sync.Mutex
	q     pktHeap
	wake  chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
	seq   int
	toB   impair
	toA   impair
	seed  uint64
	// first RTP sequence number seen each way, -1 before any
	firstToB, firstToA int
	rngToB             *rand.Rand
	rngToA             *rand.Rand
}

// impair: loss fraction (RTP only), base delay and uniform ± jitter.
type impair struct {
	loss   float64
	delay  time.Duration
	jitter time.Duration
}

type heldPkt struct {
	at   time.Time
	seq  int
	data []byte
	out  *net.UDPConn
	to   netip.AddrPort
}

type pktHeap []heldPkt

func (h pktHeap) Len() int { return len(h) }
func (h pktHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h pktHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pktHeap) Push(x any)   { *h = append(*h, x.(heldPkt)) }
func (h *pktHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func newRelay(t *testing.T, seed uint64, toB, toA impair) *relay {
	t.Helper()
	a, err := listenUDP(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := listenUDP(loopback, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{a: a, b: b, wake: make(chan struct{}, 1), done: make(chan struct{}),
		toB: toB, toA: toA, seed: seed, firstToB: -1, firstToA: -1, rngToB: rand.New(rand.NewPCG(seed, 1)), rngToA: rand.New(rand.NewPCG(seed, 2))}
	r.wg.Add(3)
	go func() { defer r.wg.Done(); r.read(a, true) }()
	go func() { defer r.wg.Done(); r.read(b, false) }()
	go func() { defer r.wg.Done(); r.pump() }()
	t.Cleanup(r.close)
	return r
}

func (r *relay) faceA() netip.AddrPort { return r.a.LocalAddr().(*net.UDPAddr).AddrPort() }
func (r *relay) faceB() netip.AddrPort { return r.b.LocalAddr().(*net.UDPAddr).AddrPort() }

func (r *relay) connect(peerA, peerB netip.AddrPort) {
	r.mu.Lock()
	r.peerA, r.peerB = peerA, peerB
	r.mu.Unlock()
}

func (r *relay) close() {
	close(r.done)
	r.a.Close()
	r.b.Close()
	r.wg.Wait()
}

func (r *relay) read(c *net.UDPConn, fromA bool) {
	buf := make([]byte, 1500)
	for {
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		data := append([]byte(nil), buf[:n]...)
		r.mu.Lock()
		imp, rng, out, to := r.toB, r.rngToB, r.b, r.peerB
		if !fromA {
			imp, rng, out, to = r.toA, r.rngToA, r.a, r.peerA
		}
		if !isRTCP(data) && len(data) >= 12 {
			// Decide by the packet's offset in its stream, so two runs with
			// the same seed see the same loss and jitter pattern.
			seq := uint16(data[2])<<8 | uint16(data[3])
			first := &r.firstToB
			if !fromA {
				first = &r.firstToA
			}
			if *first < 0 {
				*first = int(seq)
			}
			salt := uint64(1)
			if !fromA {
				salt = 2
			}
			rng = rand.New(rand.NewPCG(r.seed*4+salt, uint64(seq-uint16(*first))))
		}
		drop := !isRTCP(data) && rng.Float64() < imp.loss
		d := imp.delay
		if imp.jitter > 0 {
			d += time.Duration(rng.Int64N(int64(2*imp.jitter))) - imp.jitter
		}
		if !drop && to.IsValid() {
			r.seq++
			heap.Push(&r.q, heldPkt{at: time.Now().Add(d), seq: r.seq, data: data, out: out, to: to})
		}
		r.mu.Unlock()
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

func (r *relay) pump() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		r.mu.Lock()
		var due []heldPkt
		now := time.Now()
		for r.q.Len() > 0 && !r.q[0].at.After(now) {
			due = append(due, heap.Pop(&r.q).(heldPkt))
		}
		wait := time.Hour
		if r.q.Len() > 0 {
			wait = time.Until(r.q[0].at)
		}
		r.mu.Unlock()
		for _, p := range due {
			_, _ = p.out.WriteToUDPAddrPort(p.data, p.to)
		}
		t.Reset(wait)
		select {
		case <-t.C:
		case <-r.wake:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-r.done:
			return
		}
	}
}

// silentPLC wraps a codec so concealment inserts silence: the baseline
// that real concealment must beat.
type silentPLC struct{ codec.Codec }

func (c silentPLC) NewDecoder() (codec.Decoder, error) {
	d, err := c.Codec.NewDecoder()
	return silentDec{d}, err
}

type silentDec struct{ codec.Decoder }

func (silentDec) Conceal(dst []int16, n int) ([]int16, error) {
	return append(dst, make([]int16, n)...), nil
}

// newSession creates a session on loopback and closes it at cleanup.
func newSession(t *testing.T, o Options) *Session {
	t.Helper()
	if !o.LocalAddr.IsValid() {
		o.LocalAddr = loopback
	}
	if o.Codec == nil {
		o.Codec = codec.PCMU()
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
