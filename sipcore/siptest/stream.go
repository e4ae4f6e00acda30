package siptest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Listener is an in-memory stream listener. It implements net.Listener;
// its addresses are *net.TCPAddr.
type Listener struct {
	nw      *Network
	network string
	local   netip.AddrPort
	backlog chan *Conn

	closeOnce sync.Once
	closed    chan struct{}
}

var _ net.Listener = (*Listener)(nil)

// Listen opens a stream listener. network is "tcp", "tcp4" or "tcp6" (TLS
// runs on top with crypto/tls as usual); address is a literal "ip:port",
// port 0 picks a free port.
func (n *Network) Listen(network, address string) (*Listener, error) {
	if !isTCP(network) {
		return nil, fmt.Errorf("siptest: listen %q: unsupported network", network)
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
	ap, err = n.bindLocked("tcp", ap)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: net.TCPAddrFromAddrPort(ap), Err: err}
	}
	l := &Listener{nw: n, network: network, local: ap, backlog: make(chan *Conn, 128), closed: make(chan struct{})}
	n.listeners[ap] = l
	return l, nil
}

// MustListen is Listen("tcp", address) failing t on error.
func (n *Network) MustListen(t TB, address string) *Listener {
	t.Helper()
	l, err := n.Listen("tcp", address)
	if err != nil {
		t.Fatalf("siptest: %v", err)
	}
	return l
}

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.backlog:
		return c, nil
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
	}
}

// Close stops the listener; connections not yet accepted are reset.
func (l *Listener) Close() error {
	first := false
	l.closeOnce.Do(func() {
		first = true
		l.nw.mu.Lock()
		close(l.closed)
		if l.nw.listeners[l.local] == l {
			delete(l.nw.listeners, l.local)
		}
		delete(l.nw.usedPorts, portKey{"tcp", l.local})
		l.nw.mu.Unlock()
		for {
			select {
			case c := <-l.backlog:
				c.Close()
			default:
				return
			}
		}
	})
	if !first {
		return &net.OpError{Op: "close", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
	}
	return nil
}

// Addr returns the bound *net.TCPAddr.
func (l *Listener) Addr() net.Addr { return net.TCPAddrFromAddrPort(l.local) }

// Dial connects from the local address from ("" or "ip" or "ip:0" picks a
// free port on that IP; "" uses the target's loopback-like family address
// 192.0.2.254 or 2001:db8::fe) to the listener at to. A partitioned pair
// makes Dial wait until ctx ends, as a real SYN into a black hole would.
func (n *Network) Dial(ctx context.Context, network, from, to string) (*Conn, error) {
	if !isTCP(network) {
		return nil, fmt.Errorf("siptest: dial %q: unsupported network", network)
	}
	rap, err := parseAddr(to)
	if err != nil {
		return nil, err
	}
	var lap netip.AddrPort
	switch {
	case from == "" && rap.Addr().Is4():
		lap = netip.MustParseAddrPort("192.0.2.254:0")
	case from == "":
		lap = netip.MustParseAddrPort("[2001:db8::fe]:0")
	default:
		if a, err := netip.ParseAddr(from); err == nil {
			lap = netip.AddrPortFrom(a.Unmap(), 0)
		} else if lap, err = parseAddr(from); err != nil {
			return nil, err
		}
	}
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: network, Source: net.TCPAddrFromAddrPort(lap), Addr: net.TCPAddrFromAddrPort(rap), Err: err}
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, opErr(net.ErrClosed)
	}
	if n.partitionedLocked(lap, rap) {
		n.mu.Unlock()
		<-ctx.Done()
		return nil, opErr(ctx.Err())
	}
	l := n.listeners[rap]
	if l == nil {
		n.mu.Unlock()
		return nil, opErr(ErrNoRoute)
	}
	lap, err = n.bindLocked("tcp", lap)
	if err != nil {
		n.mu.Unlock()
		return nil, opErr(err)
	}
	a2b := newPipeBuf(n.opts.StreamBuffer)
	b2a := newPipeBuf(n.opts.StreamBuffer)
	client := newConn(n, lap, rap, b2a, a2b, true)
	server := newConn(n, rap, lap, a2b, b2a, false)
	client.peer, server.peer = server, client
	n.streams[client] = struct{}{}
	n.streams[server] = struct{}{}
	select {
	case l.backlog <- server:
	default:
		delete(n.streams, client)
		delete(n.streams, server)
		delete(n.usedPorts, portKey{"tcp", lap})
		n.mu.Unlock()
		return nil, opErr(ErrNoRoute)
	}
	n.mu.Unlock()
	return client, nil
}

