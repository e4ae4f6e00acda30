package dialog_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// TestNewUACAndACK: a UA running the INVITE transaction itself gets the
// early dialog from a 183, the confirmed dialog (same Dialog, route set
// and target from the 2xx) from the 200, an ACK with the INVITE's
// credentials to the remote target through its own resolver, the same
// ACK again for a retransmitted 200, NextSeq, Update and Terminate.
func TestNewUACAndACK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		var terminated []error
		var mu sync.Mutex
		m := dialog.NewManager(tp, dialog.Config{OnTerminate: func(_ *dialog.Dialog, err error) {
			mu.Lock()
			terminated = append(terminated, err)
			mu.Unlock()
		}})
		defer m.Close()
		inv := withVia(invite(t))
		inv.SetHeader(sip.HeaderProxyAuthorization, `Digest username="alice", realm="p", nonce="n", uri="sip:bob@192.0.2.2", response="r"`)

		r183 := answer(t, inv, 183, "b1", "<sip:bob@192.0.2.9:5070>", "<sip:p1.example;lr>")
		early, err := m.NewUAC(inv, r183)
		if err != nil {
			t.Fatal(err)
		}
		if early.State() != dialog.StateEarly || m.Count() != 1 {
			t.Fatalf("after 183: state %v, %d dialogs", early.State(), m.Count())
		}
		if again, _ := m.NewUAC(inv, r183); again != early {
			t.Error("a second 183 made another dialog")
		}
		resolved := make(chan sip.URI, 4)
		early.SetResolve(func(_ context.Context, u sip.URI) (transaction.Target, error) {
			resolved <- u
			return peer, nil
		})

		ok := answer(t, inv, 200, "b1", "<sip:bob@192.0.2.9:5080>", "<sip:p2.example;lr>", "<sip:p1.example;lr>")
		d, err := m.NewUAC(inv, ok)
		if err != nil || d != early {
			t.Fatalf("2xx gave %p, %v; want the early dialog %p", d, err, early)
		}
		if d.State() != dialog.StateConfirmed {
			t.Errorf("state %v after 2xx", d.State())
		}
		if got, want := routeStrings(d.RouteSet()), []string{"sip:p1.example;lr", "sip:p2.example;lr"}; !eqStrings(got, want) {
			t.Errorf("route set %v, want %v (from the 2xx, reversed)", got, want)
		}
		if err := d.ACK(context.Background(), inv, ok); err != nil {
			t.Fatal(err)
		}
		if err := d.ACK(context.Background(), inv, ok); err != nil { // retransmitted 2xx
			t.Fatal(err)
		}
		acks := tp.find("ACK ")
		if len(acks) != 2 || acks[0].raw != acks[1].raw {
			t.Fatalf("ACKs sent: %d, identical %v", len(acks), len(acks) == 2 && acks[0].raw == acks[1].raw)
		}
		ack := mustReq(t, acks[0].raw)
		if cs, _ := ack.CSeq(); cs.Seq != 10 || cs.Method != sip.MethodAck {
			t.Errorf("ACK CSeq %+v, want 10 ACK", cs)
		}
		if ack.URI.String() != "sip:bob@192.0.2.9:5080" || ack.Header(sip.HeaderProxyAuthorization) != inv.Header(sip.HeaderProxyAuthorization) || ack.HasHeader(sip.HeaderContact) {
			t.Errorf("ACK (want the 2xx Contact as Request-URI, the INVITE's credentials, no Contact):\n%s", ack)
		}
		if u := <-resolved; u.String() != "sip:p1.example;lr" {
			t.Errorf("resolved %s, want the first route", u)
		}

		if n := d.NextSeq(); n != 11 {
			t.Errorf("NextSeq = %d, want 11", n)
		}
		if cs, _ := d.NewRequest(sip.MethodBye).CSeq(); cs.Seq != 12 {
			t.Errorf("BYE CSeq %d, want 12", cs.Seq)
		}
		reinv := d.NewRequest(sip.MethodInvite)
		d.Update(reinv, answer(t, reinv, 200, "", "<sip:bob@192.0.2.10>"))
		if got := d.RemoteTarget().String(); got != "sip:bob@192.0.2.10" {
			t.Errorf("remote target %s after a re-INVITE 2xx, want sip:bob@192.0.2.10", got)
		}
		d.Terminate()
		if d.State() != dialog.StateTerminated || m.Count() != 0 {
			t.Errorf("after Terminate: state %v, %d dialogs", d.State(), m.Count())
		}
		mu.Lock()
		defer mu.Unlock()
		if len(terminated) != 0 {
			t.Errorf("Terminate reported %v to OnTerminate", terminated)
		}
		for _, bad := range []*sip.Response{answer(t, inv, 486, "b2", ""), answer(t, inv, 100, "b3", "")} {
			if _, err := m.NewUAC(inv, bad); err == nil {
				t.Errorf("NewUAC accepted a %d (tag %q)", bad.StatusCode, bad.ToTag())
			}
		}
	})
}

