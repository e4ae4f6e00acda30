package transport_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/sipcore/transport"
)

const waitTime = 5 * time.Second

func newLayer(t *testing.T, opts transport.Options) *transport.Layer {
	t.Helper()
	if opts.Logger == nil && testing.Verbose() {
		opts.Logger = slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	l, err := transport.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func apOf(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// recv waits for the next inbound message.
func recv(t *testing.T, l *transport.Layer) transport.Inbound {
	t.Helper()
	tm := time.NewTimer(waitTime)
	defer tm.Stop()
	select {
	case in := <-l.Messages():
		return in
	case <-tm.C:
		t.Fatalf("no message within %v", waitTime)
	}
	return transport.Inbound{}
}

// noMessage asserts nothing is queued right now (after the caller has
// synchronised on a later message).
func noMessage(t *testing.T, l *transport.Layer) {
	t.Helper()
	select {
	case in := <-l.Messages():
		t.Errorf("unexpected message %q from %v", in.Msg.StartLine(), in.Remote)
	default:
	}
}

func listenUDP(t *testing.T, addr string) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Skipf("udp %s unavailable: %v", addr, err)
	}
	return pc
}

func listenTCP(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("tcp %s unavailable: %v", addr, err)
	}
	return ln
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func topVia(t *testing.T, m sip.Message) sip.Via {
	t.Helper()
	v, err := m.TopVia()
	if err != nil {
		t.Fatalf("top via: %v", err)
	}
	return v
}

// recorder is a Tracer keeping every event.
type recorder struct {
	mu  sync.Mutex
	evs []transport.TraceEvent
}

func (r *recorder) Trace(ev transport.TraceEvent) {
	ev.Data = bytes.Clone(ev.Data)
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) events() []transport.TraceEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]transport.TraceEvent(nil), r.evs...)
}

// exchange sends an OPTIONS from a to b's target, answers it with 200 over
// in.Source.Reply() and returns what each side received.
func exchange(t *testing.T, a, b *transport.Layer, dst transport.Target) (req, resp transport.Inbound) {
	t.Helper()
	r := siptest.Request(t, sip.MethodOptions, "sip:bob@"+dst.Addr.String())
	must(t, a.Send(t.Context(), r, dst))
	req = recv(t, b)
	rq, ok := req.Msg.(*sip.Request)
	if !ok {
		t.Fatalf("b got %T, want request", req.Msg)
	}
	must(t, b.Send(t.Context(), siptest.Respond(rq, 200), req.Source.Reply()))
	resp = recv(t, a)
	if got, want := resp.Msg.StartLine(), "SIP/2.0 200 OK"; got != want {
		t.Fatalf("a got %q, want %q", got, want)
	}
	return req, resp
}

func TestUDPRportReceived(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			siptest.CheckGoroutines(t)
			hp := net.JoinHostPort(ip, "0")
			a := newLayer(t, transport.Options{FillVia: true})
			b := newLayer(t, transport.Options{})
			apc, bpc := listenUDP(t, hp), listenUDP(t, hp)
			must(t, a.ServePacket(apc))
			must(t, b.ServePacket(bpc))
			dst := transport.Target{Transport: transport.UDP, Addr: apOf(t, bpc.LocalAddr())}
			req, resp := exchange(t, a, b, dst)

			aAddr := apOf(t, apc.LocalAddr())
			v := topVia(t, req.Msg)
			// The UAC filled sent-by and an empty rport (RFC 3581 §3); the
			// server filled rport and received (RFC 3581 §4).
			if got, want := v.Transport, "UDP"; got != want {
				t.Errorf("via transport = %q, want %q", got, want)
			}
			if got, want := v.Port, int(aAddr.Port()); got != want {
				t.Errorf("via port = %d, want %d", got, want)
			}
			if p, ok := v.RPort(); !ok || p != int(aAddr.Port()) {
				t.Errorf("rport = %d,%v; want %d", p, ok, aAddr.Port())
			}
			if got, want := v.Received(), aAddr.Addr().String(); got != want {
				t.Errorf("received = %q, want %q", got, want)
			}
			if req.Source.Transport != transport.UDP || req.Source.Remote != aAddr || req.Source.ConnID != 0 {
				t.Errorf("request source = %+v", req.Source)
			}
			// The response came back to rport and carries the stamped Via.
			if got := topVia(t, resp.Msg); got.Received() != aAddr.Addr().String() {
				t.Errorf("response via received = %q", got.Received())
			}
			if resp.Source.Remote != apOf(t, bpc.LocalAddr()) {
				t.Errorf("response from %v, want %v", resp.Source.Remote, bpc.LocalAddr())
			}
		})
	}
}

