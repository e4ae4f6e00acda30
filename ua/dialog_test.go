package ua_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

// TestNoACKEndsCall: our 2xx is retransmitted (T1 doubling to T2) until
// 64·T1 without an ACK; then the call ends with a BYE carrying the reason
// (RFC 3261 §13.3.1.4).
func TestNoACKEndsCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		bob := e.agent("192.0.2.2", "bob", "", func(c *ua.Config) { direct(c); c.AutoAnswer = true })
		bob.wantReg(ua.RegDirect)
		caller := newRaw(t, e, "192.0.2.3:5060")
		inv := siptestInvite(t, "v=0\r\no=- 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
		caller.send(inv, bob.addr())
		caller.recvResp(200)
		start := time.Now()
		oks := 1
		var bye *sip.Request
		for bye == nil {
			m, from := caller.recv()
			switch m := m.(type) {
			case *sip.Response:
				if m.StatusCode == 200 {
					oks++
				}
			case *sip.Request:
				if m.Method == "BYE" {
					bye = m
					caller.send(sip.NewResponse(m, 200, ""), from)
				}
			}
		}
		if d := time.Since(start); d != 32*time.Second {
			t.Errorf("BYE after %v, want 64·T1 = 32s", d)
		}
		if oks != 11 {
			t.Errorf("200 sent %d times, want 11 (at 0, 0.5, 1.5, 3.5, 7.5, ... 31.5 s)", oks)
		}
		if r := bye.Header("Reason"); !strings.Contains(r, "cause=408") || !strings.Contains(r, "no ACK") {
			t.Errorf("BYE Reason = %q", r)
		}
		bob.wantCall(ua.CallIncoming)
		bob.wantCall(ua.CallActive)
		if c := bob.wantCall(ua.CallEnded); c.Code != 408 || c.Reason != "no ACK" {
			t.Errorf("ended %d %q, want 408 \"no ACK\"", c.Code, c.Reason)
		}
	})
}

// TestPeerByeWhileRinging: a BYE in the early dialog of an incoming call
// gets 200, the INVITE 487, and the call ends (§15.1.2).
func TestPeerByeWhileRinging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		bob := e.agent("192.0.2.2", "bob", "", direct)
		bob.wantReg(ua.RegDirect)
		caller := newRaw(t, e, "192.0.2.3:5060")
		inv := siptestInvite(t, "")
		caller.send(inv, bob.addr())
		ring := caller.recvResp(180)
		bob.wantCall(ua.CallIncoming)
		bye := uacDialogACK(t, inv, ring)
		bye.Method = "BYE"
		bye.SetCSeq(sip.CSeq{Seq: 2, Method: "BYE"})
		caller.send(bye, bob.addr())
		if r := caller.recvResp(200); r.Header("User-Agent") == "" {
			t.Errorf("200 to BYE without User-Agent:\n%s", r)
		}
		caller.recvResp(487)
		if c := bob.wantCall(ua.CallEnded); c.Code != 200 || c.Reason != "BYE from peer" {
			t.Errorf("ended %d %q", c.Code, c.Reason)
		}
		// the dialog is gone: 481
		bye.SetCSeq(sip.CSeq{Seq: 3, Method: "BYE"})
		bye.SetHeader("Via", "SIP/2.0/UDP 192.0.2.3:5060;branch="+sip.NewBranch())
		caller.send(bye, bob.addr())
		caller.recvResp(481)
	})
}

// TestWatcherDialog: a watcher's SUBSCRIBE creates a dialog; a refresh in
// it gets 200 and a NOTIFY, an old CSeq 500, the un-SUBSCRIBE a terminated
// NOTIFY, and a request after that 481.
func TestWatcherDialog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		alice := e.agent("192.0.2.1", "alice", "", func(c *ua.Config) { direct(c); c.Accounts[0].Domain = "192.0.2.1" })
		alice.wantReg(ua.RegDirect)
		w := newRaw(t, e, "192.0.2.3:5060")
		sub := siptestRequest(t, "SUBSCRIBE", "sip:alice@192.0.2.1")
		sub.SetHeader("Event", "presence")
		w.send(sub, alice.addr())
		ok := w.recvResp(200)
		notify := func(wantState string) {
			t.Helper()
			n, from := w.recvReq("NOTIFY")
			if !strings.HasPrefix(n.Header("Subscription-State"), wantState) || n.ToTag() != sub.FromTag() || n.FromTag() != ok.ToTag() {
				t.Errorf("NOTIFY (want %s):\n%s", wantState, n)
			}
			w.send(sip.NewResponse(n, 200, ""), from)
		}
		notify("active")
		in := func(seq uint32, expires int) *sip.Request {
			r := uacDialogACK(t, sub, ok)
			r.Method = "SUBSCRIBE"
			r.SetCSeq(sip.CSeq{Seq: seq, Method: "SUBSCRIBE"})
			r.SetHeader("Event", "presence")
			r.SetHeader("Contact", "<sip:c@192.0.2.3:5060>")
			r.SetExpires(expires)
			return r
		}
		w.send(in(5, 600), alice.addr())
		if r := w.recvResp(200); r.Header("Expires") != "600" {
			t.Errorf("refresh 200 Expires = %q", r.Header("Expires"))
		}
		notify("active;expires=600")
		w.send(in(4, 600), alice.addr())
		w.recvResp(500)
		w.send(in(6, 0), alice.addr())
		w.recvResp(200)
		notify("terminated")
		w.send(in(7, 600), alice.addr())
		w.recvResp(481)
	})
}

// TestByeBeforeACK: a BYE while our 2xx awaits its ACK ends the call and
// stops the 2xx retransmission.
func TestByeBeforeACK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		bob := e.agent("192.0.2.2", "bob", "", func(c *ua.Config) { direct(c); c.AutoAnswer = true })
		bob.wantReg(ua.RegDirect)
		caller := newRaw(t, e, "192.0.2.3:5060")
		inv := siptestInvite(t, "v=0\r\no=- 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
		caller.send(inv, bob.addr())
		ok := caller.recvResp(200)
		bye := uacDialogACK(t, inv, ok)
		bye.Method = "BYE"
		bye.SetCSeq(sip.CSeq{Seq: 2, Method: "BYE"})
		caller.send(bye, bob.addr())
		for {
			r := caller.recvResp(200)
			if cs, _ := r.CSeq(); cs.Method == "BYE" {
				break
			}
		}
		bob.wantCall(ua.CallIncoming)
		bob.wantCall(ua.CallActive)
		if c := bob.wantCall(ua.CallEnded); c.Code != 200 || c.Reason != "BYE from peer" {
			t.Errorf("ended %d %q", c.Code, c.Reason)
		}
		// nothing more: no 200 retransmission, no BYE of ours
		caller.pc.SetReadDeadline(time.Now().Add(time.Minute))
		buf := make([]byte, 65536)
		if n, _, err := caller.pc.ReadFromAddrPort(buf); err == nil {
			t.Errorf("after the BYE bob sent:\n%s", buf[:n])
		}
	})
}