// TestUnrouted: with Unrouted the UA sees every request first and calls
// Deliver; requests of unknown dialogs are left to it; the Manager's own
// responses (here the 200 to BYE and a 500) go through Config.Respond.
func TestUnrouted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		var m *dialog.Manager
		all := make(chan *transaction.Server, 8)
		var mu sync.Mutex
		var viaHook []int
		var ends []error
		m = dialog.NewManager(tp, dialog.Config{
			Unrouted:    true,
			Transaction: transaction.Config{Handler: func(s *transaction.Server) { all <- s }},
			Respond: func(s *transaction.Server, resp *sip.Response) {
				mu.Lock()
				viaHook = append(viaHook, resp.StatusCode)
				mu.Unlock()
				resp.SetHeader("User-Agent", "test")
				_ = s.Respond(resp)
			},
			OnTerminate: func(_ *dialog.Dialog, err error) { ends = append(ends, err) },
		})
		defer m.Close()
		inv := uasInvite(t)
		m.Layer().HandleMessage(inv, peer)
		s := <-all
		if m.Deliver(s) {
			t.Fatal("Deliver took a request without a To tag")
		}
		d, err := m.NewUAS(s)
		if err != nil {
			t.Fatal(err)
		}
		ok := d.NewResponse(inv, 200, "")
		if err := d.Respond(s, ok); err != nil {
			t.Fatal(err)
		}
		// an in-dialog request of a dialog the Manager does not know
		stray := inDialog(t, inv, ok, sip.MethodNotify, 11)
		stray.SetHeader(sip.HeaderTo, `<sip:bob@192.0.2.2>;tag=other`)
		m.Layer().HandleMessage(stray, peer)
		if s := <-all; m.Deliver(s) {
			t.Error("Deliver took a request of an unknown dialog")
		} else {
			_ = s.Respond(sip.NewResponse(s.Request(), 489, ""))
		}
		if len(tp.find("SIP/2.0 481")) != 0 {
			t.Error("the Manager answered 481 although Unrouted")
		}
		old := inDialog(t, inv, ok, sip.MethodOptions, 11)
		m.Layer().HandleMessage(old, peer)
		if s := <-all; !m.Deliver(s) {
			t.Fatal("Deliver refused an in-dialog request")
		}
		bye := inDialog(t, inv, ok, sip.MethodBye, 3) // lower CSeq: 500
		m.Layer().HandleMessage(bye, peer)
		if s := <-all; !m.Deliver(s) {
			t.Fatal("Deliver refused a BYE")
		}
		bye = inDialog(t, inv, ok, sip.MethodBye, 12)
		m.Layer().HandleMessage(bye, peer)
		if s := <-all; !m.Deliver(s) {
			t.Fatal("Deliver refused a BYE")
		}
		mu.Lock()
		got := append([]int(nil), viaHook...)
		mu.Unlock()
		if want := []int{501, 500, 200}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("responses through Config.Respond: %v, want %v", got, want)
		}
		r := tp.find("SIP/2.0 200")
		if last := r[len(r)-1].raw; !strings.Contains(last, "CSeq: 12 BYE") || !strings.Contains(last, "User-Agent: test") {
			t.Errorf("200 to BYE not sent through the hook:\n%s", last)
		}
		if len(ends) != 1 || ends[0] != dialog.ErrRemoteBye || m.Count() != 0 {
			t.Errorf("ends %v, %d dialogs; want [ErrRemoteBye], 0", ends, m.Count())
		}
	})
}

