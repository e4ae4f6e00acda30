package digest

import (
	"testing"
)

// FuzzParseChallenge checks that any header value parses without panicking
// and that an answerable challenge formats into a value that parses back to
// the same essentials.
func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{
		`Digest realm="r", nonce="n", qop="auth,auth-int", algorithm=SHA-256, opaque="o", stale=true`,
		`NoOneKnowsThisScheme opaque-data=here`,
		`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
		`Basic abc==, Digest realm="x\\y", nonce=""`,
		`Digest realm="unterminated`,
		`,,, Digest ,`,
		`Digest realm="a", nonce="b", userhash=true, charset=UTF-8, algorithm=SHA-512-256-sess`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseChallenge(s)
		if err != nil {
			return
		}
		ch, err := Choose(cs)
		if err != nil {
			return
		}
		again, err := ParseChallenge(ch.String())
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", ch.String(), s, err)
		}
		if len(again) != 1 || again[0].Realm != ch.Realm || again[0].Nonce != ch.Nonce || again[0].Algorithm != ch.Algorithm {
			t.Fatalf("reparse of %q = %+v, want %+v", ch.String(), again, ch)
		}
		// Answering must not panic either.
		c := NewClient(ClientConfig{Username: "u", Password: "p", Rand: &counterReader{}})
		if _, err := c.Authorize(ch, Request{Method: "REGISTER", URI: "sip:x"}); err != nil {
			t.Fatalf("Authorize(%+v): %v", ch, err)
		}
	})
}

// FuzzParseCredentials checks that any value parses without panicking, that
// accepted credentials survive String → parse, and that Verify never panics.
func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{
		`Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		`Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="r", nonce="n", uri="/", response="x"`,
		`Digest username="a\"b", realm="r", nonce="n", uri="sip:a@b;x=\"y\"", response="x", algorithm=MD5-sess, cnonce="c"`,
		`Digest username=""`,
	} {
		f.Add(s)
	}
	srv, err := NewServer(ServerConfig{Realm: "r", Key: []byte("k"), Algorithms: []Algorithm{MD5, SHA256, SHA512256Sess}, QOP: []string{QOPAuth, QOPAuthInt}})
	if err != nil {
		f.Fatal(err)
	}
	lookup := func(u, r string, a Algorithm) (Secret, error) { return Secret{Password: "p", Username: u}, nil }
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = srv.Verify(s, Request{Method: "INVITE", URI: "sip:x", Body: []byte(s)}, lookup)
		cr, err := ParseCredentials(s)
		if err != nil {
			return
		}
		again, err := ParseCredentials(cr.String())
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", cr.String(), s, err)
		}
		if again.Username != cr.Username || again.Realm != cr.Realm || again.Nonce != cr.Nonce || again.URI != cr.URI ||
			again.Response != cr.Response || again.NC != cr.NC || again.QOP != cr.QOP || again.Algorithm != cr.Algorithm {
			t.Fatalf("reparse of %q = %+v, want %+v", cr.String(), again, cr)
		}
	})
}
