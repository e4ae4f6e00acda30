package dialog_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

type uacFixture struct {
	tp *recTransport
	m  *dialog.Manager
	mu sync.Mutex
	// terminated dialogs and why
	ends map[dialog.ID]error
}

func newUAC(t *testing.T) *uacFixture {
	f := &uacFixture{tp: newRec(), ends: map[dialog.ID]error{}}
	f.m = dialog.NewManager(f.tp, dialog.Config{
		Contact: mustAddr(t, "<sip:alice@192.0.2.1:5060>"),
		// Everything goes to peer; Host tells which next hop was chosen.
		Resolve: func(_ context.Context, u sip.URI) (transaction.Target, error) {
			to := peer
			to.Host = u.HostPort()
			return to, nil
		},
		OnTerminate: func(d *dialog.Dialog, reason error) {
			f.mu.Lock()
			f.ends[d.ID()] = reason
			f.mu.Unlock()
		},
	})
	t.Cleanup(func() { f.m.Close() })
	return f
}

// TestForking: two forks answer 180 (two early dialogs, each with its own
// route set reversed from Record-Route), fork A answers 200 (confirmed,
// ACKed with a new branch and the INVITE's CSeq; retransmissions of the
// 200 get the same ACK), fork B's later 200 is ACKed and BYEd (§13.2.2.4).
func TestForking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAC(t)
		o, err := f.m.Invite(t.Context(), invite(t), peer)
		if err != nil {
			t.Fatal(err)
		}
		sent := mustReq(t, f.tp.find("INVITE")[0].raw)
		h := f.m.Layer().HandleMessage
		// Record-Route as the proxies wrote it: nearest to the UAS last.
		h(answer(t, sent, 180, "A", "<sip:bob@192.0.2.10:5060>", "<sip:p2.example;lr>", "<sip:p1.example;lr>"), peer)
		h(answer(t, sent, 180, "B", "<sip:bob@192.0.2.11:5060>", "<sip:p3.example;lr>"), peer)
		var got []dialog.Response
		for range 2 {
			got = append(got, <-o.Responses())
		}
		dA, dB := got[0].Dialog, got[1].Dialog
		if dA == nil || dB == nil || dA == dB {
			t.Fatalf("early dialogs %v %v, want two", dA, dB)
		}
		if dA.State() != dialog.StateEarly || dB.State() != dialog.StateEarly {
			t.Errorf("states %v %v, want early", dA.State(), dB.State())
		}
		if n := f.m.Count(); n != 2 {
			t.Errorf("dialogs = %d, want 2", n)
		}
		if got, want := routeStrings(dA.RouteSet()), []string{"sip:p1.example;lr", "sip:p2.example;lr"}; !eqStrings(got, want) {
			t.Errorf("route set A %v, want %v (Record-Route reversed)", got, want)
		}
		if got, want := dA.ID(), (dialog.ID{CallID: sent.CallID(), LocalTag: sent.FromTag(), RemoteTag: "A"}); got != want {
			t.Errorf("ID %v, want %v", got, want)
		}

		okA := answer(t, sent, 200, "A", "<sip:bob@192.0.2.10:5070>", "<sip:p2.example;lr>", "<sip:p1.example;lr>")
		h(okA, peer)
		final := <-o.Responses()
		if final.Msg.StatusCode != 200 || final.Dialog != dA {
			t.Fatalf("final %d dialog %v, want 200 on dialog A", final.Msg.StatusCode, final.Dialog)
		}
		if _, open := <-o.Responses(); open {
			t.Error("Responses not closed after the final response")
		}
		if dA.State() != dialog.StateConfirmed || o.Dialog() != dA {
			t.Errorf("dialog A %v, Outgoing.Dialog %v", dA.State(), o.Dialog())
		}
		if got := dA.RemoteTarget().String(); got != "sip:bob@192.0.2.10:5070" {
			t.Errorf("remote target %s, want the 2xx Contact", got)
		}
		acks := f.tp.find("ACK ")
		if len(acks) != 1 {
			t.Fatalf("%d ACKs, want 1", len(acks))
		}
		ack := mustReq(t, acks[0].raw)
		if ack.URI.String() != "sip:bob@192.0.2.10:5070" {
			t.Errorf("ACK Request-URI %s", ack.URI)
		}
		if got := ack.HeaderValues(sip.HeaderRoute); len(got) != 2 || got[0] != "<sip:p1.example;lr>" {
			t.Errorf("ACK Route %v", got)
		}
		cs, _ := ack.CSeq()
		if cs.Seq != 10 || cs.Method != sip.MethodAck {
			t.Errorf("ACK CSeq %v, want 10 ACK", cs)
		}
		av, _ := ack.TopVia()
		iv, _ := sent.TopVia()
		if av.Branch() == iv.Branch() || !av.IsRFC3261Branch() {
			t.Errorf("ACK branch %q, want a new one (INVITE %q)", av.Branch(), iv.Branch())
		}
		if ack.ToTag() != "A" || ack.FromTag() != sent.FromTag() {
			t.Errorf("ACK tags to=%q from=%q", ack.ToTag(), ack.FromTag())
		}
		if got := acks[0].to.Host; got != "p1.example" {
			t.Errorf("ACK next hop %q, want the first route p1.example", got)
		}

		// A retransmission of the 200 gets the same ACK.
		h(okA.Clone(), peer)
		synctest.Wait()
		acks = f.tp.find("ACK ")
		if len(acks) != 2 || acks[1].raw != acks[0].raw {
			t.Errorf("ACK retransmission: %d ACKs, identical=%v", len(acks), len(acks) == 2 && acks[1].raw == acks[0].raw)
		}

		// Fork B answers 200 too: ACK it, then BYE it.
		okB := answer(t, sent, 200, "B", "<sip:bob@192.0.2.11:5060>")
		h(okB, peer)
		synctest.Wait()
		var ackB, byeB *sip.Request
		for _, s := range f.tp.find("ACK ") {
			if r := mustReq(t, s.raw); r.ToTag() == "B" {
				ackB = r
			}
		}
		for _, s := range f.tp.find("BYE ") {
			byeB = mustReq(t, s.raw)
		}
		if ackB == nil || byeB == nil {
			t.Fatalf("fork B: ack=%v bye=%v, want both", ackB != nil, byeB != nil)
		}
		if byeB.ToTag() != "B" || byeB.URI.String() != "sip:bob@192.0.2.11:5060" {
			t.Errorf("BYE to tag %q uri %s", byeB.ToTag(), byeB.URI)
		}
		if bcs, _ := byeB.CSeq(); bcs.Seq != 11 {
			t.Errorf("BYE CSeq %d, want 11", bcs.Seq)
		}
		if dB.State() != dialog.StateTerminated {
			t.Errorf("dialog B %v, want terminated", dB.State())
		}
		if n := f.m.Count(); n != 1 {
			t.Errorf("dialogs = %d, want 1 (A)", n)
		}
		// A retransmission of B's 200 is ACKed again, not BYEd again.
		h(okB.Clone(), peer)
		synctest.Wait()
		if n := len(f.tp.find("BYE ")); n != 1 {
			t.Errorf("%d BYEs, want 1", n)
		}
		// Let the BYE's transaction and Timer M run out.
		byeResp := sip.NewResponse(byeB, 200, "")
		byeVia, _ := mustReq(t, f.tp.find("BYE ")[0].raw).TopVia()
		byeResp.SetTopVia(byeVia)
		h(byeResp, peer)
		time.Sleep(time.Minute)
		<-o.Done()
		if o.Err() != nil {
			t.Errorf("Outgoing.Err = %v", o.Err())
		}
		// After Timer M a 200 retransmission is stray and still re-ACKed.
		before := len(f.tp.find("ACK "))
		h(okA.Clone(), peer)
		if after := len(f.tp.find("ACK ")); after != before+1 {
			t.Errorf("stray 200 after Timer M: %d ACKs, want %d", after, before+1)
		}
		if c, s := f.m.Layer().Count(); c+s != 0 {
			t.Errorf("live transactions %d/%d", c, s)
		}
		// A third fork's 200 after Timer M (stray): ACKed and BYEd too.
		h(answer(t, sent, 200, "C", "<sip:bob@192.0.2.12:5060>"), peer)
		synctest.Wait()
		var ackC, byeC bool
		for _, s := range f.tp.find("ACK ") {
			ackC = ackC || mustReq(t, s.raw).ToTag() == "C"
		}
		for _, s := range f.tp.find("BYE ") {
			byeC = byeC || mustReq(t, s.raw).ToTag() == "C"
		}
		if !ackC || !byeC {
			t.Errorf("late fork C: ack=%v bye=%v, want both", ackC, byeC)
		}
		if n := f.m.Count(); n != 1 {
			t.Errorf("dialogs = %d, want 1 (A)", n)
		}
	})
}

