package transport_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/sipcore/transport"
)

// The same transport, over the in-memory network in fake time.

type simHost struct {
	l   *transport.Layer
	udp *siptest.PacketConn
	tcp *siptest.Listener
}

func newSimHost(t *testing.T, nw *siptest.Network, ip string, opts transport.Options) *simHost {
	t.Helper()
	opts.Dial = nw.Dialer(ip)
	h := &simHost{l: newLayer(t, opts)}
	h.udp = nw.MustListenPacket(t, ip+":5060")
	h.tcp = nw.MustListen(t, ip+":5060")
	must(t, h.l.ServePacket(h.udp))
	must(t, h.l.ServeTCP(h.tcp))
	return h
}

var (
	simA = "192.0.2.1"
	simB = "192.0.2.2"
	bUDP = transport.Target{Transport: transport.UDP, Addr: netip.MustParseAddrPort("192.0.2.2:5060")}
	bTCP = transport.Target{Transport: transport.TCP, Addr: netip.MustParseAddrPort("192.0.2.2:5060")}
)

func TestSimUDPWithDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{Link: siptest.LinkConfig{Delay: 40 * time.Millisecond}})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true})
		b := newSimHost(t, nw, simB, transport.Options{})
		start := time.Now()
		req, _ := exchange(t, a.l, b.l, bUDP)
		if got, want := time.Since(start), 80*time.Millisecond; got != want {
			t.Errorf("round trip %v, want %v", got, want)
		}
		v := topVia(t, req.Msg)
		if v.Host != simA || v.Port != 5060 || v.Received() != simA {
			t.Errorf("via = %v", v)
		}
		if p, _ := v.RPort(); p != 5060 {
			t.Errorf("rport = %d, want 5060", p)
		}
	})
}

// TestSimNATRport: the request leaves from a port other than its sent-by
// (a NAT rewrote it); the response must go to the source port (rport).
func TestSimNATRport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		b := newSimHost(t, nw, simB, transport.Options{})
		natted := nw.MustListenPacket(t, "198.51.100.9:40000")
		r := siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2")
		r.SetTopVia(sip.Via{Transport: "UDP", Host: "10.0.0.5", Port: 5060,
			Params: sip.Params{{Name: "branch", Value: sip.NewBranch()}, {Name: "rport"}}})
		natted.WriteTo([]byte(r.String()), net.UDPAddrFromAddrPort(bUDP.Addr))
		in := recv(t, b.l)
		v := topVia(t, in.Msg)
		if v.Received() != "198.51.100.9" {
			t.Errorf("received = %q", v.Received())
		}
		if p, _ := v.RPort(); p != 40000 {
			t.Errorf("rport = %d, want 40000", p)
		}
		// Reply without hints: the Via alone routes it (§18.2.2, RFC 3581 §4).
		must(t, b.l.Send(t.Context(), siptest.Respond(in.Msg.(*sip.Request), 200), transport.Target{}))
		natted.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 2048)
		n, from, err := natted.ReadFrom(buf)
		must(t, err)
		if !bytes.HasPrefix(buf[:n], []byte("SIP/2.0 200 OK")) || from.String() != "192.0.2.2:5060" {
			t.Errorf("got %q from %v", buf[:n], from)
		}
	})
}

func TestSimTCPReuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true})
		b := newSimHost(t, nw, simB, transport.Options{})
		req1, resp1 := exchange(t, a.l, b.l, bTCP)
		req2, resp2 := exchange(t, a.l, b.l, bTCP)
		if req1.ConnID != req2.ConnID || resp1.ConnID != resp2.ConnID {
			t.Errorf("connections not reused: server %d/%d client %d/%d", req1.ConnID, req2.ConnID, resp1.ConnID, resp2.ConnID)
		}
		if a.l.ConnCount() != 1 || b.l.ConnCount() != 1 {
			t.Errorf("conn counts %d/%d, want 1/1", a.l.ConnCount(), b.l.ConnCount())
		}
		// The Via advertises a's TCP listener, not the ephemeral port.
		if v := topVia(t, req1.Msg); v.Transport != "TCP" || v.Port != 5060 || req1.Remote.Port() == 5060 {
			t.Errorf("via %v from %v", v, req1.Remote)
		}
	})
}

func TestSimLargeRequestSwitchesToTCP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{Link: siptest.LinkConfig{MTU: 1500}})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true})
		b := newSimHost(t, nw, simB, transport.Options{})
		r := siptest.Request(t, sip.MethodMessage, "sip:bob@192.0.2.2")
		r.SetContent("text/plain", bytes.Repeat([]byte("y"), 1050))
		must(t, a.l.Send(t.Context(), r, bUDP))
		if in := recv(t, b.l); in.Transport != transport.TCP {
			t.Errorf("arrived over %s, want TCP", in.Transport)
		}
		// UDPOnly keeps it on UDP (the MTU 1500 link still carries it).
		must(t, a.l.Send(t.Context(), r, transport.Target{Addr: bUDP.Addr, UDPOnly: true}))
		if in := recv(t, b.l); in.Transport != transport.UDP {
			t.Errorf("UDPOnly arrived over %s, want UDP", in.Transport)
		}
	})
}

