package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// deadUDPAddr returns a loopback UDP address with no socket behind it.
func deadUDPAddr(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// sipPeer is a loopback UDP socket answering every datagram with reply,
// or never answering when reply is "". It records what it received.
type sipPeer struct {
	pc   net.PacketConn
	port int
	mu   sync.Mutex
	got  int
	done chan struct{}
}

func newSIPPeer(t *testing.T, reply string) *sipPeer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &sipPeer{pc: pc, port: pc.LocalAddr().(*net.UDPAddr).Port, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		buf := make([]byte, 2048)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			p.mu.Lock()
			p.got++
			p.mu.Unlock()
			if reply != "" {
				_, _ = pc.WriteTo([]byte(reply), from)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-p.done
	})
	return p
}

func (p *sipPeer) received() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got
}

// sendOptions is an attempt: one datagram, wait for one reply until the
// context's deadline; a 503 asks for the next target (RFC 3263 §4.3).
func sendOptions(ctx context.Context, t Target) error {
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(t.AddrPort()))
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := conn.Write([]byte("OPTIONS sip:x SIP/2.0\r\n\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 2048)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	status := string(buf[:n])
	switch {
	case strings.HasPrefix(status, "SIP/2.0 2"):
		return nil
	case strings.HasPrefix(status, "SIP/2.0 503"):
		return fmt.Errorf("503 service unavailable: %w", ErrTryNext)
	default:
		return fmt.Errorf("rejected: %s", strings.TrimSpace(status))
	}
}

func failoverZone(p1, p2 int) []string {
	return []string{
		`pbx.test. 300 IN A 127.0.0.1`,
		fmt.Sprintf(`_sip._udp.pbx.test. 300 IN SRV 10 0 %d first.pbx.test.`, p1),
		fmt.Sprintf(`_sip._udp.pbx.test. 300 IN SRV 20 0 %d second.pbx.test.`, p2),
		`first.pbx.test. 300 IN A 127.0.0.1`,
		`second.pbx.test. 300 IN A 127.0.0.1`,
	}
}

func TestTryFailsOverOnTimeout(t *testing.T) {
	silent := newSIPPeer(t, "")
	good := newSIPPeer(t, "SIP/2.0 200 OK\r\n\r\n")
	srv := newTestDNS(t, failoverZone(silent.port, good.port)...)
	r := newTestResolver(t, srv, func(c *Config) {
		c.AttemptTimeout = 500 * time.Millisecond
		c.NoIPv6 = true
	})
	var tried []int
	got, err := r.Try(t.Context(), Query{Host: "pbx.test", Transport: "udp"}, func(ctx context.Context, tg Target) error {
		tried = append(tried, tg.Port)
		return sendOptions(ctx, tg)
	})
	if err != nil {
		t.Fatalf("Try: %v", err)
	}
	if got.Port != good.port || got.Host != "second.pbx.test" {
		t.Errorf("Try used %v, want the second target port %d", got, good.port)
	}
	if want := []int{silent.port, good.port}; fmt.Sprint(tried) != fmt.Sprint(want) {
		t.Errorf("tried ports %v, want %v", tried, want)
	}
	if silent.received() != 1 || good.received() != 1 {
		t.Errorf("datagrams: silent %d, good %d; want 1 each", silent.received(), good.received())
	}
}

func TestTryFailsOverOn503(t *testing.T) {
	busy := newSIPPeer(t, "SIP/2.0 503 Service Unavailable\r\n\r\n")
	good := newSIPPeer(t, "SIP/2.0 200 OK\r\n\r\n")
	srv := newTestDNS(t, failoverZone(busy.port, good.port)...)
	r := newTestResolver(t, srv, func(c *Config) {
		c.AttemptTimeout = 5 * time.Second
		c.NoIPv6 = true
	})
	got, err := r.Try(t.Context(), Query{Host: "pbx.test", Transport: "udp"}, sendOptions)
	if err != nil {
		t.Fatalf("Try: %v", err)
	}
	if got.Port != good.port {
		t.Errorf("Try used %v, want port %d", got, good.port)
	}
	if busy.received() != 1 {
		t.Errorf("busy peer got %d datagrams, want 1", busy.received())
	}
}

func TestTryStopsOnFinalError(t *testing.T) {
	rejecting := newSIPPeer(t, "SIP/2.0 404 Not Found\r\n\r\n")
	good := newSIPPeer(t, "SIP/2.0 200 OK\r\n\r\n")
	srv := newTestDNS(t, failoverZone(rejecting.port, good.port)...)
	r := newTestResolver(t, srv, func(c *Config) { c.AttemptTimeout = 5 * time.Second; c.NoIPv6 = true })
	got, err := r.Try(t.Context(), Query{Host: "pbx.test", Transport: "udp"}, sendOptions)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Try = %v, want the 404", err)
	}
	if got.Port != rejecting.port {
		t.Errorf("error from %v, want port %d", got, rejecting.port)
	}
	if good.received() != 0 {
		t.Errorf("second target contacted after a final error")
	}
}

func TestTryExhausted(t *testing.T) {
	b1 := newSIPPeer(t, "SIP/2.0 503 Service Unavailable\r\n\r\n")
	b2 := newSIPPeer(t, "SIP/2.0 503 Service Unavailable\r\n\r\n")
	srv := newTestDNS(t, failoverZone(b1.port, b2.port)...)
	r := newTestResolver(t, srv, func(c *Config) { c.AttemptTimeout = 5 * time.Second; c.NoIPv6 = true })
	_, err := r.Try(t.Context(), Query{Host: "pbx.test", Transport: "udp"}, sendOptions)
	if !errors.Is(err, ErrExhausted) || !errors.Is(err, ErrTryNext) {
		t.Errorf("Try = %v, want ErrExhausted wrapping ErrTryNext", err)
	}
	// Resolution errors come through unchanged.
	if _, err := r.Try(t.Context(), Query{Host: "nonexistent.test"}, sendOptions); !errors.Is(err, ErrNXDomain) {
		t.Errorf("Try on NXDOMAIN = %v, want ErrNXDomain", err)
	}
}

func TestRetryable(t *testing.T) {
	refused := &net.OpError{Op: "read", Net: "udp", Err: errors.New("connection refused")}
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("404 not found"), false},
		{fmt.Errorf("503: %w", ErrTryNext), true},
		{context.DeadlineExceeded, true},
		{fmt.Errorf("timer b: %w", context.DeadlineExceeded), true},
		{refused, true},
		{context.Canceled, false},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestTryHonoursCancel(t *testing.T) {
	silent := newSIPPeer(t, "")
	good := newSIPPeer(t, "SIP/2.0 200 OK\r\n\r\n")
	srv := newTestDNS(t, failoverZone(silent.port, good.port)...)
	r := newTestResolver(t, srv, func(c *Config) { c.NoIPv6 = true })
	ctx, cancel := context.WithCancel(t.Context())
	_, err := r.Try(ctx, Query{Host: "pbx.test", Transport: "udp"}, func(ctx context.Context, tg Target) error {
		cancel()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Try after cancel = %v, want context.Canceled", err)
	}
	if good.received() != 0 {
		t.Error("second target contacted after cancel")
	}
}
