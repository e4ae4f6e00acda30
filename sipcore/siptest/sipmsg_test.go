package siptest

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
)

func TestSIPHelpers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{Link: LinkConfig{Delay: 10 * time.Millisecond}})
		defer nw.Close()
		rec := nw.Record()
		a, b := pair(t, nw)
		NewPeer(t, b, Answer(486))

		inv := Invite(t, "sip:bob@192.0.2.2")
		if inv.Method != sip.MethodInvite || inv.CallID() == "" || inv.FromTag() == "" {
			t.Fatalf("Invite built %q", inv.String())
		}
		if cs, err := inv.CSeq(); err != nil || cs.Method != sip.MethodInvite || cs.Seq != 1 {
			t.Errorf("CSeq = %v, %v", cs, err)
		}
		// The request parses back (it is well-formed).
		back := ParseRequest(t, []byte(inv.String()))
		if back.CallID() != inv.CallID() {
			t.Errorf("round trip Call-ID %q, want %q", back.CallID(), inv.CallID())
		}
		a.WriteTo([]byte(inv.String()), b.LocalAddr())
		got, _ := read(t, a)
		resp := ParseResponse(t, []byte(got))
		if resp.StatusCode != 486 || resp.CallID() != inv.CallID() || resp.ToTag() == "" {
			t.Errorf("answer %q", got)
		}
		ack := Request(t, sip.MethodAck, "sip:bob@192.0.2.2")
		a.WriteTo([]byte(ack.String()), b.LocalAddr())
		rec.WaitFor(t, time.Second, And(Method("ACK"), To(addrB)))
		time.Sleep(time.Second)
		if n := len(rec.Filter(Status(486))); n != 1 {
			t.Errorf("486 sent %d times, want 1 (ACK unanswered)", n)
		}
		if r := Respond(inv, 200); r.StatusCode != 200 || r.Reason != "OK" {
			t.Errorf("Respond = %q", r.StartLine())
		}
	})
}
