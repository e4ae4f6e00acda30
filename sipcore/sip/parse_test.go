package sip

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const basicInvite = "INVITE sip:bob@biloxi.com SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n" +
	"Max-Forwards: 70\r\n" +
	"To: Bob <sip:bob@biloxi.com>\r\n" +
	"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n" +
	"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n" +
	"CSeq: 314159 INVITE\r\n" +
	"Contact: <sip:alice@pc33.atlanta.com>\r\n" +
	"Content-Length: 0\r\n\r\n"

func TestCompactFormsAndCase(t *testing.T) {
	msg := "INVITE sip:bob@biloxi.com SIP/2.0\r\n" +
		"v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK1\r\n" +
		"t: <sip:bob@biloxi.com>\r\n" +
		"f: <sip:alice@atlanta.com>;tag=1\r\n" +
		"i: abc@x\r\n" +
		"cSeQ: 1 INVITE\r\n" +
		"m: <sip:alice@pc33.atlanta.com>\r\n" +
		"c: application/sdp\r\n" +
		"k: 100rel, timer\r\n" +
		"o: presence;id=1\r\n" +
		"u: presence, dialog\r\n" +
		"r: <sip:carol@x>\r\n" +
		"b: <sip:alice@atlanta.com>\r\n" +
		"x: 1800;refresher=uac\r\n" +
		"s: hello\r\n" +
		"L: 4\r\n\r\nv=0\r\n"
	m, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	r := m.(*Request)
	eq(t, "call-id", r.CallID(), "abc@x")
	eq(t, "Header(Call-ID)", r.Header("call-id"), "abc@x")
	eq(t, "Header(i)", r.Header("I"), "abc@x")
	eq(t, "from tag", r.FromTag(), "1")
	c, _ := r.CSeq()
	eq(t, "cseq", c, CSeq{1, "INVITE"})
	sup, _ := r.Supported()
	eq(t, "supported", sup, []string{"100rel", "timer"})
	ev, _ := r.Event()
	eq(t, "event", ev, ValueParams{Value: "presence", Params: Params{{"id", "1"}}})
	ae, _ := r.AllowEvents()
	eq(t, "allow-events", ae, []string{"presence", "dialog"})
	rt, _ := r.ReferTo()
	eq(t, "refer-to", rt.URI.User, "carol")
	rb, _ := r.ReferredBy()
	eq(t, "referred-by", rb.URI.User, "alice")
	se, _ := r.SessionExpires()
	eq(t, "session-expires", se.Param("refresher"), "uac")
	eq(t, "subject", r.Header("Subject"), "hello")
	eq(t, "body", string(r.Body()), "v=0\r")
	// Names are kept as written on serialization.
	eq(t, "compact kept", strings.Contains(r.String(), "\r\nv: SIP/2.0/UDP"), true)
	eq(t, "Is", NewHeader("v", "").Is("VIA"), true)
	eq(t, "canonical", CanonicalHeaderName("call-ID"), "Call-ID")
	eq(t, "compact", CompactHeaderName("Via"), "v")
	eq(t, "no compact", CompactHeaderName("CSeq"), "")
	eq(t, "unknown canonical", CanonicalHeaderName("X-Foo"), "X-Foo")
}

func TestFolding(t *testing.T) {
	msg := "OPTIONS sip:a@b SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP\r\n  host.example.com\r\n\t;branch=z9hG4bKx\r\n" +
		"Subject: one\r\n two\r\n\t three\r\n" +
		"Empty:\r\n" +
		"X-Later:\r\n value\r\n" +
		"Content-Length:\r\n 0\r\n\r\n"
	m, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	v := mustVia(t, m)
	eq(t, "via", v.String(), "SIP/2.0/UDP host.example.com;branch=z9hG4bKx")
	eq(t, "subject", m.Header("subject"), "one two three")
	eq(t, "empty", m.Header("Empty"), "")
	eq(t, "later", m.Header("x-later"), "value")
	hs := m.Headers()
	eq(t, "order", []string{hs[0].Name, hs[1].Name, hs[2].Name, hs[3].Name, hs[4].Name}, []string{"Via", "Subject", "Empty", "X-Later", "Content-Length"})
}