// TestRejectedEndsEarlyDialogs: a non-2xx final response terminates every
// early dialog (§12.3).
func TestRejectedEndsEarlyDialogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAC(t)
		o, err := f.m.Invite(t.Context(), invite(t), peer)
		if err != nil {
			t.Fatal(err)
		}
		sent := mustReq(t, f.tp.find("INVITE")[0].raw)
		f.m.Layer().HandleMessage(answer(t, sent, 183, "A", "<sip:bob@192.0.2.10>"), peer)
		f.m.Layer().HandleMessage(answer(t, sent, 486, "A", ""), peer)
		var codes []int
		for r := range o.Responses() {
			codes = append(codes, r.Msg.StatusCode)
		}
		if len(codes) != 2 || codes[1] != 486 {
			t.Errorf("responses %v", codes)
		}
		if n := f.m.Count(); n != 0 {
			t.Errorf("dialogs = %d, want 0", n)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for id, reason := range f.ends {
			if !errors.Is(reason, dialog.ErrRejected) {
				t.Errorf("%v ended with %v, want ErrRejected", id, reason)
			}
		}
		if len(f.ends) != 1 {
			t.Errorf("%d dialogs ended, want 1", len(f.ends))
		}
	})
}

// TestRequestBuilder: §12.2.1.1 loose and strict routing, CSeq handling.
func TestRequestBuilder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rr        []string // as in the 2xx
		wantURI   string
		wantRoute []string
	}{
		{"no route", nil, "sip:bob@192.0.2.10:5070", nil},
		{"loose", []string{"<sip:p2.example;lr>", "<sip:p1.example;lr>"}, "sip:bob@192.0.2.10:5070",
			[]string{"<sip:p1.example;lr>", "<sip:p2.example;lr>"}},
		{"strict", []string{"<sip:p2.example;lr>", "<sip:p1.example?X-H=1>"}, "sip:p1.example",
			[]string{"<sip:p2.example;lr>", "<sip:bob@192.0.2.10:5070>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newUAC(t)
				o, err := f.m.Invite(t.Context(), invite(t), peer)
				if err != nil {
					t.Fatal(err)
				}
				sent := mustReq(t, f.tp.find("INVITE")[0].raw)
				f.m.Layer().HandleMessage(answer(t, sent, 200, "A", "<sip:bob@192.0.2.10:5070>", tc.rr...), peer)
				d := (<-o.Responses()).Dialog
				info := d.NewRequest(sip.MethodInfo)
				if info.URI.String() != tc.wantURI {
					t.Errorf("Request-URI %s, want %s", info.URI, tc.wantURI)
				}
				if got := info.HeaderValues(sip.HeaderRoute); !eqStrings(got, tc.wantRoute) {
					t.Errorf("Route %v, want %v", got, tc.wantRoute)
				}
				if info.ToTag() != "A" || info.FromTag() != sent.FromTag() || info.CallID() != sent.CallID() {
					t.Errorf("identity: to=%q from=%q callid=%q", info.ToTag(), info.FromTag(), info.CallID())
				}
				cs1, _ := info.CSeq()
				bye := d.NewRequest(sip.MethodBye)
				cs2, _ := bye.CSeq()
				ack := d.NewRequest(sip.MethodAck)
				cs3, _ := ack.CSeq()
				if cs1.Seq != 11 || cs2.Seq != 12 || cs3.Seq != 12 {
					t.Errorf("CSeq %d, %d, ACK %d; want 11, 12, 12", cs1.Seq, cs2.Seq, cs3.Seq)
				}
				if info.HasHeader(sip.HeaderContact) || !d.NewRequest(sip.MethodUpdate).HasHeader(sip.HeaderContact) {
					t.Error("Contact should be on target refresh requests only")
				}
			})
		})
	}
}