func TestSimKeepAlivePingPong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		rec := nw.Record()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true, KeepAliveInterval: 30 * time.Second})
		b := newSimHost(t, nw, simB, transport.Options{})
		exchange(t, a.l, b.l, bTCP)
		time.Sleep(95 * time.Second)
		synctest.Wait()
		pings := rec.Filter(siptest.OnNetwork("tcp"), siptest.From(simA), func(d siptest.Datagram) bool { return string(d.Data) == "\r\n\r\n" })
		pongs := rec.Filter(siptest.OnNetwork("tcp"), siptest.From(simB), func(d siptest.Datagram) bool { return string(d.Data) == "\r\n" })
		if len(pings) != 3 || len(pongs) != 3 {
			t.Fatalf("pings %d pongs %d in 95 s at 30 s interval, want 3 and 3", len(pings), len(pongs))
		}
		if got := pings[0].Time.Sub(pings[0].Time.Truncate(time.Hour)); got != 30*time.Second {
			t.Errorf("first ping at %v, want 30s", got)
		}
		if a.l.ConnCount() != 1 {
			t.Errorf("conn count %d, want 1", a.l.ConnCount())
		}
		select {
		case e := <-a.l.ConnErrors():
			t.Errorf("unexpected conn error %v", e)
		default:
		}
	})
}

func TestSimKeepAliveMissingPong(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true, KeepAliveInterval: 30 * time.Second})
		// A mute peer: accepts, reads, never answers.
		mute := nw.MustListen(t, "192.0.2.3:5060")
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			buf := make([]byte, 4096)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
		start := time.Now()
		must(t, a.l.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:x@192.0.2.3"),
			transport.Target{Transport: transport.TCP, Addr: netip.MustParseAddrPort("192.0.2.3:5060")}))
		e := <-a.l.ConnErrors()
		if !errors.Is(e, transport.ErrKeepAlive) || e.Remote.String() != "192.0.2.3:5060" {
			t.Errorf("conn error %v, want keep-alive failure to 192.0.2.3", e)
		}
		if got, want := time.Since(start), 40*time.Second; got != want {
			t.Errorf("flow failure after %v, want %v (30 s interval + 10 s pong timeout)", got, want)
		}
		if a.l.ConnCount() != 0 {
			t.Errorf("conn count %d after failure, want 0", a.l.ConnCount())
		}
		mute.Close()
		<-done
	})
}

func TestSimIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true, IdleTimeout: time.Minute})
		b := newSimHost(t, nw, simB, transport.Options{IdleTimeout: 2 * time.Minute})
		exchange(t, a.l, b.l, bTCP)
		time.Sleep(59 * time.Second)
		synctest.Wait()
		if a.l.ConnCount() != 1 {
			t.Fatalf("closed before idle timeout")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if a.l.ConnCount() != 0 || b.l.ConnCount() != 0 {
			t.Errorf("conn counts %d/%d after a's idle timeout, want 0/0 (b sees EOF)", a.l.ConnCount(), b.l.ConnCount())
		}
		select {
		case e := <-a.l.ConnErrors():
			t.Errorf("idle close reported as error: %v", e)
		default:
		}
		select {
		case e := <-b.l.ConnErrors():
			if !errors.Is(e, io.EOF) {
				t.Errorf("peer close reported as %v, want io.EOF", e)
			}
		default:
			t.Error("peer close not reported to b")
		}
	})
}

func TestSimUDPKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		rec := nw.Record()
		a := newSimHost(t, nw, simA, transport.Options{})
		b := newSimHost(t, nw, simB, transport.Options{})
		stop, err := a.l.KeepAliveUDP(bUDP, 25*time.Second)
		must(t, err)
		time.Sleep(60 * time.Second)
		stop()
		synctest.Wait()
		ka := rec.Filter(siptest.OnNetwork("udp"), siptest.To("192.0.2.2:5060"), siptest.Contains("\r\n\r\n"))
		if len(ka) != 2 {
			t.Errorf("keep-alives in 60 s at 25 s: %d, want 2", len(ka))
		}
		noMessage(t, b.l) // keep-alives are not delivered
	})
}

// TestSimResponseDropsWhenConnGoneAndNoListener: §18.2.2 fallback over
// the in-memory network, and an async error for a broken connection.
func TestSimBrokenConnectionReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true})
		b := newSimHost(t, nw, simB, transport.Options{})
		exchange(t, a.l, b.l, bTCP)
		nw.BreakStreams(simA, simB)
		e := <-a.l.ConnErrors()
		if e.Transport != transport.TCP || e.Remote != bTCP.Addr {
			t.Errorf("conn error %v", e)
		}
		// The next request dials a fresh connection.
		exchange(t, a.l, b.l, bTCP)
	})
}

