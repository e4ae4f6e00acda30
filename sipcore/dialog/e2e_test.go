package dialog_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// pcTransport adapts a siptest PacketConn to the layers.
type pcTransport struct {
	pc *siptest.PacketConn
	m  *dialog.Manager
}

func (p *pcTransport) Send(_ context.Context, msg sip.Message, to transaction.Target) error {
	_, err := p.pc.WriteTo(msg.AppendTo(nil), net.UDPAddrFromAddrPort(to.Addr))
	return err
}

func (p *pcTransport) serve() {
	buf := make([]byte, 65536)
	for {
		n, ap, err := p.pc.ReadFromAddrPort(buf)
		if err != nil {
			return
		}
		if msg, err := sip.Parse(buf[:n]); err == nil {
			p.m.Layer().HandleMessage(msg, transaction.Target{Transport: "UDP", Addr: ap})
		}
	}
}

type e2eStack struct {
	tp   *pcTransport
	m    *dialog.Manager
	addr netip.AddrPort
	done chan struct{}
}

func newE2E(t *testing.T, nw *siptest.Network, addr string, cfg dialog.Config) *e2eStack {
	pc := nw.MustListenPacket(t, addr)
	s := &e2eStack{tp: &pcTransport{pc: pc}, addr: pc.AddrPort(), done: make(chan struct{})}
	cfg.Transaction.ViaHost = addr
	cfg.Contact = sip.Address{URI: sip.URI{Scheme: "sip", Host: s.addr.Addr().String(), Port: int(s.addr.Port())}}
	s.m = dialog.NewManager(s.tp, cfg)
	s.tp.m = s.m
	go func() {
		defer close(s.done)
		s.tp.serve()
	}()
	return s
}

func (s *e2eStack) close() {
	s.m.Close()
	s.tp.pc.Close()
	<-s.done
}

// TestCallsOverLossyNetwork places 50 calls (INVITE → 180 → 200 → ACK →
// BYE) between two dialog layers over a network losing 30% of datagrams,
// in fake time. Every call whose INVITE got through must be established
// on both sides (the UAS's 2xx retransmission and the UAC's re-ACK make up
// for the losses) and end cleanly; nothing may stay live.
func TestCallsOverLossyNetwork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{Seed: 3, Link: siptest.LinkConfig{
			Loss: 0.3, Delay: 30 * time.Millisecond, Jitter: 20 * time.Millisecond, Reorder: 0.1, ReorderDelay: 200 * time.Millisecond,
		}})
		defer nw.Close()
		var acked, noACK, byes atomic.Int64
		var uas *e2eStack
		uas = newE2E(t, nw, "192.0.2.2:5060", dialog.Config{
			Transaction: transaction.Config{Handler: func(s *transaction.Server) {
				d, err := uas.m.NewUAS(s)
				if err != nil {
					t.Error(err)
					return
				}
				_ = d.Respond(s, d.NewResponse(s.Request(), 180, ""))
				_ = d.Respond(s, d.NewResponse(s.Request(), 200, ""))
			}},
			OnACK: func(*dialog.Dialog, *sip.Request) { acked.Add(1) },
			OnTerminate: func(_ *dialog.Dialog, reason error) {
				switch {
				case errors.Is(reason, dialog.ErrNoACK):
					noACK.Add(1)
				case errors.Is(reason, dialog.ErrRemoteBye):
					byes.Add(1)
				}
			},
		})
		uac := newE2E(t, nw, "192.0.2.1:5060", dialog.Config{})

		const calls = 50
		var established, byeOK, failed atomic.Int64
		var wg sync.WaitGroup
		for i := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 100 * time.Millisecond)
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
				defer cancel()
				inv := sip.NewRequest(sip.MethodInvite, sip.URI{Scheme: "sip", User: "bob", Host: "192.0.2.2"})
				inv.SetFrom(sip.Address{URI: sip.URI{Scheme: "sip", User: "alice", Host: "192.0.2.1"}}.WithTag(sip.NewTag()))
				inv.SetTo(sip.Address{URI: inv.URI})
				inv.SetCallID(sip.NewCallID("192.0.2.1"))
				inv.SetCSeq(sip.CSeq{Seq: 1, Method: sip.MethodInvite})
				inv.SetContacts(sip.Address{URI: sip.URI{Scheme: "sip", User: "alice", Host: "192.0.2.1", Port: 5060}})
				o, err := uac.m.Invite(ctx, inv, transaction.Target{Transport: "UDP", Addr: uas.addr})
				if err != nil {
					t.Error(err)
					return
				}
				var final dialog.Response
				for r := range o.Responses() {
					final = r
				}
				if final.Msg == nil || final.Msg.StatusCode != 200 {
					failed.Add(1)
					<-o.Done()
					t.Logf("call %d: no 200 (err %v)", i, o.Err())
					return
				}
				established.Add(1)
				time.Sleep(5 * time.Second)
				if resp, err := final.Dialog.Bye(ctx); err == nil && resp.StatusCode == 200 {
					byeOK.Add(1)
				}
				<-o.Done()
			}()
		}
		wg.Wait()
		time.Sleep(2 * time.Minute) // every timer runs out
		t.Logf("%d established, %d failed; UAS: %d ACKed, %d no ACK, %d BYEs; UAC: %d BYE 200s",
			established.Load(), failed.Load(), acked.Load(), noACK.Load(), byes.Load(), byeOK.Load())
		if established.Load() < calls-1 {
			t.Errorf("only %d of %d calls established", established.Load(), calls)
		}
		// Every established call ends at the UAS by BYE or, if no ACK and no
		// BYE got through, by the §13.3.1.4 give-up; an ACK may be missing
		// only when the BYE overtook every copy of it.
		if byes.Load()+noACK.Load() != established.Load() {
			t.Errorf("UAS ended %d calls by BYE and %d by ErrNoACK, want %d in all", byes.Load(), noACK.Load(), established.Load())
		}
		if acked.Load() > established.Load() || acked.Load() < established.Load()*3/4 {
			t.Errorf("UAS saw %d ACKs for %d established calls", acked.Load(), established.Load())
		}
		for name, s := range map[string]*e2eStack{"uac": uac, "uas": uas} {
			if n := s.m.Count(); n != 0 {
				t.Errorf("%s: %d dialogs live", name, n)
			}
			if c, sv := s.m.Layer().Count(); c+sv != 0 {
				t.Errorf("%s: %d/%d transactions live", name, c, sv)
			}
		}
		uac.close()
		uas.close()
	})
}