// Dialer returns a dial function (the shape of net.Dialer.DialContext and
// transport.Options.Dial) that connects from localIP.
func (n *Network) Dialer(localIP string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := n.Dial(ctx, network, localIP, addr)
		if err != nil {
			return nil, err // a nil *Conn must not become a non-nil net.Conn
		}
		return c, nil
	}
}

// BreakStreams resets every established stream connection between a and b
// ("ip" or "ip:port"): both ends see their reads and writes fail.
func (n *Network) BreakStreams(a, b string) error {
	k, err := makeLinkKey(a, b)
	if err != nil {
		return err
	}
	n.mu.Lock()
	var victims []*Conn
	for c := range n.streams {
		for _, ck := range candidates(c.local, c.remote) {
			if ck == k || (ck.from == k.to && ck.to == k.from) {
				victims = append(victims, c)
				break
			}
		}
	}
	n.mu.Unlock()
	for _, c := range victims {
		c.reset()
	}
	return nil
}

// Conn is one end of an in-memory stream connection. It implements
// net.Conn with buffered, flow-controlled writes and working deadlines;
// its addresses are *net.TCPAddr. Close on one end makes the other end's
// reads return io.EOF once the buffered data is drained.
type Conn struct {
	nw            *Network
	local, remote netip.AddrPort
	rx, tx        *pipeBuf
	peer          *Conn
	ownsPort      bool

	closeOnce sync.Once
	rd, wd    *deadline
}

var _ net.Conn = (*Conn)(nil)

func newConn(nw *Network, local, remote netip.AddrPort, rx, tx *pipeBuf, ownsPort bool) *Conn {
	return &Conn{nw: nw, local: local, remote: remote, rx: rx, tx: tx, ownsPort: ownsPort, rd: newDeadline(), wd: newDeadline()}
}

// Read reads buffered bytes, waiting for some when none are buffered.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.rx.read(p, c.rd, func() (bool, chan struct{}) { return c.nw.streamGate(c.remote, c.local) })
	if err != nil && err != io.EOF {
		err = &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return n, err
}

// Write copies p into the peer's receive buffer, waiting while it is full.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.tx.write(p, c.wd)
	if n > 0 {
		c.nw.mu.Lock()
		rec := c.nw.newRecordLocked("tcp", c.local, c.remote, append([]byte(nil), p[:n]...))
		c.nw.mu.Unlock()
		c.nw.emit([]Datagram{rec})
	}
	if err != nil {
		err = &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return n, err
}

// Close closes this end: local reads and writes fail with net.ErrClosed,
// the peer reads EOF after the buffered data and its writes fail.
func (c *Conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		c.rx.closeReader()
		c.tx.closeWriter()
		c.rd.stop()
		c.wd.stop()
		c.nw.mu.Lock()
		delete(c.nw.streams, c)
		if c.ownsPort {
			delete(c.nw.usedPorts, portKey{"tcp", c.local})
		}
		c.nw.mu.Unlock()
	})
	if !first {
		return &net.OpError{Op: "close", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: net.ErrClosed}
	}
	return nil
}

// reset breaks the connection in both directions (BreakStreams).
func (c *Conn) reset() {
	c.rx.reset()
	c.tx.reset()
}