// TestReceivedWithoutRport: §18.2.1 adds received only when the sent-by
// host differs from the source, and leaves rport absent.
func TestReceivedWithoutRport(t *testing.T) {
	siptest.CheckGoroutines(t)
	b := newLayer(t, transport.Options{})
	bpc := listenUDP(t, "127.0.0.1:0")
	must(t, b.ServePacket(bpc))
	raw := listenUDP(t, "127.0.0.1:0")
	defer raw.Close()
	for _, tc := range []struct {
		sentBy, wantReceived string
	}{
		{"192.0.2.7:5060", "127.0.0.1"},
		{"127.0.0.1:5060", ""},
	} {
		r := siptest.Request(t, sip.MethodOptions, "sip:bob@"+bpc.LocalAddr().String())
		r.SetTopVia(sip.Via{Transport: "UDP", Host: strings.Split(tc.sentBy, ":")[0], Port: 5060,
			Params: sip.Params{{Name: "branch", Value: sip.NewBranch()}}})
		if _, err := raw.WriteTo([]byte(r.String()), bpc.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		v := topVia(t, recv(t, b).Msg)
		if got := v.Received(); got != tc.wantReceived {
			t.Errorf("sent-by %s: received = %q, want %q", tc.sentBy, got, tc.wantReceived)
		}
		if _, ok := v.RPort(); ok {
			t.Errorf("sent-by %s: rport added without being asked", tc.sentBy)
		}
	}
}

func TestTCPReuseAndResponseOnSameConn(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			siptest.CheckGoroutines(t)
			tr := &recorder{}
			a := newLayer(t, transport.Options{FillVia: true, Tracer: tr})
			b := newLayer(t, transport.Options{})
			bln := listenTCP(t, net.JoinHostPort(ip, "0"))
			must(t, b.ServeTCP(bln))
			dst := transport.Target{Transport: transport.TCP, Addr: apOf(t, bln.Addr())}
			req1, resp1 := exchange(t, a, b, dst)
			req2, resp2 := exchange(t, a, b, dst)
			if req1.ConnID == 0 || req1.ConnID != req2.ConnID {
				t.Errorf("server conn IDs %d, %d: want the same non-zero", req1.ConnID, req2.ConnID)
			}
			if resp1.ConnID == 0 || resp1.ConnID != resp2.ConnID {
				t.Errorf("client conn IDs %d, %d: want the same non-zero", resp1.ConnID, resp2.ConnID)
			}
			if resp1.Local != req1.Remote {
				t.Errorf("response arrived on %v, request left from %v: want the same connection", resp1.Local, req1.Remote)
			}
			if a.ConnCount() != 1 || b.ConnCount() != 1 {
				t.Errorf("conn counts a=%d b=%d, want 1, 1", a.ConnCount(), b.ConnCount())
			}
			if v := topVia(t, req1.Msg); v.Transport != "TCP" {
				t.Errorf("via transport = %q, want TCP", v.Transport)
			}
			// Tracer: two sends and two receives on a, with addresses.
			var sent, got int
			for _, ev := range tr.events() {
				if ev.Transport != transport.TCP || ev.ConnID != resp1.ConnID || ev.Remote != dst.Addr {
					t.Errorf("trace event %+v: wrong transport/conn/remote", ev.Source)
				}
				switch ev.Dir {
				case transport.Sent:
					sent++
					if !bytes.HasPrefix(ev.Data, []byte("OPTIONS ")) {
						t.Errorf("sent trace %q", ev.Data)
					}
				case transport.Received:
					got++
					if !bytes.HasPrefix(ev.Data, []byte("SIP/2.0 200")) {
						t.Errorf("received trace %q", ev.Data)
					}
				}
				if ev.Time.IsZero() {
					t.Error("trace event without time")
				}
			}
			if sent != 2 || got != 2 {
				t.Errorf("trace saw %d sent, %d received; want 2, 2", sent, got)
			}
		})
	}
}

