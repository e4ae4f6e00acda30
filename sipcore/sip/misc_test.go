package sip

import (
	"errors"
	"strings"
	"testing"
	"unsafe"
)

func TestSmallHelpers(t *testing.T) {
	p := Params{{"a", "1"}, {"B", ""}, {"a", "2"}}
	eq(t, "has", p.Has("b"), true)
	eq(t, "del", p.Clone().Del("A"), Params{{"B", ""}})
	eq(t, "set", p.Clone().Set("b", "x"), Params{{"a", "1"}, {"B", "x"}, {"a", "2"}})
	eq(t, "clone nil", Params(nil).Clone(), Params(nil))

	eq(t, "quote", Quote(`a "b" \c`+"\r\n"), `"a \"b\" \\c  "`)
	eq(t, "unquote", Unquote(Quote(`a "b" \c`)), `a "b" \c`)
	eq(t, "unquote plain", Unquote("plain"), "plain")
	eq(t, "split", splitList(`"a,b" <sip:x,y>, c ,`), []string{`"a,b" <sip:x,y>`, "c", ""})

	u := mustURI(t, "sips:a@b:5061")
	eq(t, "sips", u.IsSIPS(), true)
	eq(t, "hostport", u.HostPort(), "b:5061")
	eq(t, "zero", URI{}.IsZero(), true)
	eq(t, "not zero", u.IsZero(), false)

	v, err := ParseVia("SIP/2.0/TLS h.example:5061;branch=z9hG4bKz")
	noErr(t, err)
	eq(t, "reliable", v.Reliable(), true)
	eq(t, "sent-by", v.SentBy(), "h.example:5061")
	c := v.Clone()
	c.SetBranch("z9hG4bKnew")
	eq(t, "clone independent", [2]string{v.Branch(), c.Branch()}, [2]string{"z9hG4bKz", "z9hG4bKnew"})
	_, err = ParseVia("SIP/2.0/UDP h junk")
	eq(t, "via junk", errors.Is(err, ErrValue), true)
	for _, bad := range []string{"", "SIP", "SIP/2.0", "SIP/2.0/UDP", "SIP/2.0/UDP ", "SIP/2.0/UDP h:x", "SIP/2.0/UDP [zz]", "SIP 2.0/UDP h"} {
		if _, err := ParseVia(bad); err == nil {
			t.Errorf("ParseVia(%q) accepted", bad)
		}
	}

	a := mustAddr(t)(ParseAddress(`<sip:a@b;x=1>;tag=t`))
	b := a.Clone()
	b.URI.Params[0].Value = "2"
	b.Params[0].Value = "u"
	eq(t, "address clone", a.String(), "<sip:a@b;x=1>;tag=t")

	eq(t, "cseq string", CSeq{5, "BYE"}.String(), "5 BYE")
	eq(t, "media string", MediaType{"text", "plain", Params{{"charset", "utf-8"}}}.String(), "text/plain;charset=utf-8")
	eq(t, "value params", ValueParams{"presence", Params{{"id", "7"}}}.String(), "presence;id=7")
	eq(t, "rack string", RAck{1, 2, "INVITE"}.String(), "1 2 INVITE")
	for _, bad := range []string{"", "x INVITE", "1", "1 2 3", "99999999999 INVITE", "1 IN(VITE"} {
		if _, err := ParseCSeq(bad); err == nil {
			t.Errorf("ParseCSeq(%q) accepted", bad)
		}
	}
	if _, err := ParseRAck("1 2"); err == nil {
		t.Error("ParseRAck accepted 2 fields")
	}
	if _, err := ParseMediaType("text"); err == nil {
		t.Error("ParseMediaType accepted no subtype")
	}
	if _, err := ParseAuth(`Digest realm="x`, HeaderWWWAuthenticate); err == nil {
		t.Error("ParseAuth accepted unterminated quote")
	}
	eq(t, "header canonical", NewHeader("i", "x").CanonicalName(), "Call-ID")
	eq(t, "header unknown canonical", NewHeader("X-a", "x").CanonicalName(), "X-a")
	eq(t, "literal header Is", Header{Name: "via"}.Is("v"), true)
	eq(t, "unknown Is", NewHeader("X-A", "").Is("x-a"), true)
}

