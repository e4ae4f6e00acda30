package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// Inbound is one parsed message and where it came from.
type Inbound struct {
	Msg sip.Message
	Source
	Time time.Time
}

// Layer is the SIP transport layer (RFC 3261 §18): it serves datagram
// sockets and stream listeners handed to it, keeps a pool of stream
// connections, sends requests and responses, and delivers received
// messages, in order per socket or connection, on Messages.
type Layer struct {
	opts   Options
	parser sip.Parser
	log    *slog.Logger
	// The trust store is built on the first TLS dial: loading the system
	// roots costs ~15 ms and ~5 MB, which a UDP-only agent never needs.
	rootsOnce sync.Once
	roots     *x509.CertPool
	caPEM     []byte // Options.CAFile's certificates, checked by New

	done chan struct{} // closed by Close
	wg   sync.WaitGroup
	msgs chan Inbound
	errs chan *ConnError

	mu        sync.Mutex
	closed    bool
	packets   []*packetPoint
	listeners []*listenPoint
	conns     map[uint64]*conn
	pool      map[poolKey]*conn
	dialing   map[poolKey]*dialCall
	nextID    uint64
	sentBy    map[string]bool // top Via sent-by values we sent (§18.1.2)
}

type packetPoint struct {
	pc    net.PacketConn
	local netip.AddrPort
}

type listenPoint struct {
	ln    net.Listener
	tr    string
	local netip.AddrPort
	cfg   *tls.Config // TLS server config, nil for TCP or pre-wrapped
}

type poolKey struct {
	tr     string
	remote netip.AddrPort
}

type dialCall struct {
	done chan struct{}
	c    *conn
	err  error
}

// maxSentBy bounds the remembered sent-by values.
const maxSentBy = 256

// New returns a Layer. It fails only when Options.CAFile cannot be read.
func New(opts Options) (*Layer, error) {
	opts.setDefaults()
	caPEM, err := readCAFile(opts.CAFile)
	if err != nil {
		return nil, err
	}
	return &Layer{
		opts:    opts,
		parser:  sip.Parser{Limits: opts.Limits},
		log:     opts.Logger,
		caPEM:   caPEM,
		done:    make(chan struct{}),
		msgs:    make(chan Inbound, opts.QueueLen),
		errs:    make(chan *ConnError, 64),
		conns:   map[uint64]*conn{},
		pool:    map[poolKey]*conn{},
		dialing: map[poolKey]*dialCall{},
		sentBy:  map[string]bool{},
	}, nil
}

// Messages delivers received messages, in order per socket and per
// connection. Readers block while it is full.
func (l *Layer) Messages() <-chan Inbound { return l.msgs }

// ConnErrors reports stream connections that failed (see ConnError). It is
// buffered (64); when the reader falls behind, further reports are logged
// and dropped.
func (l *Layer) ConnErrors() <-chan *ConnError { return l.errs }

// goLocked starts f as an owned goroutine; the caller holds l.mu and has
// checked !l.closed.
func (l *Layer) goLocked(f func()) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
}

// ServePacket serves a datagram socket as UDP (RFC 3261 §18 over UDP). The
// layer owns pc from now on and closes it on Close.
func (l *Layer) ServePacket(pc net.PacketConn) error {
	local, err := addrPortOf(pc.LocalAddr())
	if err != nil {
		return err
	}
	pp := &packetPoint{pc: pc, local: local}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.packets = append(l.packets, pp)
	l.goLocked(func() { l.readPackets(pp) })
	return nil
}

// ServeTCP serves a stream listener as TCP. The layer owns ln.
func (l *Layer) ServeTCP(ln net.Listener) error { return l.serveStream(ln, TCP, nil) }

// ServeTLS serves a stream listener as TLS. When ln is a plain listener,
// accepted connections are wrapped with cfg (or Options.ServerTLSConfig);
// a listener from tls.NewListener/tls.Listen is used as is (cfg nil).
func (l *Layer) ServeTLS(ln net.Listener, cfg *tls.Config) error {
	if cfg == nil {
		cfg = l.opts.ServerTLSConfig
	}
	return l.serveStream(ln, TLS, cfg)
}

