package siptest

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// MTUMode says what happens to a datagram larger than the link MTU.
type MTUMode int

const (
	// MTUDrop silently drops oversized datagrams (like a router that drops
	// instead of fragmenting). WriteTo reports success.
	MTUDrop MTUMode = iota
	// MTUError makes WriteTo fail with an error wrapping syscall.EMSGSIZE,
	// as a socket with the don't-fragment bit does.
	MTUError
)

// LinkConfig holds the impairments applied to datagrams travelling over a
// link (one direction, from → to). The zero value is a perfect link.
type LinkConfig struct {
	// Loss is the probability (0..1) that a datagram is dropped.
	Loss float64
	// Delay is the fixed one-way delay.
	Delay time.Duration
	// Jitter adds a uniform random delay in [0, Jitter). Jitter alone keeps
	// datagrams in order on the link; use Reorder or Swap to reorder.
	Jitter time.Duration
	// Duplicate is the probability (0..1) that a datagram is delivered twice.
	Duplicate float64
	// Reorder is the probability (0..1) that a datagram gets an extra
	// uniform random delay in [0, ReorderDelay) and is then free to overtake
	// or be overtaken by its neighbours.
	Reorder      float64
	ReorderDelay time.Duration
	// Swap is the probability (0..1) that a datagram is held back and
	// delivered right after the next datagram on the same link (at most
	// SwapHold later if no next datagram comes; default 100ms).
	Swap     float64
	SwapHold time.Duration
	// MTU, when > 0, is the largest datagram payload carried; larger ones
	// are handled per MTUMode.
	MTU     int
	MTUMode MTUMode
}

// Options configures a Network. The zero value is a perfect network seeded
// with 1.
type Options struct {
	// Seed seeds the network's random generator (0 means 1).
	Seed uint64
	// Link is the default impairment for every link without its own config.
	Link LinkConfig
	// QueueLen is each PacketConn's receive queue in datagrams (default
	// 1024). Datagrams arriving at a full queue are dropped, as a kernel
	// socket buffer would.
	QueueLen int
	// StreamBuffer is the per-direction buffer of stream connections in
	// bytes (default 256 KiB). Writers block while it is full.
	StreamBuffer int
	// Tap, if set, sees every datagram and stream write (see Datagram).
	// It runs on the sender's goroutine (or a timer goroutine for late
	// drops) and must not block.
	Tap func(Datagram)
}

// Datagram is one record of traffic on the network.
type Datagram struct {
	ID       uint64 // sequence number; a duplicate has its own ID
	Time     time.Time
	Network  string // "udp" or "tcp"
	From, To netip.AddrPort
	Data     []byte // a private copy; do not modify
	// Delay is the scheduled one-way delay (datagrams only).
	Delay     time.Duration
	Duplicate bool // a copy made by the Duplicate knob
	// Dropped is set when the datagram was not (or will not be) delivered;
	// Reason then says why: "loss", "partition", "mtu", "no listener",
	// "queue full", "closed". A datagram dropped after it was scheduled
	// (its receiver vanished or its queue filled) appears a second time
	// with the same ID, Dropped set and a later Time.
	Dropped bool
	Reason  string
}

// String formats the record for test logs.
func (d Datagram) String() string {
	s := fmt.Sprintf("#%d %s %s→%s %dB", d.ID, d.Network, d.From, d.To, len(d.Data))
	if d.Delay > 0 {
		s += " +" + d.Delay.String()
	}
	if d.Duplicate {
		s += " dup"
	}
	if d.Dropped {
		s += " dropped(" + d.Reason + ")"
	}
	return s
}

// ErrNoRoute is returned by Dial when nothing listens on the target.
var ErrNoRoute = errors.New("siptest: connection refused")

// Network is an in-memory IP network. All methods are safe for concurrent
// use.
type Network struct {
	opts Options

	mu         sync.Mutex
	rng        *rand.Rand
	links      map[linkKey]LinkConfig
	partitions map[linkKey]bool
	partChange chan struct{} // closed and replaced when partitions change
	packets    map[netip.AddrPort]*PacketConn
	listeners  map[netip.AddrPort]*Listener
	streams    map[*Conn]struct{}
	usedPorts  map[portKey]bool
	nextPort   map[netip.Addr]uint16
	taps       []func(Datagram)
	nextID     uint64
	closed     bool

	// Delivery scheduler: one heap and one timer for the whole network,
	// ordered by (at, seq), so delivery order is deterministic.
	queue    deliveryHeap
	seq      uint64
	timer    *time.Timer
	timerAt  time.Time
	lastAt   map[linkKey]time.Time // per-link FIFO clamp
	held     map[linkKey]*delivery // Swap knob: datagram waiting for a successor
	dropsOut []Datagram            // late drops to report after unlocking
}