func TestMessageHelpers(t *testing.T) {
	var p Parser
	raw := []byte("SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nTo: <sip:a@b>;tag=2\r\n" +
		"From: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nProxy-Authorization: Digest username=\"u\", realm=\"r\"\r\nContent-Length: 0\r\n\r\n")
	res, err := p.ParseResponse(raw)
	noErr(t, err)
	_, err = p.ParseRequest(raw)
	eq(t, "not a request", errors.Is(err, ErrStartLine), true)
	_, err = p.ParseResponse([]byte(basicInvite))
	eq(t, "not a response", errors.Is(err, ErrStartLine), true)
	req, err := p.ParseRequest([]byte(basicInvite))
	noErr(t, err)
	eq(t, "kinds", [2]bool{req.IsRequest(), res.IsRequest()}, [2]bool{true, false})
	eq(t, "provisional", [2]bool{res.IsProvisional(), res.IsSuccess()}, [2]bool{true, false})

	pa, err := res.ProxyAuthorization()
	noErr(t, err)
	eq(t, "proxy-authorization", pa[0].Param("username"), "u")
	cl, err := res.ContentLength()
	noErr(t, err)
	eq(t, "content-length", cl, 0)

	c := res.Clone()
	c.SetBody([]byte("hello"))
	c.SetMaxForwards(3)
	c.SetExpires(60)
	c.SetRecordRoutes([]Address{{URI: mustURI(t, "sip:p;lr")}})
	var sb strings.Builder
	n, err := c.WriteTo(&sb)
	noErr(t, err)
	eq(t, "written", int(n), sb.Len())
	eq(t, "clone body", strings.Contains(sb.String(), "Content-Length: 5\r\n") && strings.HasSuffix(sb.String(), "\r\n\r\nhello"), true)
	eq(t, "original untouched", res.String(), string(raw))
	eq(t, "headers added", strings.Contains(sb.String(), "Max-Forwards: 3\r\nExpires: 60\r\nRecord-Route: <sip:p;lr>\r\n"), true)
	c.SetContent("", nil)
	eq(t, "content removed", c.HasHeader("Content-Type"), false)

	rc := req.Clone()
	rc.URI.Params = append(rc.URI.Params, Param{"lr", ""})
	eq(t, "request clone independent", req.URI.String(), "sip:bob@biloxi.com")
}

func TestViaReceivedAddrPort(t *testing.T) {
	for _, tc := range []struct {
		via  string
		want string // "" = not learned
	}{
		{"SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa;received=203.0.113.7;rport=40123", "203.0.113.7:40123"},
		{"SIP/2.0/UDP [2001:db8::2];branch=z9hG4bKa;received=[2001:db8::9];rport=5062", "[2001:db8::9]:5062"},
		{"SIP/2.0/UDP [2001:db8::2];branch=z9hG4bKa;received=2001:db8::9;rport=5062", "[2001:db8::9]:5062"},
		{"SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKa;received=::ffff:192.0.2.1;rport=7", "192.0.2.1:7"},
		{"SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKa;received=203.0.113.7", ""},
		{"SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKa;received=203.0.113.7;rport", ""},
		{"SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKa;rport=5060", ""},
		{"SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKa;received=host.example;rport=5060", ""},
	} {
		v, err := ParseVia(tc.via)
		noErr(t, err)
		ap, ok := v.ReceivedAddrPort()
		got := ""
		if ok {
			got = ap.String()
		}
		eq(t, tc.via, got, tc.want)
	}
}

// TestResponseCompact: the compact copy prints the same, and none of its
// strings points into the request it was built from.
func TestResponseCompact(t *testing.T) {
	var p Parser
	req, err := p.ParseRequest([]byte(basicInvite))
	noErr(t, err)
	resp := NewResponse(req, 486, "")
	resp.AddHeader("Server", "teaphone")
	resp.SetContent("text/plain", []byte("busy"))
	c := resp.Compact()
	eq(t, "text", c.String(), resp.String())
	eq(t, "exact capacity", cap(c.hdrs), len(c.hdrs))
	// Every name and value lies in one block of exactly their total size.
	lo, hi, n := ^uintptr(0), uintptr(0), 0
	for _, h := range c.hdrs {
		for _, s := range []string{h.Name, h.Value} {
			a := uintptr(unsafe.Pointer(unsafe.StringData(s)))
			lo, hi, n = min(lo, a), max(hi, a+uintptr(len(s))), n+len(s)
		}
	}
	eq(t, "headers in one block", hi-lo, uintptr(n))
	if resp.hdrs[0].Value != c.hdrs[0].Value || unsafe.StringData(resp.hdrs[0].Value) == unsafe.StringData(c.hdrs[0].Value) {
		t.Error("Via not copied")
	}
	c.Body()[0] = 'B'
	eq(t, "body copied", string(resp.Body()), "busy")
}