func (l *Layer) serveStream(ln net.Listener, tr string, cfg *tls.Config) error {
	local, err := addrPortOf(ln.Addr())
	if err != nil {
		return err
	}
	lp := &listenPoint{ln: ln, tr: tr, local: local, cfg: cfg}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.listeners = append(l.listeners, lp)
	l.goLocked(func() { l.acceptLoop(lp) })
	return nil
}

// LocalAddrs lists the served sockets and listeners.
func (l *Layer) LocalAddrs() []Target {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Target
	for _, p := range l.packets {
		out = append(out, Target{Transport: UDP, Addr: p.local})
	}
	for _, lp := range l.listeners {
		out = append(out, Target{Transport: lp.tr, Addr: lp.local})
	}
	return out
}

// Close stops everything: sockets, listeners and connections are closed
// and Close waits for every goroutine of the layer to return.
func (l *Layer) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	pps, lps := l.packets, l.listeners
	cs := make([]*conn, 0, len(l.conns))
	for _, c := range l.conns {
		cs = append(cs, c)
	}
	l.mu.Unlock()
	for _, p := range pps {
		p.pc.Close()
	}
	for _, lp := range lps {
		lp.ln.Close()
	}
	for _, c := range cs {
		c.close(nil)
	}
	l.wg.Wait()
	return nil
}

func (l *Layer) isClosed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// deliver queues in for the reader of Messages, waiting while the queue is
// full; false when the layer closed meanwhile.
func (l *Layer) deliver(in Inbound) bool {
	select {
	case l.msgs <- in:
		return true
	case <-l.done:
		return false
	}
}

func (l *Layer) reportConnError(e *ConnError) {
	select {
	case l.errs <- e:
	default:
		l.log.Debug("transport: connection error queue full, dropping report", "err", e)
	}
}

func (l *Layer) trace(dir Direction, src Source, data []byte) {
	if l.opts.Tracer == nil {
		return
	}
	l.opts.Tracer.Trace(TraceEvent{Dir: dir, Time: time.Now(), Source: src, Data: data})
}

