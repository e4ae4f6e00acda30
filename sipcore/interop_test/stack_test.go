package interop_test

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
	"github.com/teaphone/teaphone/sipcore/transport"
)

// tpAdapter is the whole glue between transport and transaction: Target
// mirrors transport.Target, so sending is a conversion.
type tpAdapter struct{ tl *transport.Layer }

func (a tpAdapter) Send(ctx context.Context, msg sip.Message, to transaction.Target) error {
	return a.tl.Send(ctx, msg, transport.Target(to))
}

// stack is transport + dialog manager (which owns the transaction layer)
// on one loopback UDP socket.
type stack struct {
	tl   *transport.Layer
	m    *dialog.Manager
	addr netip.AddrPort
	stop chan struct{}
	done chan struct{}
}

func newStack(t testing.TB, cfg dialog.Config) *stack {
	t.Helper()
	tl, err := transport.New(transport.Options{FillVia: true})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := pc.(*net.UDPConn); ok {
		_ = u.SetReadBuffer(4 << 20)
		_ = u.SetWriteBuffer(4 << 20)
	}
	if err := tl.ServePacket(pc); err != nil {
		t.Fatal(err)
	}
	s := &stack{tl: tl, addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(), stop: make(chan struct{}), done: make(chan struct{})}
	if cfg.Contact.URI.IsZero() {
		cfg.Contact = sip.Address{URI: sip.URI{Scheme: "sip", User: "teaphone", Host: "127.0.0.1", Port: int(s.addr.Port())}}
	}
	s.m = dialog.NewManager(tpAdapter{tl}, cfg)
	go func() {
		defer close(s.done)
		for {
			select {
			case in := <-tl.Messages():
				s.m.Layer().HandleMessage(in.Msg, transaction.Target(in.Source.Reply()))
			case <-s.stop:
				return
			}
		}
	}()
	return s
}

func (s *stack) target() transaction.Target {
	return transaction.Target{Transport: "UDP", Addr: s.addr}
}

func (s *stack) close() {
	close(s.stop)
	<-s.done
	s.m.Close()
	s.tl.Close()
}

func netipFrom(t testing.TB, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}
