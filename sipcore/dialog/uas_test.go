package dialog_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
)

func uasInvite(t *testing.T) *sip.Request {
	inv := withVia(invite(t))
	inv.AddHeader(sip.HeaderRecordRoute, "<sip:p1.example;lr>")
	inv.AddHeader(sip.HeaderRecordRoute, "<sip:p2.example;lr>")
	return inv
}

// TestUAS2xxRetransmitUntilGiveUp: §13.3.1.4: with no ACK the 2xx goes
// out at 0, then after T1, 2T1, 4T1, T2, T2, ... and the UAS gives up at
// 64·T1, reporting ErrNoACK (the UA then sends BYE).
func TestUAS2xxRetransmitUntilGiveUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAS(t)
		start := time.Now()
		d, _ := f.establish(t, uasInvite(t))
		<-d.Done()
		if got := time.Since(start); got != 32*time.Second {
			t.Errorf("gave up after %v, want 64*T1 = 32s", got)
		}
		var at []time.Duration
		for _, s := range f.tp.find("SIP/2.0 200") {
			at = append(at, s.at)
		}
		want := []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond, 3500 * time.Millisecond}
		for x := 7500 * time.Millisecond; x < 32*time.Second; x += 4 * time.Second {
			want = append(want, x)
		}
		if len(at) != len(want) {
			t.Fatalf("200 sent at %v, want %v", at, want)
		}
		for i := range at {
			if at[i] != want[i] {
				t.Fatalf("200 sent at %v, want %v", at, want)
			}
		}
		if ends := f.endReasons(); len(ends) != 1 || !errors.Is(ends[0], dialog.ErrNoACK) {
			t.Errorf("termination reasons %v, want [ErrNoACK]", ends)
		}
		if f.m.Count() != 0 {
			t.Errorf("dialogs = %d", f.m.Count())
		}
	})
}

// TestUAS2xxStopsOnACK: the ACK (its own transaction, new branch) stops
// the retransmissions and reaches OnACK once.
func TestUAS2xxStopsOnACK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAS(t)
		inv := uasInvite(t)
		d, ok := f.establish(t, inv)
		if d.State() != dialog.StateConfirmed {
			t.Errorf("state %v", d.State())
		}
		if got, want := routeStrings(d.RouteSet()), []string{"sip:p1.example;lr", "sip:p2.example;lr"}; !eqStrings(got, want) {
			t.Errorf("UAS route set %v, want %v (Record-Route in order)", got, want)
		}
		if ok.Header(sip.HeaderRecordRoute) == "" || ok.Header(sip.HeaderContact) != "<sip:bob@192.0.2.2:5060>" {
			t.Errorf("2xx lacks Record-Route or Contact:\n%s", ok)
		}
		time.Sleep(2 * time.Second) // retransmissions at 0.5 and 1.5
		ack := inDialog(t, inv, ok, sip.MethodAck, 10)
		f.m.Layer().HandleMessage(ack, peer)
		f.m.Layer().HandleMessage(ack.Clone(), peer) // retransmitted ACK
		time.Sleep(time.Minute)
		if n := len(f.tp.find("SIP/2.0 200")); n != 3 {
			t.Errorf("200 sent %d times, want 3", n)
		}
		f.mu.Lock()
		nacks := len(f.acks)
		f.mu.Unlock()
		if nacks != 1 {
			t.Errorf("OnACK called %d times, want 1", nacks)
		}
		if d.State() != dialog.StateConfirmed {
			t.Errorf("state %v after ACK", d.State())
		}
	})
}