// TestResponseFallbackConnection: when the request's connection is gone,
// §18.2.2 opens a new one to received / sent-by port.
func TestResponseFallbackConnection(t *testing.T) {
	siptest.CheckGoroutines(t)
	a := newLayer(t, transport.Options{FillVia: true})
	aln := listenTCP(t, "127.0.0.1:0")
	must(t, a.ServeTCP(aln))
	b := newLayer(t, transport.Options{})
	bln := listenTCP(t, "127.0.0.1:0")
	must(t, b.ServeTCP(bln))
	dst := transport.Target{Transport: transport.TCP, Addr: apOf(t, bln.Addr())}
	must(t, a.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@"+dst.Addr.String()), dst))
	req := recv(t, b)
	if v := topVia(t, req.Msg); v.Port != int(apOf(t, aln.Addr()).Port()) {
		t.Errorf("via sent-by port %d, want a's listener %v", v.Port, aln.Addr())
	}
	// Pretend the connection died: send with a stale ConnID.
	reply := req.Source.Reply()
	reply.ConnID = 9999
	must(t, b.Send(t.Context(), siptest.Respond(req.Msg.(*sip.Request), 200), reply))
	resp := recv(t, a)
	if resp.Local != apOf(t, aln.Addr()) {
		t.Errorf("response arrived on %v, want a new connection to a's listener %v", resp.Local, aln.Addr())
	}
}

func TestTLS(t *testing.T) {
	siptest.CheckGoroutines(t)
	ca := newCA(t, "teaphone test CA")
	b := newLayer(t, transport.Options{})
	bln := listenTCP(t, "127.0.0.1:0")
	must(t, b.ServeTLS(bln, ca.serverConfig(t, "127.0.0.1", "sip.test")))
	dst := transport.Target{Transport: transport.TLS, Addr: apOf(t, bln.Addr())}

	t.Run("trusted", func(t *testing.T) {
		a := newLayer(t, transport.Options{FillVia: true, CAFile: ca.file(t)})
		req, resp := exchange(t, a, b, dst)
		if req.Transport != transport.TLS || resp.Transport != transport.TLS {
			t.Errorf("transports %s/%s, want TLS", req.Transport, resp.Transport)
		}
		if v := topVia(t, req.Msg); v.Transport != "TLS" {
			t.Errorf("via transport %q, want TLS", v.Transport)
		}
		// IPv6.
		if ln6, err := net.Listen("tcp", "[::1]:0"); err == nil {
			c := newLayer(t, transport.Options{})
			must(t, c.ServeTLS(ln6, ca.serverConfig(t, "::1")))
			req, _ := exchange(t, a, c, transport.Target{Transport: transport.TLS, Addr: apOf(t, ln6.Addr())})
			if !req.Remote.Addr().Is6() {
				t.Errorf("request over IPv6 TLS came from %v", req.Remote)
			}
		} else {
			t.Logf("no IPv6 loopback: %v", err)
		}
		// SNI / verification by host name.
		byName := dst
		byName.Host = "sip.test"
		a2 := newLayer(t, transport.Options{CAFile: ca.file(t)})
		exchange(t, a2, b, byName)
	})
	t.Run("unknown authority", func(t *testing.T) {
		a := newLayer(t, transport.Options{})
		err := a.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@127.0.0.1"), dst)
		var ce *transport.CertificateError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want *CertificateError", err)
		}
		if got, want := ce.Error(), `tls: certificate for 127.0.0.1 signed by unknown authority "teaphone test CA"`; got != want {
			t.Errorf("error = %q, want %q", got, want)
		}
		if !strings.Contains(err.Error(), ce.Error()) {
			t.Errorf("wrapped error %q lost the certificate message", err)
		}
	})
	t.Run("hostname mismatch", func(t *testing.T) {
		a := newLayer(t, transport.Options{CAFile: ca.file(t)})
		wrong := dst
		wrong.Host = "other.test"
		err := a.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@other.test"), wrong)
		var ce *transport.CertificateError
		if !errors.As(err, &ce) || ce.Problem != transport.ProblemHostname {
			t.Fatalf("err = %v, want hostname mismatch", err)
		}
		if got, want := ce.Error(), `tls: certificate for other.test has hostname mismatch: valid for "sip.test", "127.0.0.1"`; got != want {
			t.Errorf("error = %q, want %q", got, want)
		}
	})
	t.Run("expired", func(t *testing.T) {
		c := newLayer(t, transport.Options{})
		cln := listenTCP(t, "127.0.0.1:0")
		cert := ca.issue(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), "127.0.0.1")
		must(t, c.ServeTLS(cln, &tls.Config{Certificates: []tls.Certificate{cert}}))
		a := newLayer(t, transport.Options{CAFile: ca.file(t)})
		err := a.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@127.0.0.1"),
			transport.Target{Transport: transport.TLS, Addr: apOf(t, cln.Addr())})
		var ce *transport.CertificateError
		if !errors.As(err, &ce) || ce.Problem != transport.ProblemExpired {
			t.Fatalf("err = %v, want expired", err)
		}
		if !strings.HasPrefix(ce.Error(), "tls: certificate for 127.0.0.1 expired on ") {
			t.Errorf("error = %q", ce.Error())
		}
	})
}

