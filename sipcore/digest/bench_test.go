package digest

import "testing"

const benchChallenge = `Digest realm="example.com", nonce="GOsr8sjkhFeOwO0nHsmHb57juGK1kuDx6g_rb0HZikU", algorithm=SHA-256, qop="auth,auth-int", opaque="5ccc069c403ebaf9f0171e9517f40e41", Digest realm="example.com", nonce="GOsr8sjkhFeOwO0nHsmHb57juGK1kuDx6g_rb0HZikU", algorithm=MD5, qop="auth"`

func BenchmarkParseChallenge(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseChallenge(benchChallenge); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthorizeSHA256(b *testing.B) {
	cs, err := ParseChallenge(benchChallenge)
	if err != nil {
		b.Fatal(err)
	}
	cl := NewClient(ClientConfig{Username: "alice", Password: "secret"})
	req := Request{Method: "REGISTER", URI: "sip:example.com"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cl.Answer(cs, req, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySHA256(b *testing.B) {
	srv, err := NewServer(ServerConfig{Realm: "example.com", ReplayWindow: -1})
	if err != nil {
		b.Fatal(err)
	}
	cs, _ := srv.Challenges(false)
	cl := NewClient(ClientConfig{Username: "alice", Password: "secret"})
	req := Request{Method: "REGISTER", URI: "sip:example.com"}
	v, err := cl.Answer(cs, req, "")
	if err != nil {
		b.Fatal(err)
	}
	lookup := func(u, r string, a Algorithm) (Secret, error) { return Secret{Password: "secret"}, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := srv.Verify(v, req, lookup); err != nil {
			b.Fatal(err)
		}
	}
}