type linkKey struct{ from, to string }

type portKey struct {
	network string
	ap      netip.AddrPort
}

// NewNetwork returns an empty network.
func NewNetwork(opts Options) *Network {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 1024
	}
	if opts.StreamBuffer <= 0 {
		opts.StreamBuffer = 256 << 10
	}
	n := &Network{
		opts:       opts,
		rng:        rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		links:      map[linkKey]LinkConfig{},
		partitions: map[linkKey]bool{},
		partChange: make(chan struct{}),
		packets:    map[netip.AddrPort]*PacketConn{},
		listeners:  map[netip.AddrPort]*Listener{},
		streams:    map[*Conn]struct{}{},
		usedPorts:  map[portKey]bool{},
		nextPort:   map[netip.Addr]uint16{},
		lastAt:     map[linkKey]time.Time{},
		held:       map[linkKey]*delivery{},
	}
	if opts.Tap != nil {
		n.taps = append(n.taps, opts.Tap)
	}
	return n
}

// SetDefaultLink replaces the impairment used by links without their own.
func (n *Network) SetDefaultLink(cfg LinkConfig) {
	n.mu.Lock()
	n.opts.Link = cfg
	n.mu.Unlock()
}

// SetLink sets the impairment for datagrams from → to. Each side is either
// "ip:port" or a bare "ip" meaning any port on that host. A more specific
// link wins over a less specific one (exact pair, then from-host, then
// to-host, then both hosts).
func (n *Network) SetLink(from, to string, cfg LinkConfig) error {
	k, err := makeLinkKey(from, to)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.links[k] = cfg
	n.mu.Unlock()
	return nil
}

// ClearLink removes a per-link impairment set with SetLink.
func (n *Network) ClearLink(from, to string) error {
	k, err := makeLinkKey(from, to)
	if err != nil {
		return err
	}
	n.mu.Lock()
	delete(n.links, k)
	n.mu.Unlock()
	return nil
}

// Partition cuts a from b (both directions) while on is true: datagrams
// are dropped with Reason "partition", stream dials hang until their
// context ends, and data on established streams is held (writes succeed
// until the buffer fills, reads see nothing) until the partition heals,
// as TCP retransmission would. a and b are "ip:port" or bare "ip".
func (n *Network) Partition(a, b string, on bool) error {
	k1, err := makeLinkKey(a, b)
	if err != nil {
		return err
	}
	k2 := linkKey{k1.to, k1.from}
	n.mu.Lock()
	if on {
		n.partitions[k1], n.partitions[k2] = true, true
	} else {
		delete(n.partitions, k1)
		delete(n.partitions, k2)
	}
	close(n.partChange)
	n.partChange = make(chan struct{})
	n.mu.Unlock()
	return nil
}

// streamGate reports whether stream data from → to is held back by a
// partition, and a channel closed at the next partition change.
func (n *Network) streamGate(from, to netip.AddrPort) (bool, chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.partitionedLocked(from, to), n.partChange
}

// AddTap registers fn to see every datagram (see Options.Tap).
func (n *Network) AddTap(fn func(Datagram)) {
	n.mu.Lock()
	n.taps = append(n.taps, fn)
	n.mu.Unlock()
}

// Close closes every socket, listener and connection and cancels pending
// deliveries. It starts no goroutine and waits for none.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	if n.timer != nil {
		n.timer.Stop()
	}
	n.queue = nil
	pcs := make([]*PacketConn, 0, len(n.packets))
	for _, pc := range n.packets {
		pcs = append(pcs, pc)
	}
	ls := make([]*Listener, 0, len(n.listeners))
	for _, l := range n.listeners {
		ls = append(ls, l)
	}
	cs := make([]*Conn, 0, len(n.streams))
	for c := range n.streams {
		cs = append(cs, c)
	}
	n.mu.Unlock()
	for _, pc := range pcs {
		pc.Close()
	}
	for _, l := range ls {
		l.Close()
	}
	for _, c := range cs {
		c.Close()
	}
	return nil
}

// ListenPacket opens a datagram socket. network is "udp", "udp4" or
// "udp6"; address is "ip:port" with a literal IP (port 0 picks a free
// port). The returned *PacketConn implements net.PacketConn and its
// addresses are *net.UDPAddr.
func (n *Network) ListenPacket(network, address string) (*PacketConn, error) {
	if !isUDP(network) {
		return nil, fmt.Errorf("siptest: listen packet %q: unsupported network", network)
	}
	ap, err := parseAddr(address)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, net.ErrClosed
	}
	ap, err = n.bindLocked("udp", ap)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: net.UDPAddrFromAddrPort(ap), Err: err}
	}
	pc := newPacketConn(n, ap)
	n.packets[ap] = pc
	return pc, nil
}