func TestSimTLS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		ca := newCA(t, "teaphone test CA") // fake time: valid around 2000-01-01
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true, CAFile: ca.file(t)})
		b := newSimHost(t, nw, simB, transport.Options{})
		tlsLn := nw.MustListen(t, simB+":5061")
		cfg := ca.serverConfig(t, "sip.example.test")
		snis := make(chan string, 4)
		cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			snis <- h.ServerName
			return nil, nil
		}
		must(t, b.l.ServeTLS(tlsLn, cfg))
		dst := transport.Target{Transport: transport.TLS, Addr: netip.MustParseAddrPort("192.0.2.2:5061"), Host: "sip.example.test"}
		req, resp := exchange(t, a.l, b.l, dst)
		if req.Transport != transport.TLS || resp.Transport != transport.TLS {
			t.Errorf("transports %s/%s", req.Transport, resp.Transport)
		}
		if got := <-snis; got != "sip.example.test" {
			t.Errorf("SNI = %q, want sip.example.test", got)
		}
		// Same server, wrong expected name.
		other := newSimHost(t, nw, "192.0.2.9", transport.Options{CAFile: ca.file(t)})
		dst.Host = "evil.example.test"
		err := other.l.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:x@evil.example.test"), dst)
		var ce *transport.CertificateError
		if !errors.As(err, &ce) || ce.Problem != transport.ProblemHostname {
			t.Errorf("err = %v, want hostname mismatch", err)
		}
	})
}

func TestSimConnectionLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true, MaxConns: 1})
		b := newSimHost(t, nw, simB, transport.Options{MaxConns: 1})
		c := newSimHost(t, nw, "192.0.2.3", transport.Options{})
		exchange(t, a.l, b.l, bTCP)
		err := a.l.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:x@192.0.2.3"),
			transport.Target{Transport: transport.TCP, Addr: netip.MustParseAddrPort("192.0.2.3:5060")})
		if !errors.Is(err, transport.ErrTooManyConns) {
			t.Errorf("second outbound conn: %v, want ErrTooManyConns", err)
		}
		// b is full too: c's connection is accepted and closed at once.
		err = c.l.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:x@192.0.2.2"), bTCP)
		synctest.Wait()
		if b.l.ConnCount() != 1 {
			t.Errorf("b has %d conns, want 1 (limit)", b.l.ConnCount())
		}
		if err == nil {
			if e := <-c.l.ConnErrors(); e == nil {
				t.Error("c's refused connection not reported")
			}
		}
	})
}

// TestSimConcurrentSendsShareOneDial: parallel requests to one peer dial
// once.
func TestSimConcurrentSendsShareOneDial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true})
		b := newSimHost(t, nw, simB, transport.Options{})
		const n = 10
		errs := make(chan error, n)
		for range n {
			go func() {
				errs <- a.l.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2"), bTCP)
			}()
		}
		ids := map[uint64]bool{}
		for range n {
			must(t, <-errs)
			ids[recv(t, b.l).ConnID] = true
		}
		if len(ids) != 1 || a.l.ConnCount() != 1 {
			t.Errorf("%d server-side conns, %d client conns; want 1, 1", len(ids), a.l.ConnCount())
		}
	})
}

// TestSimCloseWithFullQueue: Close returns (and leaves no goroutine, which
// synctest checks) while readers are blocked on a full Messages queue.
func TestSimCloseWithFullQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true})
		b := newSimHost(t, nw, simB, transport.Options{QueueLen: 1})
		for _, dst := range []transport.Target{bUDP, bUDP, bUDP, bTCP, bTCP} {
			must(t, a.l.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2"), dst))
		}
		synctest.Wait()
		must(t, b.l.Close())
		must(t, a.l.Close())
		if err := a.l.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2"), bUDP); !errors.Is(err, transport.ErrClosed) {
			t.Errorf("send after close: %v", err)
		}
	})
}

// TestSimKeepAliveAcrossPartition: a lost path (NAT binding gone) is
// detected by the missing pong (RFC 5626 §4.4.1).
func TestSimKeepAliveAcrossPartition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{})
		defer nw.Close()
		a := newSimHost(t, nw, simA, transport.Options{FillVia: true, KeepAliveInterval: 30 * time.Second})
		b := newSimHost(t, nw, simB, transport.Options{})
		start := time.Now()
		exchange(t, a.l, b.l, bTCP)
		nw.Partition(simA, simB, true)
		e := <-a.l.ConnErrors()
		if !errors.Is(e, transport.ErrKeepAlive) {
			t.Errorf("conn error %v, want keep-alive failure", e)
		}
		if got := time.Since(start); got != 40*time.Second {
			t.Errorf("detected after %v, want 40s", got)
		}
		nw.Partition(simA, simB, false)
		exchange(t, a.l, b.l, bTCP) // a fresh connection works
	})
}