// TestLargeRequestSwitchesToTCP: §18.1.1.
func TestLargeRequestSwitchesToTCP(t *testing.T) {
	siptest.CheckGoroutines(t)
	a := newLayer(t, transport.Options{FillVia: true})
	apc := listenUDP(t, "127.0.0.1:0")
	must(t, a.ServePacket(apc))
	big := bytes.Repeat([]byte("x"), 1400)

	t.Run("tcp", func(t *testing.T) {
		b := newLayer(t, transport.Options{})
		bpc := listenUDP(t, "127.0.0.1:0")
		must(t, b.ServePacket(bpc))
		// TCP listener on the same port number as the UDP socket.
		bln := listenTCP(t, bpc.LocalAddr().String())
		must(t, b.ServeTCP(bln))
		r := siptest.Request(t, sip.MethodMessage, "sip:bob@"+bpc.LocalAddr().String())
		r.SetContent("text/plain", big)
		dst := transport.Target{Transport: transport.UDP, Addr: apOf(t, bpc.LocalAddr())}
		must(t, a.Send(t.Context(), r, dst))
		in := recv(t, b)
		if in.Transport != transport.TCP {
			t.Errorf("large request arrived over %s, want TCP", in.Transport)
		}
		if v := topVia(t, in.Msg); v.Transport != "TCP" {
			t.Errorf("via transport = %q, want TCP", v.Transport)
		}
		// A small one stays on UDP.
		must(t, a.Send(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@x"), dst))
		if in := recv(t, b); in.Transport != transport.UDP {
			t.Errorf("small request over %s, want UDP", in.Transport)
		}
	})
	t.Run("fallback", func(t *testing.T) {
		b := newLayer(t, transport.Options{})
		bpc := listenUDP(t, "127.0.0.1:0")
		must(t, b.ServePacket(bpc))
		r := siptest.Request(t, sip.MethodMessage, "sip:bob@"+bpc.LocalAddr().String())
		r.SetContent("text/plain", big)
		must(t, a.Send(t.Context(), r, transport.Target{Addr: apOf(t, bpc.LocalAddr())}))
		in := recv(t, b)
		if in.Transport != transport.UDP || topVia(t, in.Msg).Transport != "UDP" {
			t.Errorf("fallback arrived over %s with via %q, want UDP/UDP", in.Transport, topVia(t, in.Msg).Transport)
		}
		if !bytes.Equal(in.Msg.Body(), big) {
			t.Error("body changed")
		}
	})
}

// TestServerAnswersPing: RFC 5626 §3.5.1 CRLFCRLF → CRLF on a stream.
func TestServerAnswersPing(t *testing.T) {
	siptest.CheckGoroutines(t)
	b := newLayer(t, transport.Options{})
	bln := listenTCP(t, "127.0.0.1:0")
	must(t, b.ServeTCP(bln))
	c, err := net.Dial("tcp", bln.Addr().String())
	must(t, err)
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitTime))
	for range 2 {
		if _, err := c.Write([]byte("\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2)
		if _, err := c.Read(buf); err != nil || string(buf) != "\r\n" {
			t.Fatalf("pong = %q, %v; want CRLF", buf, err)
		}
	}
}

// TestMalformedDatagramGets400 and responses for someone else are dropped.
func TestMalformedAndForeignDatagrams(t *testing.T) {
	siptest.CheckGoroutines(t)
	b := newLayer(t, transport.Options{FillVia: true})
	bpc := listenUDP(t, "127.0.0.1:0")
	must(t, b.ServePacket(bpc))
	raw := listenUDP(t, "127.0.0.1:0")
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(waitTime))

	bad := "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbad\r\n" +
		"From: <sip:alice@127.0.0.1>;tag=1\r\n" +
		"To: <sip:bob@127.0.0.1>\r\n" +
		"Call-ID: bad-1\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"This line has no colon\r\n" +
		"Content-Length: 0\r\n\r\n"
	if _, err := raw.WriteTo([]byte(bad), bpc.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, _, err := raw.ReadFrom(buf)
	must(t, err)
	got := string(buf[:n])
	if !strings.HasPrefix(got, "SIP/2.0 400 ") || !strings.Contains(got, "Call-ID: bad-1\r\n") || !strings.Contains(got, "branch=z9hG4bKbad") {
		t.Errorf("answer to malformed request:\n%s", got)
	}
	// A malformed ACK and a malformed response get nothing: the next
	// answer raw sees is the 400 for a later malformed request.
	for _, m := range []string{
		strings.Replace(strings.Replace(bad, "OPTIONS sip", "ACK sip", 1), "bad-1", "bad-ack", 1),
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKx\r\nbroken\r\n\r\n",
		strings.Replace(bad, "bad-1", "bad-2", 1),
	} {
		raw.WriteTo([]byte(m), bpc.LocalAddr())
	}
	n, _, err = raw.ReadFrom(buf)
	must(t, err)
	if got := string(buf[:n]); !strings.Contains(got, "Call-ID: bad-2\r\n") {
		t.Errorf("first answer after ACK and broken response:\n%s\nwant the 400 for bad-2", got)
	}
	// A response whose Via is not ours is dropped (§18.1.2); b's own
	// request's response passes.
	r := siptest.Request(t, sip.MethodOptions, "sip:bob@127.0.0.1")
	foreign := siptest.Respond(r, 200) // Via 192.0.2.1:5060: not b's
	raw.WriteTo([]byte(foreign.String()), bpc.LocalAddr())
	must(t, b.Send(t.Context(), r, transport.Target{Addr: apOf(t, raw.LocalAddr())}))
	n, _, err = raw.ReadFrom(buf)
	must(t, err)
	sent, err := parseRequest(buf[:n])
	must(t, err)
	raw.WriteTo([]byte(siptest.Respond(sent, 200).String()), bpc.LocalAddr())
	in := recv(t, b)
	if in.Msg.IsRequest() || in.Msg.CallID() != r.CallID() || topVia(t, in.Msg).Host != "127.0.0.1" {
		t.Errorf("got %q via %v, want our 200", in.Msg.StartLine(), topVia(t, in.Msg))
	}
	noMessage(t, b)
}

func TestMalformedStreamClosesConnection(t *testing.T) {
	siptest.CheckGoroutines(t)
	b := newLayer(t, transport.Options{Limits: sip.Limits{MaxMessageSize: 2000}})
	bln := listenTCP(t, "127.0.0.1:0")
	must(t, b.ServeTCP(bln))
	for _, junk := range []string{
		"NOT SIP AT ALL\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nContent-Length: 100000\r\n\r\n",
	} {
		c, err := net.Dial("tcp", bln.Addr().String())
		must(t, err)
		c.SetDeadline(time.Now().Add(waitTime))
		c.Write([]byte(junk))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("%q: connection still open", junk)
		}
		c.Close()
		tm := time.NewTimer(waitTime)
		select {
		case e := <-b.ConnErrors():
			if e.Transport != transport.TCP || e.Err == nil {
				t.Errorf("conn error %v", e)
			}
		case <-tm.C:
			t.Errorf("%q: no connection error reported", junk)
		}
		tm.Stop()
	}
}

func TestSendErrors(t *testing.T) {
	siptest.CheckGoroutines(t)
	a := newLayer(t, transport.Options{DialTimeout: time.Second})
	r := siptest.Request(t, sip.MethodOptions, "sip:bob@127.0.0.1")
	if err := a.Send(t.Context(), r, transport.Target{Addr: netip.MustParseAddrPort("127.0.0.1:9")}); !errors.Is(err, transport.ErrNoListener) {
		t.Errorf("udp without socket: %v, want ErrNoListener", err)
	}
	// TCP to a closed port: connection refused.
	ln := listenTCP(t, "127.0.0.1:0")
	addr := apOf(t, ln.Addr())
	ln.Close()
	err := a.Send(t.Context(), r, transport.Target{Transport: transport.TCP, Addr: addr})
	if err == nil || !strings.Contains(err.Error(), "dial") {
		t.Errorf("tcp to closed port: %v", err)
	}
	a.Close()
	if err := a.Send(t.Context(), r, transport.Target{Addr: addr}); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func parseRequest(b []byte) (*sip.Request, error) {
	m, err := sip.Parse(b)
	if err != nil {
		return nil, err
	}
	r, ok := m.(*sip.Request)
	if !ok {
		return nil, fmt.Errorf("not a request: %q", m.StartLine())
	}
	return r, nil
}