// MustListenPacket is ListenPacket("udp", address) failing t on error.
func (n *Network) MustListenPacket(t TB, address string) *PacketConn {
	t.Helper()
	pc, err := n.ListenPacket("udp", address)
	if err != nil {
		t.Fatalf("siptest: %v", err)
	}
	return pc
}

// TB is the part of testing.TB the helpers use.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

func isUDP(network string) bool {
	return network == "udp" || network == "udp4" || network == "udp6"
}

func isTCP(network string) bool {
	return network == "tcp" || network == "tcp4" || network == "tcp6"
}

// bindLocked reserves ap (allocating a port when ap.Port() is 0).
func (n *Network) bindLocked(kind string, ap netip.AddrPort) (netip.AddrPort, error) {
	if ap.Addr().IsUnspecified() {
		return ap, errors.New("siptest: unspecified address not supported, bind a literal IP")
	}
	if ap.Port() == 0 {
		p := n.nextPort[ap.Addr()]
		if p < 49152 {
			p = 49152
		}
		for range 16384 {
			cand := netip.AddrPortFrom(ap.Addr(), p)
			p++
			if p == 0 {
				p = 49152
			}
			if !n.usedPorts[portKey{kind, cand}] {
				n.nextPort[ap.Addr()] = p
				n.usedPorts[portKey{kind, cand}] = true
				return cand, nil
			}
		}
		return ap, syscall.EADDRINUSE
	}
	if n.usedPorts[portKey{kind, ap}] {
		return ap, syscall.EADDRINUSE
	}
	n.usedPorts[portKey{kind, ap}] = true
	return ap, nil
}

func parseAddr(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ap, fmt.Errorf("siptest: address %q: want literal ip:port: %w", s, err)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

func addrPortOf(a net.Addr) (netip.AddrPort, error) {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	case *net.TCPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	case nil:
		return netip.AddrPort{}, errors.New("siptest: nil address")
	}
	return parseAddr(a.String())
}

// makeLinkKey normalises "ip:port" or "ip" pairs.
func makeLinkKey(from, to string) (linkKey, error) {
	f, err := normHost(from)
	if err != nil {
		return linkKey{}, err
	}
	t, err := normHost(to)
	if err != nil {
		return linkKey{}, err
	}
	return linkKey{f, t}, nil
}

func normHost(s string) (string, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String(), nil
	}
	return "", fmt.Errorf("siptest: address %q: want ip or ip:port", s)
}

// candidates lists the link keys for from→to, most specific first.
func candidates(from, to netip.AddrPort) [4]linkKey {
	fs, ts := from.String(), to.String()
	fh, th := from.Addr().String(), to.Addr().String()
	return [4]linkKey{{fs, ts}, {fh, ts}, {fs, th}, {fh, th}}
}

func (n *Network) linkLocked(from, to netip.AddrPort) LinkConfig {
	for _, k := range candidates(from, to) {
		if c, ok := n.links[k]; ok {
			return c
		}
	}
	return n.opts.Link
}

func (n *Network) partitionedLocked(from, to netip.AddrPort) bool {
	if len(n.partitions) == 0 {
		return false
	}
	for _, k := range candidates(from, to) {
		if n.partitions[k] {
			return true
		}
	}
	return false
}

// chance draws one Bernoulli trial; p <= 0 draws nothing so that enabling
// one knob does not perturb the random sequence of a test without it.
func (n *Network) chanceLocked(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	return n.rng.Float64() < p
}

func (n *Network) uniformLocked(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(n.rng.Int64N(int64(d)))
}

func (n *Network) newRecordLocked(network string, from, to netip.AddrPort, data []byte) Datagram {
	n.nextID++
	return Datagram{ID: n.nextID, Time: time.Now(), Network: network, From: from, To: to, Data: data}
}

// sendDatagram applies the link impairments and delivers or schedules b
// (which the caller gave up ownership of).
func (n *Network) sendDatagram(from, to netip.AddrPort, b []byte) error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return net.ErrClosed
	}
	cfg := n.linkLocked(from, to)
	var recs []Datagram
	rec := n.newRecordLocked("udp", from, to, b)
	switch {
	case cfg.MTU > 0 && len(b) > cfg.MTU:
		rec.Dropped, rec.Reason = true, "mtu"
		recs = append(recs, rec)
		n.mu.Unlock()
		n.emit(recs)
		if cfg.MTUMode == MTUError {
			return syscall.EMSGSIZE
		}
		return nil
	case n.partitionedLocked(from, to):
		rec.Dropped, rec.Reason = true, "partition"
	case n.chanceLocked(cfg.Loss):
		rec.Dropped, rec.Reason = true, "loss"
	}
	if rec.Dropped {
		recs = append(recs, rec)
		n.mu.Unlock()
		n.emit(recs)
		return nil
	}
	copies := 1
	if n.chanceLocked(cfg.Duplicate) {
		copies = 2
	}
	for i := range copies {
		r := rec
		if i > 0 {
			r = n.newRecordLocked("udp", from, to, b)
			r.Duplicate = true
		}
		r.Delay = n.scheduleLocked(cfg, r)
		recs = append(recs, r)
	}
	recs = append(recs, n.dropsOut...)
	n.dropsOut = n.dropsOut[:0]
	n.mu.Unlock()
	n.emit(recs)
	return nil
}