// LocalAddr returns the local *net.TCPAddr.
func (c *Conn) LocalAddr() net.Addr { return net.TCPAddrFromAddrPort(c.local) }

// RemoteAddr returns the remote *net.TCPAddr.
func (c *Conn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error { c.rd.set(t); c.wd.set(t); return nil }

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { c.rd.set(t); return nil }

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }

// errConnReset is what a broken stream reports.
var errConnReset = fmt.Errorf("siptest: connection reset by peer")

// pipeBuf is one direction of a stream: a bounded byte buffer with
// channel-based wake-ups (durably blocking under synctest).
type pipeBuf struct {
	mu         sync.Mutex
	buf        []byte
	max        int
	readable   chan struct{} // cap 1: data or EOF may be available
	writable   chan struct{} // cap 1: space may be available
	readerGone chan struct{} // reader closed: writes fail, reads ErrClosed
	writerGone chan struct{} // writer closed: reads drain then EOF
	broken     chan struct{} // reset: everything fails
	rOnce      sync.Once
	wOnce      sync.Once
	bOnce      sync.Once
}

func newPipeBuf(max int) *pipeBuf {
	return &pipeBuf{
		max:        max,
		readable:   make(chan struct{}, 1),
		writable:   make(chan struct{}, 1),
		readerGone: make(chan struct{}),
		writerGone: make(chan struct{}),
		broken:     make(chan struct{}),
	}
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (b *pipeBuf) read(p []byte, dl *deadline, gate func() (bool, chan struct{})) (int, error) {
	for {
		if isClosed(b.readerGone) {
			return 0, net.ErrClosed
		}
		if isClosed(dl.wait()) {
			return 0, os.ErrDeadlineExceeded
		}
		if isClosed(b.broken) {
			return 0, errConnReset
		}
		if held, changed := gate(); held {
			select {
			case <-changed:
			case <-b.readerGone:
			case <-b.broken:
			case <-dl.wait():
			}
			continue
		}
		b.mu.Lock()
		if len(b.buf) > 0 {
			n := copy(p, b.buf)
			b.buf = b.buf[n:]
			if len(b.buf) == 0 {
				b.buf = nil
			}
			more := len(b.buf) > 0
			b.mu.Unlock()
			notify(b.writable)
			if more {
				notify(b.readable)
			}
			return n, nil
		}
		b.mu.Unlock()
		if len(p) == 0 {
			return 0, nil
		}
		if isClosed(b.writerGone) {
			return 0, io.EOF
		}
		select {
		case <-b.readable:
		case <-b.readerGone:
		case <-b.writerGone:
		case <-b.broken:
		case <-dl.wait():
		}
	}
}

func (b *pipeBuf) write(p []byte, dl *deadline) (int, error) {
	written := 0
	for {
		if isClosed(b.writerGone) {
			return written, net.ErrClosed
		}
		if isClosed(dl.wait()) {
			return written, os.ErrDeadlineExceeded
		}
		if isClosed(b.broken) || isClosed(b.readerGone) {
			return written, errConnReset // EPIPE in real life
		}
		b.mu.Lock()
		if room := b.max - len(b.buf); room > 0 {
			n := min(room, len(p)-written)
			b.buf = append(b.buf, p[written:written+n]...)
			written += n
			b.mu.Unlock()
			notify(b.readable)
			if written == len(p) {
				return written, nil
			}
			continue
		}
		b.mu.Unlock()
		select {
		case <-b.writable:
		case <-b.readerGone:
		case <-b.writerGone:
		case <-b.broken:
		case <-dl.wait():
		}
	}
}

func (b *pipeBuf) closeReader() { b.rOnce.Do(func() { close(b.readerGone) }) }
func (b *pipeBuf) closeWriter() { b.wOnce.Do(func() { close(b.writerGone) }) }

func (b *pipeBuf) reset() {
	b.bOnce.Do(func() { close(b.broken) })
	b.mu.Lock()
	b.buf = nil
	b.mu.Unlock()
}
