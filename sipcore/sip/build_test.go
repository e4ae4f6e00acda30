package sip

import (
	"errors"
	"strings"
	"testing"
)

func TestBuildRequest(t *testing.T) {
	req := NewRequest(MethodInvite, mustURI(t, "sip:bob@biloxi.com"))
	req.PrependVia(Via{Transport: "UDP", Host: "pc33.atlanta.com", Params: Params{{"branch", "z9hG4bK776asdhds"}}})
	req.SetTo(Address{DisplayName: "Bob", URI: mustURI(t, "sip:bob@biloxi.com")})
	req.SetFrom(Address{DisplayName: "Alice", URI: mustURI(t, "sip:alice@atlanta.com"), Params: Params{{"tag", "1928301774"}}})
	req.SetCallID("a84b4c76e66710@pc33.atlanta.com")
	req.SetCSeq(CSeq{314159, MethodInvite})
	req.SetContacts(Address{URI: mustURI(t, "sip:alice@pc33.atlanta.com")})
	req.SetContent("application/sdp", []byte("v=0\r\n"))
	want := "INVITE sip:bob@biloxi.com SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n" +
		"Max-Forwards: 70\r\n" +
		"To: Bob <sip:bob@biloxi.com>\r\n" +
		"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n" +
		"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n" +
		"CSeq: 314159 INVITE\r\n" +
		"Contact: <sip:alice@pc33.atlanta.com>\r\n" +
		"Content-Type: application/sdp\r\n" +
		"Content-Length: 5\r\n\r\nv=0\r\n"
	eq(t, "wire", req.String(), want)
	var sb strings.Builder
	n, err := req.WriteTo(&sb)
	noErr(t, err)
	eq(t, "WriteTo", [2]any{sb.String(), n}, [2]any{want, int64(len(want))})
	eq(t, "AppendTo", string(req.AppendTo([]byte("x"))), "x"+want)
	eq(t, "validates", ValidateRequest(req, ValidateOptions{Accept: []string{"application/sdp"}}), (*StatusError)(nil))

	// Routes and a second Via.
	req.SetRoutes([]Address{{URI: mustURI(t, "sip:p1.example.com;lr")}, {URI: mustURI(t, "sip:p2.example.com;lr")}})
	rs, err := req.Routes()
	noErr(t, err)
	eq(t, "routes", len(rs), 2)
	req.SetRoutes(nil)
	eq(t, "routes removed", req.HasHeader("Route"), false)
	req.PrependVia(Via{Transport: "TCP", Host: "proxy", Port: 5061, Params: Params{{"branch", "z9hG4bKp"}}})
	vias, _ := req.Vias()
	eq(t, "via order", []string{vias[0].Host, vias[1].Host}, []string{"proxy", "pc33.atlanta.com"})
	top, err := req.RemoveTopVia()
	noErr(t, err)
	eq(t, "removed top", top.SentBy(), "proxy:5061")
	eq(t, "new top", mustVia(t, req).Host, "pc33.atlanta.com")
}

func TestNewResponse(t *testing.T) {
	m, err := Parse([]byte("INVITE sip:bob@biloxi.com SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP p1;branch=z9hG4bK1, SIP/2.0/UDP p2;branch=z9hG4bK2\r\n" +
		"Via: SIP/2.0/UDP pc33;branch=z9hG4bK3\r\n" +
		"Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.com>\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1\r\n" +
		"Call-ID: cid\r\nCSeq: 1 INVITE\r\nRecord-Route: <sip:p1;lr>\r\nRecord-Route: <sip:p2;lr>\r\n" +
		"Timestamp: 54\r\nContact: <sip:alice@pc33>\r\nContent-Length: 0\r\n\r\n"))
	noErr(t, err)
	req := m.(*Request)

	trying := NewResponse(req, 100, "")
	eq(t, "100 reason", trying.Reason, "Trying")
	eq(t, "100 no tag", trying.ToTag(), "")
	eq(t, "100 timestamp", trying.Header("Timestamp"), "54")

	ok := NewResponse(req, StatusOK, "")
	eq(t, "status line", ok.StartLine(), "SIP/2.0 200 OK")
	vias, err := ok.Vias()
	noErr(t, err)
	eq(t, "vias copied", len(vias), 3)
	eq(t, "from", ok.FromTag(), "1")
	eq(t, "to tag added", len(ok.ToTag()), 16)
	eq(t, "call-id", ok.CallID(), "cid")
	c, _ := ok.CSeq()
	eq(t, "cseq", c, CSeq{1, "INVITE"})
	eq(t, "no timestamp", ok.HasHeader("Timestamp"), false)
	eq(t, "no record-route", ok.HasHeader("Record-Route"), false)
	eq(t, "no contact", ok.HasHeader("Contact"), false)
	ok.CopyRecordRoute(req)
	rr, _ := ok.RecordRoutes()
	eq(t, "record-route", len(rr), 2)
	noErr(t, ok.SetToTag("abc"))
	eq(t, "set to tag", ok.ToTag(), "abc")
	to, _ := ok.To()
	eq(t, "to kept", to.String(), "Bob <sip:bob@biloxi.com>;tag=abc")
	noErr(t, ValidateResponse(ok))

	// A tag already present is kept.
	noErr(t, req.SetToTag("existing"))
	eq(t, "existing tag", NewResponse(req, 486, "").ToTag(), "existing")
	eq(t, "custom reason", NewResponse(req, 486, "Gone Fishing").Reason, "Gone Fishing")
}

