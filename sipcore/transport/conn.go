package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// conn is one stream connection (TCP or TLS), inbound or outbound.
type conn struct {
	l        *Layer
	id       uint64
	tr       string
	nc       net.Conn
	local    netip.AddrPort
	remote   netip.AddrPort
	outbound bool

	wsem       chan struct{} // write token (a channel: durably blocking)
	done       chan struct{}
	closeOnce  sync.Once
	lastActive atomic.Int64  // unix nanos of the last read or write
	activity   chan struct{} // cap 1: bytes were read (keep-alive pong)
	idle       *time.Timer
}

func (c *conn) source() Source {
	return Source{Transport: c.tr, Local: c.local, Remote: c.remote, ConnID: c.id}
}

func (c *conn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// newConnLocked registers nc and starts its goroutines. Caller holds l.mu
// and has checked !l.closed and the connection limit.
func (l *Layer) newConnLocked(nc net.Conn, tr string, outbound bool) (*conn, error) {
	local, err := addrPortOf(nc.LocalAddr())
	if err != nil {
		return nil, err
	}
	remote, err := addrPortOf(nc.RemoteAddr())
	if err != nil {
		return nil, err
	}
	l.nextID++
	c := &conn{
		l: l, id: l.nextID, tr: tr, nc: nc, local: local, remote: remote, outbound: outbound,
		wsem:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		activity: make(chan struct{}, 1),
	}
	c.touch()
	l.conns[c.id] = c
	// Connection reuse: requests to this remote address and responses
	// use the pooled connection (RFC 3261 §18.1.1, §18.2.2).
	k := poolKey{tr, remote}
	if old := l.pool[k]; old == nil {
		l.pool[k] = c
	}
	if l.opts.IdleTimeout > 0 {
		c.idle = time.AfterFunc(l.opts.IdleTimeout, c.checkIdle)
	}
	l.goLocked(c.readLoop)
	if outbound && l.opts.KeepAliveInterval > 0 {
		l.goLocked(c.keepAlive)
	}
	l.log.Debug("transport: connection up", "id", c.id, "transport", tr, "local", local, "remote", remote, "outbound", outbound)
	return c, nil
}

func (l *Layer) connByID(id uint64) *conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conns[id]
}

// ConnCount is the number of open stream connections.
func (l *Layer) ConnCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// getConn returns the connection with ID id (when id != 0), a pooled
// connection to tr/remote, or dials a new one. Concurrent callers for the
// same peer share one dial.
func (l *Layer) getConn(ctx context.Context, tr string, remote netip.AddrPort, host string, id uint64) (*conn, error) {
	if id != 0 {
		if c := l.connByID(id); c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("transport: connection #%d: %w", id, ErrConnGone)
	}
	k := poolKey{tr, remote}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	if c := l.pool[k]; c != nil {
		l.mu.Unlock()
		return c, nil
	}
	if d := l.dialing[k]; d != nil {
		l.mu.Unlock()
		select {
		case <-d.done:
			return d.c, d.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if len(l.conns) >= l.opts.MaxConns {
		l.mu.Unlock()
		return nil, fmt.Errorf("transport: dial %s %s: %w", tr, remote, ErrTooManyConns)
	}
	d := &dialCall{done: make(chan struct{})}
	l.dialing[k] = d
	l.mu.Unlock()

	nc, err := l.dial(ctx, tr, remote, host)
	var c *conn
	l.mu.Lock()
	delete(l.dialing, k)
	if err == nil {
		if l.closed {
			err = ErrClosed
		} else {
			c, err = l.newConnLocked(nc, tr, true)
		}
		if err != nil {
			nc.Close()
		}
	}
	l.mu.Unlock()
	d.c, d.err = c, err
	close(d.done)
	return c, err
}

// dial opens a stream and, for TLS, completes the handshake with
// certificate verification (RFC 3261 §26.3.1, RFC 5922).
func (l *Layer) dial(ctx context.Context, tr string, remote netip.AddrPort, host string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, l.opts.DialTimeout)
	defer cancel()
	// Close aborts dials in progress.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-l.done:
			cancel()
		case <-stop:
		}
	}()
	nc, err := l.opts.Dial(ctx, "tcp", remote.String())
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s %s: %w", tr, remote, err)
	}
	if tr != TLS {
		return nc, nil
	}
	tc := tls.Client(nc, clientTLSConfig(l.opts.TLSConfig, l.trustRoots(), host))
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("transport: dial tls %s: %w", remote, wrapCertError(host, err))
	}
	return tc, nil
}

func (l *Layer) acceptLoop(lp *listenPoint) {
	for {
		nc, err := lp.ln.Accept()
		if err != nil {
			if l.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			l.log.Error("transport: accept failed, listener stopped", "local", lp.local, "err", err)
			return
		}
		if lp.cfg != nil {
			nc = tls.Server(nc, lp.cfg)
		}
		l.mu.Lock()
		if l.closed || len(l.conns) >= l.opts.MaxConns {
			full := !l.closed
			l.mu.Unlock()
			nc.Close()
			if full {
				l.log.Warn("transport: connection limit reached, refusing", "remote", nc.RemoteAddr())
			}
			continue
		}
		_, err = l.newConnLocked(nc, lp.tr, false)
		l.mu.Unlock()
		if err != nil {
			nc.Close()
		}
	}
}

