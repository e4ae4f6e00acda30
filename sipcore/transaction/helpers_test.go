package transaction_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

var (
	udpPeer = transaction.Target{Transport: "UDP", Addr: netip.MustParseAddrPort("192.0.2.2:5060")}
	tcpPeer = transaction.Target{Transport: "TCP", Addr: netip.MustParseAddrPort("192.0.2.2:5060")}
)

// sentMsg is one message handed to recTransport.
type sentMsg struct {
	at  time.Duration // since the transport was created
	raw string
	to  transaction.Target
}

// recTransport records every send with its (fake) time; it can be made to
// fail.
type recTransport struct {
	start time.Time
	mu    sync.Mutex
	sent  []sentMsg
	fail  error
}

func newRec() *recTransport { return &recTransport{start: time.Now()} }

func (r *recTransport) Send(_ context.Context, msg sip.Message, to transaction.Target) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, sentMsg{at: time.Since(r.start), raw: msg.String(), to: to})
	return nil
}

func (r *recTransport) setFail(err error) {
	r.mu.Lock()
	r.fail = err
	r.mu.Unlock()
}

func (r *recTransport) all() []sentMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentMsg(nil), r.sent...)
}

// startLines returns the start lines of what was sent, as "at start-line".
func (r *recTransport) times(prefix string) []time.Duration {
	var out []time.Duration
	for _, s := range r.all() {
		if len(s.raw) >= len(prefix) && s.raw[:len(prefix)] == prefix {
			out = append(out, s.at)
		}
	}
	return out
}

func (r *recTransport) last(t *testing.T) sentMsg {
	t.Helper()
	all := r.all()
	if len(all) == 0 {
		t.Fatal("nothing sent")
	}
	return all[len(all)-1]
}

func mustParse(t *testing.T, raw string) sip.Message {
	t.Helper()
	m, err := sip.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return m
}

func mustRequest(t *testing.T, raw string) *sip.Request {
	t.Helper()
	r, ok := mustParse(t, raw).(*sip.Request)
	if !ok {
		t.Fatalf("not a request: %q", raw)
	}
	return r
}

func mustResponse(t *testing.T, raw string) *sip.Response {
	t.Helper()
	r, ok := mustParse(t, raw).(*sip.Response)
	if !ok {
		t.Fatalf("not a response: %q", raw)
	}
	return r
}

// secs turns fractional seconds into a Duration.
func secs(fs ...float64) []time.Duration {
	out := make([]time.Duration, len(fs))
	for i, f := range fs {
		out[i] = time.Duration(f * float64(time.Second))
	}
	return out
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// drain reads every response until the channel closes.
func drain(c *transaction.Client) []*sip.Response {
	var out []*sip.Response
	for r := range c.Responses() {
		out = append(out, r)
	}
	return out
}

func codes(rs []*sip.Response) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.StatusCode
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pcTransport adapts a net.PacketConn (siptest's or a real UDP socket) to
// the transaction layer: Send marshals and writes to the target address;
// serve reads, parses and calls HandleMessage.
type pcTransport struct {
	pc net.PacketConn
	tl *transaction.Layer
}

func (p *pcTransport) Send(_ context.Context, msg sip.Message, to transaction.Target) error {
	b := msg.AppendTo(make([]byte, 0, 1024))
	if u, ok := p.pc.(*net.UDPConn); ok {
		_, err := u.WriteToUDPAddrPort(b, to.Addr)
		return err
	}
	_, err := p.pc.WriteTo(b, net.UDPAddrFromAddrPort(to.Addr))
	return err
}

// serve runs until the PacketConn is closed.
func (p *pcTransport) serve() {
	buf := make([]byte, 65536)
	u, _ := p.pc.(*net.UDPConn)
	for {
		var n int
		var ap netip.AddrPort
		var err error
		if u != nil {
			n, ap, err = u.ReadFromUDPAddrPort(buf)
		} else {
			var a net.Addr
			n, a, err = p.pc.ReadFrom(buf)
			if err == nil {
				ap = a.(*net.UDPAddr).AddrPort()
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		msg, err := sip.Parse(buf[:n])
		if err != nil {
			continue
		}
		p.tl.HandleMessage(msg, transaction.Target{Transport: "UDP", Addr: ap})
	}
}