// readPackets is the UDP receive loop of one socket.
func (l *Layer) readPackets(pp *packetPoint) {
	buf := make([]byte, 65536)
	failures := 0
	for {
		n, addr, err := pp.pc.ReadFrom(buf)
		if err != nil {
			if l.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient errors (ICMP port unreachable surfacing as
			// ECONNREFUSED, a deadline someone set): log and go on, but
			// give up on a socket that only fails.
			failures++
			l.log.Debug("transport: udp read", "local", pp.local, "err", err)
			if failures > 1000 {
				l.log.Error("transport: udp socket keeps failing, stop reading", "local", pp.local, "err", err)
				return
			}
			continue
		}
		failures = 0
		data := buf[:n]
		// RFC 5626 §3.5.1 keep-alives (CRLFCRLF) and stray CRLFs.
		if isKeepAlive(data) {
			continue
		}
		remote, err := addrPortOf(addr)
		if err != nil {
			continue
		}
		src := Source{Transport: UDP, Local: pp.local, Remote: remote}
		l.trace(Received, src, data)
		if n > l.opts.Limits.MaxMessageSize {
			l.log.Debug("transport: oversized datagram dropped", "from", remote, "size", n)
			continue
		}
		msg, err := l.parser.Parse(data)
		if err != nil {
			l.badDatagram(pp, src, data, err)
			continue
		}
		if !l.receive(msg, src) {
			return
		}
	}
}

// badDatagram answers a malformed request with 400 where it can (see
// badRequest) and drops everything else.
func (l *Layer) badDatagram(pp *packetPoint, src Source, data []byte, perr error) {
	l.log.Debug("transport: malformed datagram", "from", src.Remote, "err", perr)
	reason := perr.Error()
	reason = strings.TrimPrefix(reason, "sip: ")
	resp := badRequest(data, reason)
	if resp == nil {
		return
	}
	if _, err := pp.pc.WriteTo(resp, net.UDPAddrFromAddrPort(src.Remote)); err != nil {
		l.log.Debug("transport: sending 400", "to", src.Remote, "err", err)
		return
	}
	l.trace(Sent, src, resp)
}

// receive applies the §18.2.1 / §18.1.2 checks and delivers msg; false
// when the layer closed.
func (l *Layer) receive(msg sip.Message, src Source) bool {
	v, err := topVia(msg)
	if err != nil {
		l.log.Debug("transport: message without usable via dropped", "from", src.Remote, "err", err)
		return true
	}
	if isRequest(msg) {
		// §18.2.1: add received when sent-by's host differs from the
		// source address; RFC 3581 §4: with rport present, fill it with
		// the source port and add received unconditionally.
		_, rport := v.RPort()
		if rport || !hostIs(v.Host, src.Remote.Addr()) {
			v.SetReceived(src.Remote.Addr().String())
		}
		if rport {
			v.SetRPort(int(src.Remote.Port()))
		}
		if err := setTopVia(msg, v); err != nil {
			return true
		}
	} else if !l.isOurSentBy(v) {
		// §18.1.2: a response whose top Via is not ours is discarded.
		l.log.Debug("transport: response for another sent-by dropped", "via", v.SentBy(), "from", src.Remote)
		return true
	}
	return l.deliver(Inbound{Msg: msg, Source: src, Time: time.Now()})
}

// hostIs reports whether a Via host (name, IPv4, or [IPv6]) is the IP ip.
func hostIs(host string, ip netip.Addr) bool {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap() == ip.Unmap()
}

func sentByKey(tr, host string, port int) string {
	if port == 0 {
		port = int(DefaultPort(strings.ToUpper(tr)))
	}
	h := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if a, err := netip.ParseAddr(h); err == nil {
		h = a.Unmap().String()
	}
	return h + ":" + strconv.Itoa(port)
}

func (l *Layer) rememberSentBy(v sip.Via) {
	k := sentByKey(v.Transport, v.Host, v.Port)
	l.mu.Lock()
	if !l.sentBy[k] && len(l.sentBy) < maxSentBy {
		l.sentBy[k] = true
	}
	l.mu.Unlock()
}

// isOurSentBy: the sent-by is one we put in a request, or the address of
// one of our sockets or listeners (§18.1.2).
func (l *Layer) isOurSentBy(v sip.Via) bool {
	k := sentByKey(v.Transport, v.Host, v.Port)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sentBy[k] {
		return true
	}
	for _, p := range l.packets {
		if sentByKey(UDP, p.local.Addr().String(), int(p.local.Port())) == k {
			return true
		}
	}
	for _, lp := range l.listeners {
		if sentByKey(lp.tr, lp.local.Addr().String(), int(lp.local.Port())) == k {
			return true
		}
	}
	return false
}

// Send sends msg. A request goes to dst (§18.1.1); a response goes where
// its top Via says (§18.2.2), preferring dst.ConnID for streams and
// dst.Local for the UDP socket — pass Inbound.Source.Reply().
func (l *Layer) Send(ctx context.Context, msg sip.Message, dst Target) error {
	if l.isClosed() {
		return ErrClosed
	}
	if isRequest(msg) {
		return l.sendRequest(ctx, msg, dst)
	}
	return l.sendResponse(ctx, msg, dst)
}

func normTransport(tr string) string {
	if tr == "" {
		return UDP
	}
	return strings.ToUpper(tr)
}

func (l *Layer) sendRequest(ctx context.Context, msg sip.Message, dst Target) error {
	tr := normTransport(dst.Transport)
	if !dst.Addr.IsValid() {
		return fmt.Errorf("transport: send request: %w", ErrNoDestination)
	}
	host := dst.Host
	if host == "" {
		host = dst.Addr.Addr().String()
	}
	if tr != UDP {
		return l.sendStream(ctx, msg, tr, dst, host)
	}
	pp := l.pickPacket(dst.Local, dst.Addr)
	if pp == nil {
		return fmt.Errorf("transport: send to %s: %w", dst, ErrNoListener)
	}
	if err := l.prepareVia(msg, UDP, l.viaAddr(UDP, pp.local, dst.Addr), true); err != nil {
		return err
	}
	b := marshal(msg)
	// §18.1.1: a request within 200 bytes of the path MTU (or larger than
	// 1300 bytes when the MTU is unknown) MUST go over a congestion
	// controlled transport; if that fails, fall back to UDP.
	if len(b) > l.opts.MTU-200 && !dst.UDPOnly {
		tcp := dst
		tcp.ConnID = 0
		err := l.sendStream(ctx, msg, TCP, tcp, host)
		if err == nil {
			return nil
		}
		l.log.Debug("transport: tcp for large request failed, falling back to udp", "to", dst.Addr, "size", len(b), "err", err)
		if err := l.prepareVia(msg, UDP, l.viaAddr(UDP, pp.local, dst.Addr), true); err != nil {
			return err
		}
		b = marshal(msg)
	}
	return l.writePacket(pp, dst.Addr, b)
}

// sendStream sends a request over a pooled or new connection. A pooled
// connection can turn out dead only when written to (the peer closed it
// while idle); then one fresh connection is tried.
func (l *Layer) sendStream(ctx context.Context, msg sip.Message, tr string, dst Target, host string) error {
	c, err := l.getConn(ctx, tr, dst.Addr, host, dst.ConnID)
	if err != nil {
		return err
	}
	err = l.sendOnConn(ctx, c, msg, true)
	if err == nil || dst.ConnID != 0 || ctx.Err() != nil || l.isClosed() {
		return err
	}
	l.log.Debug("transport: pooled connection failed, redialling", "to", dst.Addr, "err", err)
	c, err = l.getConn(ctx, tr, dst.Addr, host, 0)
	if err != nil {
		return err
	}
	return l.sendOnConn(ctx, c, msg, true)
}

func (l *Layer) writePacket(pp *packetPoint, to netip.AddrPort, b []byte) error {
	if _, err := pp.pc.WriteTo(b, net.UDPAddrFromAddrPort(to)); err != nil {
		return fmt.Errorf("transport: udp send to %s: %w", to, err)
	}
	l.trace(Sent, Source{Transport: UDP, Local: pp.local, Remote: to}, b)
	return nil
}

func (l *Layer) sendOnConn(ctx context.Context, c *conn, msg sip.Message, request bool) error {
	if request {
		if err := l.prepareVia(msg, c.tr, l.viaAddr(c.tr, c.local, c.remote), true); err != nil {
			return err
		}
	}
	b := marshal(msg)
	if err := c.write(ctx, b); err != nil {
		return err
	}
	l.trace(Sent, c.source(), b)
	return nil
}

// prepareVia updates the top Via of an outgoing request: with FillVia,
// transport and sent-by (§18.1.1, "the client transport MUST insert ...
// the sent-by"); without, only the transport when it changes (§18.1.1
// switch to TCP); and an empty rport (RFC 3581 §3) unless NoRport.
func (l *Layer) prepareVia(msg sip.Message, tr string, sentBy netip.AddrPort, force bool) error {
	v, err := topVia(msg)
	if err != nil {
		return fmt.Errorf("transport: request needs a via: %w", err)
	}
	if l.opts.FillVia {
		v.Host = l.opts.ViaHost
		if v.Host == "" {
			v.Host = hostString(sentBy.Addr())
		}
		v.Port = int(sentBy.Port())
		v.Transport = tr
	} else if force && !strings.EqualFold(v.Transport, tr) {
		v.Transport = tr
	}
	if !l.opts.NoRport && !v.Params.Has("rport") {
		v.Params = v.Params.Set("rport", "")
	}
	if err := setTopVia(msg, v); err != nil {
		return err
	}
	l.rememberSentBy(v)
	return nil
}

func hostString(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// viaAddr is the sent-by for a request leaving through local towards
// remote: a listener of the same transport and family wins (so that
// §18.2.2 connections back reach us), then the local address itself; an
// unspecified local IP is replaced by the source address the routing table
// picks for remote.
func (l *Layer) viaAddr(tr string, local, remote netip.AddrPort) netip.AddrPort {
	if Reliable(tr) {
		l.mu.Lock()
		for _, lp := range l.listeners {
			if lp.tr == tr && lp.local.Addr().Is4() == remote.Addr().Is4() {
				local = lp.local
				break
			}
		}
		l.mu.Unlock()
	}
	if local.Addr().IsUnspecified() {
		if ip, ok := routeIP(remote); ok {
			local = netip.AddrPortFrom(ip, local.Port())
		}
	}
	return local
}

// routeIP asks the OS which source IP it would use towards dst (a
// connected UDP socket sends nothing).
func routeIP(dst netip.AddrPort) (netip.Addr, bool) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
	if err != nil {
		return netip.Addr{}, false
	}
	defer c.Close()
	ap, err := addrPortOf(c.LocalAddr())
	return ap.Addr(), err == nil
}

// pickPacket chooses the UDP socket: the one bound to local if given, else
// the first of remote's address family (an IPv6 wildcard socket also
// serves IPv4).
func (l *Layer) pickPacket(local, remote netip.AddrPort) *packetPoint {
	l.mu.Lock()
	defer l.mu.Unlock()
	if local.IsValid() {
		for _, p := range l.packets {
			if p.local == local {
				return p
			}
		}
	}
	var wild *packetPoint
	for _, p := range l.packets {
		a := p.local.Addr()
		if a.Is4() == remote.Addr().Is4() {
			if !remote.Addr().IsLoopback() || a.IsLoopback() || a.IsUnspecified() {
				return p
			}
		}
		if a.Is6() && a.IsUnspecified() && wild == nil {
			wild = p
		}
	}
	if wild != nil {
		return wild
	}
	for _, p := range l.packets {
		if p.local.Addr().Is4() == remote.Addr().Is4() {
			return p
		}
	}
	return nil
}

// sendResponse implements §18.2.2 (with RFC 3581 §4 for rport).
func (l *Layer) sendResponse(ctx context.Context, msg sip.Message, dst Target) error {
	v, err := topVia(msg)
	if err != nil {
		return fmt.Errorf("transport: response needs a via: %w", err)
	}
	tr := normTransport(v.Transport)
	b := marshal(msg)
	ip, ok := viaIP(v)
	if !ok {
		ip = dst.Addr.Addr()
	}
	if !ip.IsValid() {
		return fmt.Errorf("transport: response via %q: %w", v.SentBy(), ErrNoDestination)
	}
	if Reliable(tr) {
		// Use the connection the request arrived on.
		if dst.ConnID != 0 {
			if c := l.connByID(dst.ConnID); c != nil {
				err := c.write(ctx, b)
				if err == nil {
					l.trace(Sent, c.source(), b)
					return nil
				}
				l.log.Debug("transport: response on request connection failed, reconnecting", "conn", dst.ConnID, "err", err)
			}
		}
		// Otherwise open one to received (or sent-by) and the sent-by
		// port or the transport's default port.
		port := uint16(v.Port)
		if port == 0 {
			port = DefaultPort(tr)
		}
		to := netip.AddrPortFrom(ip, port)
		c, err := l.getConn(ctx, tr, to, ip.String(), 0)
		if err != nil {
			return err
		}
		if err := c.write(ctx, b); err != nil {
			return err
		}
		l.trace(Sent, c.source(), b)
		return nil
	}
	// UDP: received (or sent-by) IP; rport value, else sent-by port, else
	// 5060. maddr (multicast) is not supported and ignored.
	port := uint16(v.Port)
	if p, present := v.RPort(); present && p != 0 {
		port = uint16(p)
	} else if port == 0 {
		port = 5060
	}
	to := netip.AddrPortFrom(ip, port)
	pp := l.pickPacket(dst.Local, to)
	if pp == nil {
		return fmt.Errorf("transport: send response to %s: %w", to, ErrNoListener)
	}
	return l.writePacket(pp, to, b)
}

// viaIP is received if present, else the sent-by host when it is an IP.
func viaIP(v sip.Via) (netip.Addr, bool) {
	for _, h := range []string{v.Received(), v.Host} {
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if a, err := netip.ParseAddr(h); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

func addrPortOf(a net.Addr) (netip.AddrPort, error) {
	var ap netip.AddrPort
	switch a := a.(type) {
	case *net.UDPAddr:
		ap = a.AddrPort()
	case *net.TCPAddr:
		ap = a.AddrPort()
	case nil:
		return ap, errors.New("transport: nil address")
	default:
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return ap, fmt.Errorf("transport: address %q: %w", a, err)
		}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