// TestUACTargetRefresh: the 2xx to our re-INVITE and to our UPDATE
// replaces the remote target (§12.2.1.2); our re-INVITE is ACKed.
func TestUACTargetRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAC(t)
		o, err := f.m.Invite(t.Context(), invite(t), peer)
		if err != nil {
			t.Fatal(err)
		}
		sent := mustReq(t, f.tp.find("INVITE")[0].raw)
		f.m.Layer().HandleMessage(answer(t, sent, 200, "A", "<sip:bob@192.0.2.10:5070>"), peer)
		d := (<-o.Responses()).Dialog

		done := make(chan *sip.Response)
		go func() {
			r, err := d.Reinvite(t.Context(), d.NewRequest(sip.MethodInvite))
			if err != nil {
				t.Error(err)
			}
			done <- r
		}()
		synctest.Wait()
		if !d.PendingReinvite() {
			t.Error("re-INVITE not marked pending")
		}
		invs := f.tp.find("INVITE")
		reinv := mustReq(t, invs[len(invs)-1].raw)
		if reinv.URI.String() != "sip:bob@192.0.2.10:5070" {
			t.Errorf("re-INVITE to %s", reinv.URI)
		}
		f.m.Layer().HandleMessage(answer(t, reinv, 200, "", "<sip:bob@192.0.2.20:5080>"), peer)
		if r := <-done; r.StatusCode != 200 {
			t.Errorf("re-INVITE got %d", r.StatusCode)
		}
		if got := d.RemoteTarget().String(); got != "sip:bob@192.0.2.20:5080" {
			t.Errorf("remote target %s after re-INVITE 2xx", got)
		}
		acks := f.tp.find("ACK ")
		last := mustReq(t, acks[len(acks)-1].raw)
		if cs, _ := last.CSeq(); cs.Seq != 11 || last.URI.String() != "sip:bob@192.0.2.20:5080" {
			t.Errorf("re-INVITE ACK CSeq %v to %s", cs, last.URI)
		}
		if d.PendingReinvite() {
			t.Error("still pending")
		}

		go func() {
			r, err := d.Do(t.Context(), d.NewRequest(sip.MethodUpdate))
			if err != nil {
				t.Error(err)
			}
			done <- r
		}()
		synctest.Wait()
		ups := f.tp.find("UPDATE")
		f.m.Layer().HandleMessage(answer(t, mustReq(t, ups[0].raw), 200, "", "<sip:bob@192.0.2.30>"), peer)
		<-done
		if got := d.RemoteTarget().String(); got != "sip:bob@192.0.2.30" {
			t.Errorf("remote target %s after UPDATE 2xx", got)
		}
	})
}

