package digest

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Digest username="alice", realm="example.com", nonce="abc", uri="sip:example.com", response="0123456789abcdef", algorithm=MD5, cnonce="x,y", qop=auth, nc=00000001, opaque="o"`,
			`Digest username="alice", realm="example.com", uri="sip:example.com", algorithm=MD5, qop=auth, [redacted]`},
		{`  Digest USERNAME="bob",Response="r"  `, `Digest USERNAME="bob", [redacted]`},
		{`Digest username="a\"b,c", realm="r"`, `Digest username="a\"b,c", realm="r"`},
		{`Digest nonce="n", response="r"`, `Digest [redacted]`},
		{`Basic YWxpY2U6c2VjcmV0`, `Basic [redacted]`},
		{`Digest`, `Digest [redacted]`},
		{``, ` [redacted]`},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRedactRoundTrip redacts what Client.Authorize produces: no secret
// part survives, the user name does.
func TestRedactRoundTrip(t *testing.T) {
	ch, err := ParseChallenge(`Digest realm="example.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", qop="auth", opaque="5ccc069c403ebaf9f0171e9517f40e41"`)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(ClientConfig{Username: "alice", Password: "s3cret"})
	v, err := c.Answer(ch, Request{Method: "REGISTER", URI: "sip:example.com"}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := Redact(v)
	for _, secret := range []string{"response=", "cnonce=", "nc=", "nonce=", "opaque=", "dcd98b7102dd2f0e8b11d0f600bfb0c093"} {
		if strings.Contains(got, secret) {
			t.Errorf("Redact(%q) = %q: still contains %q", v, got, secret)
		}
	}
	if !strings.Contains(got, `username="alice"`) || !strings.HasSuffix(got, "[redacted]") {
		t.Errorf("Redact(%q) = %q: want the username kept and [redacted] at the end", v, got)
	}
}