// scheduleLocked delivers r now or queues it, returning the delay used.
func (n *Network) scheduleLocked(cfg LinkConfig, r Datagram) time.Duration {
	now := r.Time
	lk := linkKey{r.From.String(), r.To.String()}
	d := cfg.Delay + n.uniformLocked(cfg.Jitter)
	free := false // exempt from the per-link FIFO clamp
	if n.chanceLocked(cfg.Reorder) {
		d += n.uniformLocked(cfg.ReorderDelay)
		free = true
	}
	at := now.Add(d)
	if !free {
		if last := n.lastAt[lk]; at.Before(last) {
			at = last
		}
		n.lastAt[lk] = at
	}
	del := &delivery{at: at, rec: r}
	// Swap knob: a held datagram is released right after this one.
	if h := n.held[lk]; h != nil {
		delete(n.held, lk)
		n.pushLocked(del)
		if h.index >= 0 {
			heap.Remove(&n.queue, h.index)
		}
		h.at = at
		n.pushLocked(h)
		n.armLocked()
		return at.Sub(now)
	}
	if n.chanceLocked(cfg.Swap) {
		hold := cfg.SwapHold
		if hold <= 0 {
			hold = 100 * time.Millisecond
		}
		del.at = at.Add(hold)
		del.heldKey = &lk
		n.held[lk] = del
		n.pushLocked(del)
		n.armLocked()
		return del.at.Sub(now)
	}
	if !at.After(now) && len(n.queue) == 0 {
		n.deliverLocked(r)
		return 0
	}
	n.pushLocked(del)
	n.armLocked()
	return at.Sub(now)
}

func (n *Network) pushLocked(d *delivery) {
	n.seq++
	d.seq = n.seq
	heap.Push(&n.queue, d)
}

// armLocked (re)starts the single delivery timer for the queue head.
func (n *Network) armLocked() {
	if len(n.queue) == 0 || n.closed {
		return
	}
	head := n.queue[0].at
	if n.timer != nil && n.timerAt.Equal(head) {
		return
	}
	d := time.Until(head)
	n.timerAt = head
	if n.timer == nil {
		n.timer = time.AfterFunc(d, n.fire)
		return
	}
	n.timer.Reset(d)
}

func (n *Network) fire() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	now := time.Now()
	n.timerAt = time.Time{}
	for len(n.queue) > 0 && !n.queue[0].at.After(now) {
		d := heap.Pop(&n.queue).(*delivery)
		if d.heldKey != nil && n.held[*d.heldKey] == d {
			delete(n.held, *d.heldKey)
		}
		n.deliverLocked(d.rec)
	}
	n.armLocked()
	out := n.dropsOut
	n.dropsOut = nil
	n.mu.Unlock()
	n.emit(out)
}

// deliverLocked hands r to its receiver or records a late drop.
func (n *Network) deliverLocked(r Datagram) {
	reason := ""
	pc := n.packets[r.To]
	switch {
	case pc == nil:
		reason = "no listener"
	case !pc.enqueue(packet{data: r.Data, from: r.From}):
		reason = "queue full"
	}
	if reason != "" {
		r.Time, r.Dropped, r.Reason = time.Now(), true, reason
		n.dropsOut = append(n.dropsOut, r)
	}
}

func (n *Network) emit(recs []Datagram) {
	if len(recs) == 0 {
		return
	}
	n.mu.Lock()
	taps := n.taps
	n.mu.Unlock()
	for _, r := range recs {
		for _, t := range taps {
			t(r)
		}
	}
}

type delivery struct {
	at      time.Time
	seq     uint64
	rec     Datagram
	index   int
	heldKey *linkKey
}

type deliveryHeap []*delivery

func (h deliveryHeap) Len() int { return len(h) }
func (h deliveryHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h deliveryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *deliveryHeap) Push(x any) {
	d := x.(*delivery)
	d.index = len(*h)
	*h = append(*h, d)
}
func (h *deliveryHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	d.index = -1
	*h = old[:len(old)-1]
	return d
}