func TestParseLFOnlyAndLeadingCRLF(t *testing.T) {
	msg := "\r\n\r\n" + strings.ReplaceAll(basicInvite, "\r\n", "\n")
	m, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "call-id", m.CallID(), "a84b4c76e66710@pc33.atlanta.com")
	eq(t, "reserialized with CRLF", m.String(), basicInvite)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, msg string
		want      error
	}{
		{"empty", "", ErrStartLine},
		{"only CRLF", "\r\n\r\n", ErrStartLine},
		{"no version", "INVITE sip:a@b\r\n\r\n", ErrStartLine},
		{"bad version", "INVITE sip:a@b SIP/2\r\n\r\n", ErrStartLine},
		{"bad method", "INV(ITE sip:a@b SIP/2.0\r\n\r\n", ErrStartLine},
		{"bad uri", "INVITE sip: SIP/2.0\r\n\r\n", ErrStartLine},
		{"tab in line", "INVITE\tsip:a@b SIP/2.0\r\n\r\n", ErrStartLine},
		{"status 2 digits", "SIP/2.0 20 OK\r\n\r\n", ErrStartLine},
		{"status 700", "SIP/2.0 700 X\r\n\r\n", ErrStartLine},
		{"status 099", "SIP/2.0 099 X\r\n\r\n", ErrStartLine},
		{"status letters", "SIP/2.0 2x0 X\r\n\r\n", ErrStartLine},
		{"no colon", "OPTIONS sip:a@b SIP/2.0\r\nFoobar roobar\r\n\r\n", ErrHeader},
		{"bad name", "OPTIONS sip:a@b SIP/2.0\r\nFoo bar: x\r\n\r\n", ErrHeader},
		{"empty name", "OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n", ErrHeader},
		{"fold first", "OPTIONS sip:a@b SIP/2.0\r\n folded: x\r\n\r\n", ErrHeader},
		{"cl negative", "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n", ErrContentLength},
		{"cl text", "OPTIONS sip:a@b SIP/2.0\r\nl: ten\r\n\r\n", ErrContentLength},
		{"cl twice", "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\nContent-Length: 0\r\n\r\n", ErrContentLength},
		{"cl list", "OPTIONS sip:a@b SIP/2.0\r\nl: 0, 0\r\n\r\n", ErrContentLength},
		{"cl too big", "OPTIONS sip:a@b SIP/2.0\r\nl: 5\r\n\r\nabc", ErrContentLength},
		{"cl huge", "OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999999999999999\r\n\r\nabc", ErrContentLength},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.msg))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Errorf("%s: %T is not *ParseError", tc.name, err)
		}
	}
}