// TestGlareBackoff checks the §14.1 ranges and the 10 ms unit.
func TestGlareBackoff(t *testing.T) {
	for _, owner := range []bool{true, false} {
		lo, hi := 0*time.Millisecond, 2000*time.Millisecond
		if owner {
			lo, hi = 2100*time.Millisecond, 4000*time.Millisecond
		}
		seenLo, seenHi := hi, lo
		for range 5000 {
			d := dialog.GlareBackoff(owner)
			if d < lo || d > hi || d%(10*time.Millisecond) != 0 {
				t.Fatalf("owner=%v: back-off %v outside [%v, %v] or not in 10 ms units", owner, d, lo, hi)
			}
			seenLo, seenHi = min(seenLo, d), max(seenHi, d)
		}
		if seenLo > lo+200*time.Millisecond || seenHi < hi-200*time.Millisecond {
			t.Errorf("owner=%v: values span only [%v, %v]", owner, seenLo, seenHi)
		}
	}
}

// TestReinviteWhilePending: a second Reinvite while one runs is refused.
func TestReinviteWhilePending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAC(t)
		o, _ := f.m.Invite(t.Context(), invite(t), peer)
		sent := mustReq(t, f.tp.find("INVITE")[0].raw)
		f.m.Layer().HandleMessage(answer(t, sent, 200, "A", "<sip:bob@192.0.2.10>"), peer)
		d := (<-o.Responses()).Dialog
		go func() { _, _ = d.Reinvite(t.Context(), d.NewRequest(sip.MethodInvite)) }()
		synctest.Wait()
		if _, err := d.Reinvite(t.Context(), d.NewRequest(sip.MethodInvite)); !errors.Is(err, dialog.ErrPending) {
			t.Errorf("second re-INVITE: %v, want ErrPending", err)
		}
		f.m.Close() // ends the first one
	})
}
