package sip

import (
	"strings"
	"testing"
)

func reqFrom(t *testing.T, start string, hdrs ...string) *Request {
	t.Helper()
	m, err := Parse([]byte(start + "\r\n" + strings.Join(hdrs, "\r\n") + "\r\n\r\n"))
	noErr(t, err)
	return m.(*Request)
}

var okHeaders = []string{"Via: SIP/2.0/UDP h;branch=z9hG4bKx", "To: <sip:a@b>", "From: <sip:c@d>;tag=1", "Call-ID: id", "Max-Forwards: 70"}

func TestValidateRequest(t *testing.T) {
	with := func(extra ...string) []string { return append(append([]string(nil), okHeaders...), extra...) }
	tests := []struct {
		name   string
		start  string
		hdrs   []string
		opts   ValidateOptions
		code   int
		reason string
	}{
		{"ok", "OPTIONS sip:a@b SIP/2.0", with("CSeq: 1 OPTIONS"), ValidateOptions{}, 0, ""},
		{"version", "OPTIONS sip:a@b SIP/3.0", with("CSeq: 1 OPTIONS"), ValidateOptions{}, 505, "Version Not Supported"},
		{"missing cseq", "OPTIONS sip:a@b SIP/2.0", with(), ValidateOptions{}, 400, "Missing CSeq"},
		{"missing via", "OPTIONS sip:a@b SIP/2.0", []string{"To: <sip:a@b>", "From: <sip:c@d>", "Call-ID: x", "CSeq: 1 OPTIONS"}, ValidateOptions{}, 400, "Missing Via"},
		{"dup from", "OPTIONS sip:a@b SIP/2.0", with("CSeq: 1 OPTIONS", "From: <sip:e@f>"), ValidateOptions{}, 400, "Multiple From Headers"},
		{"dup max-forwards", "OPTIONS sip:a@b SIP/2.0", with("CSeq: 1 OPTIONS", "Max-Forwards: 5"), ValidateOptions{}, 400, "Multiple Max-Forwards Headers"},
		{"cseq 2^31", "OPTIONS sip:a@b SIP/2.0", with("CSeq: 2147483648 OPTIONS"), ValidateOptions{}, 400, "CSeq Number Too Large"},
		{"cseq 2^31-1", "OPTIONS sip:a@b SIP/2.0", with("CSeq: 2147483647 OPTIONS"), ValidateOptions{}, 0, ""},
		{"cseq mismatch", "BYE sip:a@b SIP/2.0", with("CSeq: 1 INVITE"), ValidateOptions{}, 400, "CSeq Method Mismatch"},
		{"bad call-id", "OPTIONS sip:a@b SIP/2.0", []string{"Via: SIP/2.0/UDP h", "To: <sip:a@b>", "From: <sip:c@d>", "Call-ID: a b", "CSeq: 1 OPTIONS"}, ValidateOptions{}, 400, "Malformed Call-ID"},
		{"bad max-forwards", "OPTIONS sip:a@b SIP/2.0", []string{"Via: SIP/2.0/UDP h", "To: <sip:a@b>", "From: <sip:c@d>", "Call-ID: x", "CSeq: 1 OPTIONS", "Max-Forwards: many"}, ValidateOptions{}, 400, "Malformed Max-Forwards"},
		{"unknown method", "FOO sip:a@b SIP/2.0", with("CSeq: 1 FOO"), ValidateOptions{}, 501, "Not Implemented"},
		{"caller's methods", "FOO sip:a@b SIP/2.0", with("CSeq: 1 FOO"), ValidateOptions{Methods: []string{"FOO"}}, 0, ""},
		{"not allowed", "MESSAGE sip:a@b SIP/2.0", with("CSeq: 1 MESSAGE"), ValidateOptions{Allowed: []string{"INVITE", "BYE"}}, 405, "Method Not Allowed"},
		{"tel ok", "OPTIONS tel:+1555 SIP/2.0", with("CSeq: 1 OPTIONS"), ValidateOptions{}, 0, ""},
		{"scheme", "OPTIONS im:a@b SIP/2.0", with("CSeq: 1 OPTIONS"), ValidateOptions{}, 416, "Unsupported URI Scheme"},
		{"schemes option", "OPTIONS tel:+1555 SIP/2.0", with("CSeq: 1 OPTIONS"), ValidateOptions{Schemes: []string{"sip"}}, 416, "Unsupported URI Scheme"},
		{"mf 0 uas", "OPTIONS sip:a@b SIP/2.0", []string{"Via: SIP/2.0/UDP h", "To: <sip:a@b>", "From: <sip:c@d>", "Call-ID: x", "CSeq: 1 OPTIONS", "Max-Forwards: 0"}, ValidateOptions{}, 0, ""},
		{"mf 0 proxy", "OPTIONS sip:a@b SIP/2.0", []string{"Via: SIP/2.0/UDP h", "To: <sip:a@b>", "From: <sip:c@d>", "Call-ID: x", "CSeq: 1 OPTIONS", "Max-Forwards: 0"}, ValidateOptions{Forwarding: true}, 483, "Too Many Hops"},
		{"require", "INVITE sip:a@b SIP/2.0", with("CSeq: 1 INVITE", "Require: 100rel, foo"), ValidateOptions{Supported: []string{"100rel"}}, 420, "Bad Extension"},
		{"require on ACK ignored", "ACK sip:a@b SIP/2.0", with("CSeq: 1 ACK", "Require: foo"), ValidateOptions{}, 0, ""},
		{"content type", "INVITE sip:a@b SIP/2.0", with("CSeq: 1 INVITE", "Content-Type: text/html", "Content-Length: 1\r\n\r\nx"), ValidateOptions{Accept: []string{"application/sdp"}}, 415, "Unsupported Media Type"},
		{"missing content type", "INVITE sip:a@b SIP/2.0", with("CSeq: 1 INVITE", "Content-Length: 1\r\n\r\nx"), ValidateOptions{Accept: []string{"application/sdp"}}, 415, "Unsupported Media Type"},
		{"wildcard accept", "INVITE sip:a@b SIP/2.0", with("CSeq: 1 INVITE", "Content-Type: text/html", "Content-Length: 1\r\n\r\nx"), ValidateOptions{Accept: []string{"text/*"}}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := reqFrom(t, tc.start, tc.hdrs...)
			se := ValidateRequest(r, tc.opts)
			if tc.code == 0 {
				if se != nil {
					t.Fatalf("rejected: %v", se)
				}
				return
			}
			if se == nil {
				t.Fatalf("accepted, want %d %s", tc.code, tc.reason)
			}
			eq(t, "status", [2]any{se.Code, se.Reason}, [2]any{tc.code, tc.reason})
			res := se.Response(r)
			eq(t, "response", res.StartLine(), "SIP/2.0 "+res.StartLine()[8:])
			switch tc.code {
			case 420:
				eq(t, "unsupported", res.Header("Unsupported"), "foo")
			case 415:
				eq(t, "accept", res.Header("Accept"), strings.Join(tc.opts.Accept, ", "))
			case 405:
				eq(t, "allow", res.Header("Allow"), "INVITE, BYE")
			}
			eq(t, "error text", strings.HasPrefix(se.Error(), "sip: request rejected: "), true)
		})
	}
}
