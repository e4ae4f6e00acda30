package transport

import (
	"bytes"
	"strings"
	"testing"

	"github.com/teaphone/teaphone/sipcore/sip"
)

const brokenInvite = "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n" +
	"v: SIP/2.0/UDP 192.0.2.9\r\n" +
	"f: <sip:alice@192.0.2.1>;tag=a\r\n" +
	"To: <sip:bob@192.0.2.2>\r\n" +
	"Call-ID:\r\n x-1\r\n" +
	"CSeq: 1 INVITE\r\n" +
	"Broken\r\n\r\n"

func TestBadRequest(t *testing.T) {
	got := badRequest([]byte(brokenInvite), "line 8: malformed header line")
	resp, err := sip.Parse(got)
	if err != nil {
		t.Fatalf("400 does not parse: %v\n%s", err, got)
	}
	r := resp.(*sip.Response)
	if r.StatusCode != 400 || !strings.Contains(r.Reason, "malformed header line") {
		t.Errorf("status line %q", r.StartLine())
	}
	if vias, _ := r.Vias(); len(vias) != 2 || r.CallID() != "x-1" {
		t.Errorf("vias %v call-id %q", vias, r.CallID())
	}
	for _, tc := range []struct{ name, in string }{
		{"ack", strings.Replace(brokenInvite, "INVITE sip", "ACK sip", 1)},
		{"response", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n"},
		{"no call-id", strings.Replace(brokenInvite, "Call-ID:\r\n x-1\r\n", "", 1)},
		{"two cseq", strings.Replace(brokenInvite, "CSeq: 1 INVITE\r\n", "CSeq: 1 INVITE\r\nCSeq: 2 INVITE\r\n", 1)},
		{"garbage", "\x00\x01\x02"},
	} {
		if got := badRequest([]byte(tc.in), "x"); got != nil {
			t.Errorf("%s: answered %q, want drop", tc.name, got)
		}
	}
}

func FuzzBadRequest(f *testing.F) {
	f.Add([]byte(brokenInvite), "reason")
	f.Fuzz(func(t *testing.T, data []byte, reason string) {
		out := badRequest(data, reason)
		if out == nil {
			return
		}
		if !bytes.HasPrefix(out, []byte("SIP/2.0 400 ")) {
			t.Fatalf("not a 400: %q", out)
		}
		// The answer is one message: the reason phrase stays on its line.
		if line, _, _ := bytes.Cut(out, []byte("\r\n")); bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("status line broken: %q", line)
		}
	})
}