// TestUASInDialogRules: 481 for an unknown dialog, 500 for a lower CSeq,
// target refresh by re-INVITE, 491 while our re-INVITE is pending, 500 +
// Retry-After while theirs is, BYE → 200 and termination.
func TestUASInDialogRules(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAS(t)
		inv := uasInvite(t)
		d, ok := f.establish(t, inv)
		h := f.m.Layer().HandleMessage
		h(inDialog(t, inv, ok, sip.MethodAck, 10), peer)
		last := func() *sip.Response {
			all := f.tp.find("SIP/2.0")
			return mustResp(t, all[len(all)-1].raw)
		}

		// 481: To tag of no dialog.
		bad := inDialog(t, inv, ok, sip.MethodInfo, 11)
		bad.SetHeader(sip.HeaderTo, "<sip:bob@192.0.2.2>;tag=nope")
		h(bad, peer)
		if r := last(); r.StatusCode != 481 {
			t.Errorf("unknown dialog answered %d, want 481", r.StatusCode)
		}

		// In order: passed to OnRequest; remote CSeq advances.
		h(inDialog(t, inv, ok, sip.MethodInfo, 12), peer)
		s := <-f.inDlg
		_ = d.Respond(s, d.NewResponse(s.Request(), 200, ""))
		if seq, _ := d.RemoteSeq(); seq != 12 {
			t.Errorf("remote CSeq %d, want 12", seq)
		}
		// Lower CSeq: 500.
		h(inDialog(t, inv, ok, sip.MethodInfo, 11), peer)
		if r := last(); r.StatusCode != 500 {
			t.Errorf("out-of-order CSeq answered %d, want 500", r.StatusCode)
		}
		select {
		case s := <-f.inDlg:
			t.Errorf("out-of-order %s reached the TU", s.Request().Method)
		default:
		}

		// re-INVITE with a new Contact: target refresh on receipt.
		re := inDialog(t, inv, ok, sip.MethodInvite, 13)
		re.SetContacts(mustAddr(t, "<sip:alice@192.0.2.50:5090>"))
		h(re, peer)
		rs := <-f.inDlg
		if got := d.RemoteTarget().String(); got != "sip:alice@192.0.2.50:5090" {
			t.Errorf("remote target %s after re-INVITE", got)
		}
		// A second re-INVITE while the first is unanswered: 500 + Retry-After.
		h(inDialog(t, inv, ok, sip.MethodInvite, 14), peer)
		if r := last(); r.StatusCode != 500 || r.Header(sip.HeaderRetryAfter) == "" {
			t.Errorf("overlapping re-INVITE answered %d Retry-After %q", r.StatusCode, r.Header(sip.HeaderRetryAfter))
		}
		_ = d.Respond(rs, d.NewResponse(rs.Request(), 200, ""))
		h(inDialog(t, inv, ok, sip.MethodAck, 13), peer)

		// Glare: our re-INVITE pending → theirs gets 491.
		go func() { _, _ = d.Reinvite(t.Context(), d.NewRequest(sip.MethodInvite)) }()
		synctest.Wait()
		if !d.PendingReinvite() {
			t.Fatal("our re-INVITE is not pending")
		}
		h(inDialog(t, inv, ok, sip.MethodInvite, 15), peer)
		if r := last(); r.StatusCode != 491 {
			t.Errorf("re-INVITE during ours answered %d, want 491", r.StatusCode)
		}
		if b := d.GlareBackoff(); b > 2*time.Second {
			t.Errorf("UAS (not Call-ID owner) back-off %v, want ≤ 2s", b)
		}

		// BYE: 200 and terminated.
		h(inDialog(t, inv, ok, sip.MethodBye, 16), peer)
		if r := last(); r.StatusCode != 200 {
			t.Errorf("BYE answered %d", r.StatusCode)
		}
		if d.State() != dialog.StateTerminated || f.m.Count() != 0 {
			t.Errorf("after BYE: state %v, %d dialogs", d.State(), f.m.Count())
		}
		if ends := f.endReasons(); len(ends) != 1 || !errors.Is(ends[0], dialog.ErrRemoteBye) {
			t.Errorf("reasons %v, want [ErrRemoteBye]", ends)
		}
		h(inDialog(t, inv, ok, sip.MethodInfo, 17), peer)
		if r := last(); r.StatusCode != 481 {
			t.Errorf("request after BYE answered %d, want 481", r.StatusCode)
		}
	})
}

// TestUASRejectEndsEarlyDialog: a non-2xx final response to the initial
// INVITE ends the early dialog (§12.3).
func TestUASRejectEndsEarlyDialog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAS(t)
		f.m.Layer().HandleMessage(uasInvite(t), peer)
		s := <-f.newReqs
		d, err := f.m.NewUAS(s)
		if err != nil {
			t.Fatal(err)
		}
		_ = d.Respond(s, d.NewResponse(s.Request(), 180, ""))
		if d.State() != dialog.StateEarly || f.m.Count() != 1 {
			t.Errorf("state %v, count %d", d.State(), f.m.Count())
		}
		_ = d.Respond(s, d.NewResponse(s.Request(), 486, ""))
		if d.State() != dialog.StateTerminated || f.m.Count() != 0 {
			t.Errorf("after 486: state %v, count %d", d.State(), f.m.Count())
		}
		if ends := f.endReasons(); len(ends) != 1 || !errors.Is(ends[0], dialog.ErrRejected) {
			t.Errorf("reasons %v", ends)
		}
	})
}

// TestUASCancel: a CANCEL for the early dialog's INVITE is answered 200 by
// the transaction layer; the UAS core answers the INVITE 487 and the early
// dialog ends.
func TestUASCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newUAS(t)
		inv := uasInvite(t)
		f.m.Layer().HandleMessage(inv, peer)
		s := <-f.newReqs
		d, err := f.m.NewUAS(s)
		if err != nil {
			t.Fatal(err)
		}
		_ = d.Respond(s, d.NewResponse(inv, 180, ""))
		f.m.Layer().HandleMessage(sip.NewCancel(inv), peer)
		select {
		case <-s.Cancelled():
		default:
			t.Fatal("INVITE not cancelled")
		}
		_ = d.Respond(s, d.NewResponse(inv, sip.StatusRequestTerminated, ""))
		if d.State() != dialog.StateTerminated || f.m.Count() != 0 {
			t.Errorf("after 487: %v, %d dialogs", d.State(), f.m.Count())
		}
		var codes []int
		for _, m := range f.tp.find("SIP/2.0 ") {
			codes = append(codes, mustResp(t, m.raw).StatusCode)
		}
		if len(codes) != 3 || codes[0] != 180 || codes[1] != 200 || codes[2] != 487 {
			t.Errorf("sent %v, want [180 200(CANCEL) 487]", codes)
		}
		r487 := mustResp(t, f.tp.find("SIP/2.0 487")[0].raw)
		if r487.ToTag() != d.ID().LocalTag {
			t.Errorf("487 To tag %q, want the dialog's %q", r487.ToTag(), d.ID().LocalTag)
		}
	})
}