func TestParseErrorText(t *testing.T) {
	_, err := Parse([]byte("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\nFoobar roobar\r\n\r\n"))
	want := `sip: line 3: malformed header line: missing ':' in "Foobar roobar"`
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestLimits(t *testing.T) {
	p := Parser{Limits: Limits{MaxMessageSize: 400, MaxHeaders: 5, MaxLineLength: 100}}
	if _, err := p.Parse([]byte(basicInvite)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("header count: %v", err)
	}
	p.Limits.MaxHeaders = 50
	if _, err := p.Parse([]byte(basicInvite)); err != nil {
		t.Errorf("within limits: %v", err)
	}
	big := "OPTIONS sip:a@b SIP/2.0\r\nX: " + strings.Repeat("a", 120) + "\r\n\r\n"
	if _, err := p.Parse([]byte(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("line length: %v", err)
	}
	folded := "OPTIONS sip:a@b SIP/2.0\r\nX: a\r\n" + strings.Repeat(" "+strings.Repeat("b", 30)+"\r\n", 5) + "\r\n"
	if _, err := p.Parse([]byte(folded)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("folded length: %v", err)
	}
	if _, err := p.Parse([]byte(basicInvite + strings.Repeat("x", 100))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("message size: %v", err)
	}
	// Defaults apply to zero fields; limits are per parser.
	if _, err := (Parser{}).Parse([]byte(big)); err != nil {
		t.Errorf("default limits: %v", err)
	}
}

func TestDatagramBody(t *testing.T) {
	head := "MESSAGE sip:a@b SIP/2.0\r\nContent-Type: text/plain\r\n"
	m, err := Parse([]byte(head + "\r\nhello\r\nworld"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "body to end without Content-Length", string(m.Body()), "hello\r\nworld")
	m, err = Parse([]byte(head + "Content-Length: 5\r\n\r\nhello\r\nworld"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "trailing octets discarded", string(m.Body()), "hello")
	eq(t, "serialized", strings.HasSuffix(m.String(), "Content-Length: 5\r\n\r\nhello"), true)
}

func TestUnknownHeadersSurvive(t *testing.T) {
	msg := "OPTIONS sip:a@b SIP/2.0\r\n" +
		"X-B: 2\r\nC%6Fntact: <sip:x@y>\r\nX-A: 1, 2 ,3\r\nx-b: again\r\nWeird-Case-NAME: ;;,,\r\nContent-Length: 0\r\n\r\n"
	m, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != msg {
		t.Errorf("not byte-exact:\n%q\n%q", m.String(), msg)
	}
	eq(t, "values", m.HeaderValues("X-b"), []string{"2", "again"})
	eq(t, "not contact", m.HasHeader("Contact"), false)
	cs, err := m.Contacts()
	eq(t, "no contacts", len(cs), 0)
	noErr(t, err)
}

func TestTypedAccessors(t *testing.T) {
	msg := "SIP/2.0 401 Unauthorized\r\n" +
		"Via: SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKa;rport=5062;received=2001:db8::9\r\n" +
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: c\r\nCSeq: 2 REGISTER\r\n" +
		"WWW-Authenticate: Digest realm=\"x.org\", nonce=\"abc\", qop=\"auth,auth-int\", algorithm=MD5, Digest realm=\"x.org\", algorithm=SHA-256, nonce=\"d\"\r\n" +
		"Proxy-Authenticate: Basic YWxhZGRpbjpvcGVuc2VzYW1l==\r\n" +
		"Min-Expires: 60\r\nExpires: 3600\r\nAllow: INVITE, ACK ,BYE\r\nUnsupported: foo\r\n" +
		"RSeq: 988789\r\nRAck: 776656 1 INVITE\r\nServer: teaphone/1\r\nUser-Agent: ua/2\r\n" +
		"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nReason: SIP;cause=200;text=\"Call completed elsewhere\", Q.850;cause=16\r\n" +
		"P-Asserted-Identity: \"Cullen\" <sip:fluffy@x>, <tel:+14085264000>\r\n" +
		"Subscription-State: active;expires=60\r\nReplaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472\r\n" +
		"Accept: application/sdp;q=1, */*;q=0.1\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\nRecord-Route: <sip:p3;lr>\r\n" +
		"Content-Length: 0\r\n\r\n"
	m, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	r := m.(*Response)
	v := mustVia(t, r)
	eq(t, "via host", v.Host, "[2001:db8::1]")
	eq(t, "via port", v.Port, 5062)
	eq(t, "sent-by", v.SentBy(), "[2001:db8::1]:5062")
	eq(t, "received", v.Received(), "2001:db8::9")
	p, ok := v.RPort()
	eq(t, "rport", [2]any{p, ok}, [2]any{5062, true})
	ch, err := r.WWWAuthenticate()
	noErr(t, err)
	eq(t, "challenges", len(ch), 2)
	eq(t, "realm", ch[0].Param("realm"), "x.org")
	eq(t, "qop", ch[0].Param("qop"), "auth,auth-int")
	eq(t, "algorithm 2", ch[1].Param("algorithm"), "SHA-256")
	eq(t, "auth string", ch[1].String(), `Digest realm="x.org", algorithm=SHA-256, nonce="d"`)
	pa, err := r.ProxyAuthenticate()
	noErr(t, err)
	eq(t, "token68", pa, []Auth{{Scheme: "Basic", Token68: "YWxhZGRpbjpvcGVuc2VzYW1l=="}})
	me, _ := r.MinExpires()
	eq(t, "min-expires", me, 60)
	ex, _ := r.Expires()
	eq(t, "expires", ex, 3600)
	al, _ := r.Allow()
	eq(t, "allow", al, []string{"INVITE", "ACK", "BYE"})
	un, _ := r.Unsupported()
	eq(t, "unsupported", un, []string{"foo"})
	rs, _ := r.RSeq()
	eq(t, "rseq", rs, uint32(988789))
	ra, _ := r.RAck()
	eq(t, "rack", ra, RAck{776656, 1, "INVITE"})
	eq(t, "server", r.Server(), "teaphone/1")
	eq(t, "user-agent", r.UserAgent(), "ua/2")
	d, err := r.Date()
	noErr(t, err)
	eq(t, "date", FormatDate(d), "Sat, 13 Nov 2010 23:29:00 GMT")
	rsn, err := r.Reasons()
	noErr(t, err)
	eq(t, "reason", len(rsn), 2)
	eq(t, "reason text", rsn[0].Param("text"), "Call completed elsewhere")
	eq(t, "reason 2", rsn[1].Value, "Q.850")
	pai, err := r.PAssertedIdentity()
	noErr(t, err)
	eq(t, "pai", []string{pai[0].String(), pai[1].String()}, []string{"Cullen <sip:fluffy@x>", "<tel:+14085264000>"})
	ss, _ := r.SubscriptionState()
	eq(t, "sub-state", ss, ValueParams{"active", Params{{"expires", "60"}}})
	rp, _ := r.Replaces()
	eq(t, "replaces", rp.Value, "425928@bobster.example.org")
	eq(t, "replaces to-tag", rp.Param("to-tag"), "7743")
	acc, _ := r.Accept()
	eq(t, "accept", len(acc), 2)
	eq(t, "accept match", acc[1].Match(MediaType{Type: "text", Subtype: "plain"}), true)
	rr, err := r.RecordRoutes()
	noErr(t, err)
	var hosts []string
	for _, a := range rr {
		hosts = append(hosts, a.URI.Host)
	}
	eq(t, "record-route", hosts, []string{"p1", "p2", "p3"})
	_, err = r.Event()
	eq(t, "absent", errors.Is(err, ErrNoHeader), true)
}

func TestHeaderEditing(t *testing.T) {
	m, err := Parse([]byte(basicInvite))
	if err != nil {
		t.Fatal(err)
	}
	m.AddHeader("x-custom", "1")
	m.AddHeader("X-Custom", "2")
	m.SetHeader("X-CUSTOM", "3")
	eq(t, "set replaces all", m.HeaderValues("x-custom"), []string{"3"})
	m.PrependHeader("x-top", "t")
	eq(t, "prepend", m.Headers()[0].Name, "x-top")
	m.AddHeader("l", "999") // canonicalized; value recomputed on write
	eq(t, "canonical name", m.HasHeader("Content-Length"), true)
	eq(t, "removed", m.RemoveHeader("content-length"), 2)
	m.SetHeader("i", "new-id\r\nInjected: yes")
	eq(t, "no injection", m.CallID(), "new-id Injected: yes")
	eq(t, "one call-id", len(m.HeaderValues("Call-ID")), 1)
	out := m.String()
	eq(t, "content-length added", strings.HasSuffix(out, "Content-Length: 0\r\n\r\n"), true)
	m2, err := Parse([]byte(out))
	noErr(t, err)
	eq(t, "reparsed", headersNoCL(m2), headersNoCL(m))
	if !reflect.DeepEqual(m.(*Request).Clone().String(), out) {
		t.Error("clone differs")
	}
}

func TestHeaderRegistry(t *testing.T) {
	compact := map[string]string{"a": "Accept-Contact", "b": "Referred-By", "c": "Content-Type", "d": "Request-Disposition",
		"e": "Content-Encoding", "f": "From", "i": "Call-ID", "j": "Reject-Contact", "k": "Supported", "l": "Content-Length",
		"m": "Contact", "n": "Identity-Info", "o": "Event", "r": "Refer-To", "s": "Subject", "t": "To", "u": "Allow-Events",
		"v": "Via", "x": "Session-Expires", "y": "Identity"}
	for c, full := range compact {
		eq(t, "compact "+c, CanonicalHeaderName(c), full)
		eq(t, "compact upper "+c, CanonicalHeaderName(strings.ToUpper(c)), full)
		eq(t, "compact of "+full, CompactHeaderName(strings.ToLower(full)), c)
	}
	for _, name := range []string{HeaderVia, HeaderCallID, HeaderCSeq, HeaderWWWAuthenticate, HeaderPAssertedIdentity,
		HeaderSubscriptionState, HeaderRSeq, HeaderRAck, HeaderMinSE, HeaderMIMEVersion, HeaderSIPETag} {
		eq(t, "canonical "+name, CanonicalHeaderName(strings.ToLower(name)), name)
		eq(t, "upper "+name, CanonicalHeaderName(strings.ToUpper(name)), name)
	}
	for _, name := range []string{"C%6Fntact", "X-Via", "Vias", "", "ContactX", strings.Repeat("x", 40)} {
		eq(t, "unknown "+name, CanonicalHeaderName(name), name)
	}
}

func TestManyHeaders(t *testing.T) {
	var b strings.Builder
	b.WriteString("OPTIONS sip:a@b SIP/2.0\r\n")
	for i := range 70 {
		b.WriteString("X-H: " + strings.Repeat("v", i) + "\r\n")
	}
	b.WriteString("Subject: a\r\n b\r\nLast: yes\r\nContent-Length: 3\r\n\r\nabcXYZ")
	m, err := Parse([]byte(b.String()))
	noErr(t, err)
	vals := m.HeaderValues("x-h")
	eq(t, "count", len(vals), 70)
	eq(t, "69th", vals[69], strings.Repeat("v", 69))
	eq(t, "folded after 48 lines", m.Header("Subject"), "a b")
	eq(t, "last", m.Header("Last"), "yes")
	eq(t, "body", string(m.Body()), "abc")
	// Without a trailing empty line or CRLF on the last header.
	m, err = Parse([]byte(strings.TrimSuffix(b.String(), "Content-Length: 3\r\n\r\nabcXYZ") + "X-End: 1"))
	noErr(t, err)
	eq(t, "unterminated last", m.Header("X-End"), "1")
}