func TestViaStamping(t *testing.T) {
	m, err := Parse([]byte("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP host.example;branch=z9hG4bKa;rport, SIP/2.0/UDP x;branch=z9hG4bKb\r\n" +
		"To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"))
	noErr(t, err)
	noErr(t, m.(*Request).StampVia("192.0.2.7", 40000))
	v := mustVia(t, m)
	eq(t, "stamped", v.String(), "SIP/2.0/UDP host.example;branch=z9hG4bKa;rport=40000;received=192.0.2.7")
	vias, _ := m.Vias()
	eq(t, "second kept", len(vias), 2)
	eq(t, "split header", m.HeaderValues("Via"), []string{"SIP/2.0/UDP host.example;branch=z9hG4bKa;rport=40000;received=192.0.2.7", "SIP/2.0/UDP x;branch=z9hG4bKb"})

	// Same host and no rport: nothing to add (§18.2.1).
	m2, _ := Parse([]byte("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKa\r\n\r\n"))
	noErr(t, m2.(*Request).StampVia("192.0.2.7", 5060))
	eq(t, "unchanged", mustVia(t, m2).String(), "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKa")

	var none Request
	_, err = none.TopVia()
	eq(t, "no via", errors.Is(err, ErrNoHeader), true)
	eq(t, "stamp no via", errors.Is(none.StampVia("1.2.3.4", 1), ErrNoHeader), true)
}

func TestIDs(t *testing.T) {
	b := NewBranch()
	if !strings.HasPrefix(b, BranchMagicCookie) || len(b) != len(BranchMagicCookie)+24 || b == NewBranch() {
		t.Errorf("branch %q", b)
	}
	if id := NewCallID("host"); !strings.HasSuffix(id, "@host") || len(id) != 37 {
		t.Errorf("call-id %q", id)
	}
	if a, b := NewTag(), NewTag(); a == b {
		t.Error("tags repeat")
	}
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{100: "Trying", 180: "Ringing", 200: "OK", 401: "Unauthorized",
		407: "Proxy Authentication Required", 481: "Call/Transaction Does Not Exist", 487: "Request Terminated",
		503: "Service Unavailable", 603: "Decline", 299: ""} {
		eq(t, "status", StatusText(code), want)
	}
	eq(t, "known", IsKnownMethod("PRACK"), true)
	eq(t, "case-sensitive", IsKnownMethod("invite"), false)
	eq(t, "token", IsValidMethod("NEW-METHOD"), true)
}

func TestCancelAndAck(t *testing.T) {
	m, err := Parse([]byte("INVITE sip:bob@biloxi.com SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP pc33;branch=z9hG4bK3, SIP/2.0/UDP other;branch=z9hG4bK9\r\n" +
		"Route: <sip:p1;lr>\r\nMax-Forwards: 69\r\nTo: Bob <sip:bob@biloxi.com>\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1\r\n" +
		"Call-ID: cid\r\nCSeq: 7 INVITE\r\nContact: <sip:alice@pc33>\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n"))
	noErr(t, err)
	req := m.(*Request)
	cancel := NewCancel(req)
	want := "CANCEL sip:bob@biloxi.com SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP pc33;branch=z9hG4bK3\r\nMax-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.com>\r\n" +
		"From: Alice <sip:alice@atlanta.com>;tag=1\r\nCall-ID: cid\r\nCSeq: 7 CANCEL\r\nRoute: <sip:p1;lr>\r\nContent-Length: 0\r\n\r\n"
	eq(t, "cancel", cancel.String(), want)
	res := NewResponse(req, 486, "")
	noErr(t, res.SetToTag("xyz"))
	ack := NewAck(req, res)
	eq(t, "ack", ack.String(), strings.NewReplacer("CANCEL", "ACK", "biloxi.com>\r\nFrom", "biloxi.com>;tag=xyz\r\nFrom").Replace(want))
}