// TestNewNotified: a NOTIFY that overtakes the SUBSCRIBE's 2xx creates
// the subscriber's dialog (RFC 6665 §4.1.2.4) from the NOTIFY: route set
// in order, target from its Contact, CSeqs from both requests; later
// NOTIFYs of it are delivered with the §12.2.2 checks, and the 2xx
// refreshes the target.
func TestNewNotified(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		all := make(chan *transaction.Server, 8)
		got := make(chan *sip.Request, 8)
		m := dialog.NewManager(tp, dialog.Config{
			Unrouted:    true,
			Transaction: transaction.Config{Handler: func(s *transaction.Server) { all <- s }},
			OnRequest: func(d *dialog.Dialog, s *transaction.Server) {
				got <- s.Request()
				_ = d.Respond(s, d.NewResponse(s.Request(), 200, ""))
			},
		})
		defer m.Close()
		sub := invite(t)
		sub.Method = sip.MethodSubscribe
		sub.SetCSeq(sip.CSeq{Seq: 7, Method: sip.MethodSubscribe})
		notify := func(seq uint32) *sip.Request {
			n := withVia(sip.NewRequest(sip.MethodNotify, mustURI(t, "sip:alice@192.0.2.1:5060")))
			n.SetFrom(mustAddr(t, "Bob <sip:bob@192.0.2.2>;tag=n1"))
			n.SetTo(mustAddr(t, sub.Header(sip.HeaderFrom)))
			n.SetCallID(sub.CallID())
			n.SetCSeq(sip.CSeq{Seq: seq, Method: sip.MethodNotify})
			n.SetContacts(mustAddr(t, "<sip:bob@192.0.2.9:5070>"))
			n.AddHeader(sip.HeaderRecordRoute, "<sip:p1.example;lr>")
			n.AddHeader(sip.HeaderRecordRoute, "<sip:p2.example;lr>")
			return n
		}
		m.Layer().HandleMessage(notify(100), peer)
		s := <-all
		if m.Deliver(s) {
			t.Fatal("Deliver took the NOTIFY before its dialog existed")
		}
		d, err := m.NewNotified(sub, s)
		if err != nil {
			t.Fatal(err)
		}
		_ = d.Respond(s, d.NewResponse(s.Request(), 200, ""))
		if id := d.ID(); id.CallID != sub.CallID() || id.LocalTag != sub.FromTag() || id.RemoteTag != "n1" || !d.IsUAC() {
			t.Errorf("id %v, uac %v", id, d.IsUAC())
		}
		if got, want := routeStrings(d.RouteSet()), []string{"sip:p1.example;lr", "sip:p2.example;lr"}; !eqStrings(got, want) {
			t.Errorf("route set %v, want %v", got, want)
		}
		if rs, _ := d.RemoteSeq(); rs != 100 || d.RemoteTarget().String() != "sip:bob@192.0.2.9:5070" {
			t.Errorf("remote seq %d, target %s", rs, d.RemoteTarget())
		}
		refresh := d.NewRequest(sip.MethodSubscribe)
		if cs, _ := refresh.CSeq(); cs.Seq != 8 || refresh.ToTag() != "n1" || refresh.FromTag() != sub.FromTag() {
			t.Errorf("refresh:\n%s", refresh)
		}
		if again, _ := m.NewNotified(sub, s); again != d {
			t.Error("a second NewNotified made another dialog")
		}
		m.Layer().HandleMessage(notify(99), peer) // out of order: 500
		if s := <-all; !m.Deliver(s) {
			t.Fatal("Deliver refused a NOTIFY of the dialog")
		}
		m.Layer().HandleMessage(notify(101), peer)
		if s := <-all; !m.Deliver(s) {
			t.Fatal("Deliver refused a NOTIFY of the dialog")
		}
		if r := <-got; func() uint32 { cs, _ := r.CSeq(); return cs.Seq }() != 101 {
			t.Errorf("OnRequest got %s", r)
		}
		if n := len(tp.find("SIP/2.0 500")); n != 1 {
			t.Errorf("%d 500s, want 1 for the old CSeq", n)
		}
		ok := answer(t, sub, 200, "n1", "<sip:bob@192.0.2.10>")
		d.Update(sub, ok)
		if got := d.RemoteTarget().String(); got != "sip:bob@192.0.2.10" {
			t.Errorf("target %s after the SUBSCRIBE's 2xx", got)
		}
		other := notify(1)
		other.SetTo(mustAddr(t, "<sip:alice@192.0.2.1>;tag=someone-else"))
		m.Layer().HandleMessage(other, peer)
		if _, err := m.NewNotified(sub, <-all); err == nil {
			t.Error("NewNotified accepted a NOTIFY for another subscription")
		}
	})
}