// close tears the connection down once; a non-nil err is reported on
// ConnErrors (unless the layer is closing).
func (c *conn) close(err error) {
	c.closeOnce.Do(func() {
		close(c.done)
		c.nc.Close()
		if c.idle != nil {
			c.idle.Stop()
		}
		l := c.l
		l.mu.Lock()
		delete(l.conns, c.id)
		k := poolKey{c.tr, c.remote}
		if l.pool[k] == c {
			delete(l.pool, k)
		}
		l.mu.Unlock()
		l.log.Debug("transport: connection down", "id", c.id, "remote", c.remote, "err", err)
		if err != nil && !l.isClosed() {
			l.reportConnError(&ConnError{Source: c.source(), Err: err})
		}
	})
}

func (c *conn) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// checkIdle closes the connection after IdleTimeout without traffic.
func (c *conn) checkIdle() {
	idle := time.Since(time.Unix(0, c.lastActive.Load()))
	if rest := c.l.opts.IdleTimeout - idle; rest > 0 {
		c.l.mu.Lock() // c.idle is assigned under l.mu
		t := c.idle
		c.l.mu.Unlock()
		t.Reset(rest)
		return
	}
	c.close(nil)
}

// write sends b whole, one writer at a time.
func (c *conn) write(ctx context.Context, b []byte) error {
	select {
	case c.wsem <- struct{}{}:
	case <-c.done:
		return fmt.Errorf("transport: write to %s: %w", c.remote, ErrConnGone)
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.wsem }()
	if c.isClosed() {
		return fmt.Errorf("transport: write to %s: %w", c.remote, ErrConnGone)
	}
	dl := time.Now().Add(c.l.opts.WriteTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.nc.SetWriteDeadline(dl)
	_, err := c.nc.Write(b)
	if err != nil {
		err = fmt.Errorf("transport: write to %s: %w", c.remote, err)
		c.close(err)
		return err
	}
	c.touch()
	return nil
}

// activityReader notes every successful read (liveness for keep-alives
// and the idle timer).
type activityReader struct{ c *conn }

func (r activityReader) Read(p []byte) (int, error) {
	n, err := r.c.nc.Read(p)
	if n > 0 {
		r.c.touch()
		select {
		case r.c.activity <- struct{}{}:
		default:
		}
	}
	return n, err
}

// readLoop frames and delivers messages; oversized or malformed stream
// data closes the connection (there is no way to resynchronise a stream,
// RFC 3261 §18.3).
func (c *conn) readLoop() {
	l := c.l
	fr := sip.NewFramer(activityReader{c}, l.opts.Limits)
	src := c.source()
	for {
		msg, err := fr.Next()
		if errors.Is(err, sip.ErrKeepAlivePing) {
			// RFC 5626 §3.5.1: answer a CRLFCRLF ping with a CRLF pong.
			if err := c.write(context.Background(), []byte("\r\n")); err != nil {
				return
			}
			continue
		}
		if err != nil {
			switch {
			case c.isClosed() || l.isClosed():
				c.close(nil)
			case errors.Is(err, io.EOF):
				// An orderly close by the peer still ends the flow the
				// upper layers may rely on (RFC 5626 §4.4): report it.
				c.close(fmt.Errorf("transport: closed by peer: %w", io.EOF))
			case errors.Is(err, os.ErrDeadlineExceeded):
				c.close(nil)
			default:
				c.close(err)
			}
			return
		}
		// The framer does not hand out the raw bytes; the faithful
		// serialization of the parsed message (before the §18.2.1 stamp)
		// stands in for them.
		if l.opts.Tracer != nil {
			l.trace(Received, src, marshal(msg))
		}
		if !l.receive(msg, src) {
			return
		}
	}
}

// keepAlive sends RFC 5626 §3.5.1 CRLFCRLF pings every KeepAliveInterval
// and fails the connection when nothing comes back within
// KeepAliveTimeout (§4.4.1).
func (c *conn) keepAlive() {
	l := c.l
	t := time.NewTimer(l.opts.KeepAliveInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-c.done:
			return
		}
		select { // forget activity before the ping
		case <-c.activity:
		default:
		}
		if err := c.write(context.Background(), []byte("\r\n\r\n")); err != nil {
			return
		}
		t.Reset(l.opts.KeepAliveTimeout)
		select {
		case <-c.activity:
		case <-t.C:
			c.close(fmt.Errorf("transport: no pong within %v: %w", l.opts.KeepAliveTimeout, ErrKeepAlive))
			return
		case <-c.done:
			return
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(l.opts.KeepAliveInterval)
	}
}

// KeepAliveUDP sends a CRLFCRLF datagram to dst every interval from the
// matching UDP socket (keeping a NAT binding towards a registrar open,
// RFC 5626 §3.5.1 as widely deployed over UDP) until stop is called or the
// layer closes.
func (l *Layer) KeepAliveUDP(dst Target, interval time.Duration) (stop func(), err error) {
	pp := l.pickPacket(dst.Local, dst.Addr)
	if pp == nil {
		return nil, fmt.Errorf("transport: udp keep-alive to %s: %w", dst, ErrNoListener)
	}
	quit := make(chan struct{})
	var once sync.Once
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	l.goLocked(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if _, err := pp.pc.WriteTo([]byte("\r\n\r\n"), net.UDPAddrFromAddrPort(dst.Addr)); err != nil {
					l.log.Debug("transport: udp keep-alive", "to", dst.Addr, "err", err)
				}
			case <-quit:
				return
			case <-l.done:
				return
			}
		}
	})
	return func() { once.Do(func() { close(quit) }) }, nil
}
