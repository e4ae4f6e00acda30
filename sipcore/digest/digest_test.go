package digest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testUser  = "alice"
	testPass  = "s3cr3t-Pässword"
	testRealm = "example.com"
)

func mustServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	return s
}

func passwords(m map[string]string) Lookup {
	return func(username, realm string, _ Algorithm) (Secret, error) {
		p, ok := m[username]
		if !ok {
			return Secret{}, fmt.Errorf("user %q: %w", username, ErrUnknownUser)
		}
		return Secret{Password: p}, nil
	}
}

// fakeClock is a manually advanced clock for nonce expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// counterReader yields 0, 1, 2, ... so cnonces are deterministic.
type counterReader struct{ n byte }

func (r *counterReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

func challengeValues(t *testing.T, s *Server, stale bool) []string {
	t.Helper()
	cs, err := s.Challenges(stale)
	if err != nil {
		t.Fatalf("Challenges: %v", err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func parseAll(t *testing.T, values []string) []Challenge {
	t.Helper()
	cs, err := ParseChallenges(values...)
	if err != nil {
		t.Fatalf("ParseChallenges(%q): %v", values, err)
	}
	return cs
}

func TestRoundTripEveryAlgorithmAndQOP(t *testing.T) {
	req := Request{Method: "INVITE", URI: "sip:bob@example.com;transport=tcp", Body: []byte("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n")}
	for _, alg := range algorithms {
		for _, qop := range []string{"", QOPAuth, QOPAuthInt} {
			t.Run(fmt.Sprintf("%s/%s", alg, qop), func(t *testing.T) {
				cfg := ServerConfig{Realm: testRealm, Algorithms: []Algorithm{alg}, Opaque: "op\"aque"}
				if qop == "" {
					cfg.NoQOP = true
				} else {
					cfg.QOP = []string{qop}
				}
				srv := mustServer(t, cfg)
				cl := NewClient(ClientConfig{Username: testUser, Password: testPass, Rand: &counterReader{}})
				v, err := cl.Answer(parseAll(t, challengeValues(t, srv, false)), req, "")
				if err != nil {
					t.Fatalf("Answer: %v", err)
				}
				cr, err := srv.Verify(v, req, passwords(map[string]string{testUser: testPass}))
				if err != nil {
					t.Fatalf("Verify(%q) = %v, want nil", v, err)
				}
				if cr.Username != testUser || cr.Algorithm != alg || cr.QOP != qop || cr.Opaque != "op\"aque" {
					t.Errorf("credentials = %+v", cr)
				}
				if qop != "" && cr.NC != 1 {
					t.Errorf("nc = %d, want 1", cr.NC)
				}
				if qop != "" || alg.Sess() {
					if want := "000102030405060708090a0b0c0d0e0f"; cr.CNonce != want {
						t.Errorf("cnonce = %q, want %q", cr.CNonce, want)
					}
				}
				// Same value, wrong password on the server side.
				if _, err := srv.Verify(v, req, passwords(map[string]string{testUser: "other"})); !errors.Is(err, ErrWrongPassword) {
					t.Errorf("Verify with other password = %v, want ErrWrongPassword", err)
				}
				// Store HA1 instead of the password.
				ha1 := func(u, r string, a Algorithm) (Secret, error) { return Secret{HA1: HA1(a, u, r, testPass)}, nil }
				srv2 := mustServer(t, ServerConfig{Realm: testRealm, Algorithms: []Algorithm{alg}, QOP: cfg.QOP, NoQOP: cfg.NoQOP, Opaque: cfg.Opaque, ReplayWindow: -1})
				v2, err := cl.Answer(parseAll(t, challengeValues(t, srv2, false)), req, "")
				if err != nil {
					t.Fatalf("Answer: %v", err)
				}
				if _, err := srv2.Verify(v2, req, ha1); err != nil {
					t.Errorf("Verify with HA1 lookup = %v, want nil", err)
				}
			})
		}
	}
}

func TestAuthIntCoversBody(t *testing.T) {
	srv := mustServer(t, ServerConfig{Realm: testRealm, QOP: []string{QOPAuth, QOPAuthInt}})
	cs := parseAll(t, challengeValues(t, srv, false))
	req := Request{Method: "MESSAGE", URI: "sip:bob@example.com", Body: []byte("hello bob")}
	lookup := passwords(map[string]string{testUser: testPass})

	// Default prefers auth when both are offered.
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass})
	v, err := cl.Answer(cs, req, "")
	if err != nil {
		t.Fatal(err)
	}
	if cr, _ := ParseCredentials(v); cr.QOP != QOPAuth {
		t.Errorf("default qop = %q, want auth", cr.QOP)
	}

	cl = NewClient(ClientConfig{Username: testUser, Password: testPass, PreferAuthInt: true})
	v, err = cl.Answer(cs, req, "")
	if err != nil {
		t.Fatal(err)
	}
	if cr, _ := ParseCredentials(v); cr.QOP != QOPAuthInt {
		t.Fatalf("qop = %q, want auth-int", cr.QOP)
	}
	tampered := req
	tampered.Body = []byte("hello eve")
	if _, err := srv.Verify(v, tampered, lookup); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("Verify with tampered body = %v, want ErrWrongPassword", err)
	}
	if _, err := srv.Verify(v, req, lookup); err != nil {
		t.Errorf("Verify = %v, want nil", err)
	}
	// Empty body: H of the empty string (RFC 3261 §22.4).
	empty := Request{Method: "BYE", URI: "sip:bob@example.com"}
	v, err = cl.Answer(cs, empty, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Verify(v, empty, lookup); err != nil {
		t.Errorf("Verify empty body = %v, want nil", err)
	}
}

func TestNonceCountIncrementsAndReplay(t *testing.T) {
	srv := mustServer(t, ServerConfig{Realm: testRealm})
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass})
	lookup := passwords(map[string]string{testUser: testPass})
	req := Request{Method: "REGISTER", URI: "sip:example.com"}
	if _, ok := cl.Cached(req); ok {
		t.Fatal("Cached before any challenge = true, want false")
	}
	first, err := cl.Answer(parseAll(t, challengeValues(t, srv, false)), req, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Verify(first, req, lookup); err != nil {
		t.Fatalf("Verify first = %v", err)
	}
	for want := uint32(2); want <= 4; want++ {
		v, ok := cl.Cached(req)
		if !ok {
			t.Fatal("Cached = false")
		}
		cr, err := srv.Verify(v, req, lookup)
		if err != nil {
			t.Fatalf("Verify nc=%d: %v", want, err)
		}
		if cr.NC != want {
			t.Errorf("nc = %d, want %d", cr.NC, want)
		}
		if !strings.Contains(v, fmt.Sprintf("nc=%08x", want)) {
			t.Errorf("value %q lacks nc=%08x", v, want)
		}
	}
	if _, err := srv.Verify(first, req, lookup); !errors.Is(err, ErrReplay) {
		t.Errorf("replayed first = %v, want ErrReplay", err)
	}
}

func TestStaleNonceFlow(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srv := mustServer(t, ServerConfig{Realm: testRealm, Now: clk.Now, NonceLifetime: time.Minute})
	lookup := passwords(map[string]string{testUser: testPass})
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass})
	req := Request{Method: "REGISTER", URI: "sip:example.com"}

	v, err := cl.Answer(parseAll(t, challengeValues(t, srv, false)), req, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Verify(v, req, lookup); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	clk.Add(2 * time.Minute)
	v2, _ := cl.Cached(req)
	_, err = srv.Verify(v2, req, lookup)
	if !errors.Is(err, ErrStale) {
		t.Fatalf("Verify after expiry = %v, want ErrStale", err)
	}
	// Server answers 401 stale=true; the client retries without the user.
	stale := challengeValues(t, srv, true)
	if !strings.Contains(stale[0], "stale=true") {
		t.Fatalf("challenge %q lacks stale=true", stale[0])
	}
	v3, err := cl.Answer(parseAll(t, stale), req, v2)
	if err != nil {
		t.Fatalf("Answer stale = %v, want a retry", err)
	}
	cr, err := srv.Verify(v3, req, lookup)
	if err != nil {
		t.Fatalf("Verify retry = %v", err)
	}
	if cr.NC != 1 {
		t.Errorf("nc after new nonce = %d, want 1", cr.NC)
	}
}

func TestWrongPasswordIsRejectedNotLooped(t *testing.T) {
	srv := mustServer(t, ServerConfig{Realm: testRealm})
	lookup := passwords(map[string]string{testUser: testPass})
	cl := NewClient(ClientConfig{Username: testUser, Password: "wrong-horse"})
	req := Request{Method: "REGISTER", URI: "sip:example.com"}
	v, err := cl.Answer(parseAll(t, challengeValues(t, srv, false)), req, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = srv.Verify(v, req, lookup)
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("Verify = %v, want ErrWrongPassword", err)
	}
	_, err = cl.Answer(parseAll(t, challengeValues(t, srv, false)), req, v)
	if !errors.Is(err, ErrRejected) {
		t.Errorf("Answer after rejection = %v, want ErrRejected", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-horse") {
		t.Errorf("error %q contains the password", err)
	}
	// Unknown user is distinct.
	other := NewClient(ClientConfig{Username: "mallory", Password: "x"})
	v, _ = other.Answer(parseAll(t, challengeValues(t, srv, false)), req, "")
	if _, err := srv.Verify(v, req, lookup); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("Verify unknown user = %v, want ErrUnknownUser", err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	srv := mustServer(t, ServerConfig{Realm: testRealm, Opaque: "xyz"})
	lookup := passwords(map[string]string{testUser: testPass})
	req := Request{Method: "REGISTER", URI: "sip:example.com"}
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass})
	good, err := cl.Answer(parseAll(t, challengeValues(t, srv, false)), req, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		value string
		req   Request
		want  error
	}{
		{"garbage", `Digest ,,, "`, req, ErrMalformed},
		{"basic", `Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==`, req, ErrUnsupported},
		{"no response", `Digest username="alice", realm="example.com", nonce="n", uri="sip:example.com"`, req, ErrMalformed},
		{"bad nc", `Digest username="alice", realm="example.com", nonce="n", uri="sip:example.com", response="00", qop=auth, cnonce="c", nc=1`, req, ErrMalformed},
		{"other realm", strings.Replace(good, `realm="example.com"`, `realm="evil.com"`, 1), req, ErrRealm},
		{"opaque missing", strings.Replace(good, `opaque="xyz"`, `opaque="abc"`, 1), req, ErrMalformed},
		{"uri mismatch", good, Request{Method: "REGISTER", URI: "sip:other.com"}, ErrMalformed},
		{"method mismatch", good, Request{Method: "INVITE", URI: "sip:example.com"}, ErrWrongPassword},
		{"unknown algorithm", strings.Replace(good, "algorithm=SHA-256", "algorithm=SHA-1", 1), req, ErrUnsupported},
		{"algorithm not offered", strings.Replace(good, "algorithm=SHA-256", "algorithm=SHA-512-256", 1), req, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := srv.Verify(tt.value, tt.req, lookup)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify(%q) = %v, want %v", tt.value, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), testPass) {
				t.Errorf("error contains the password: %v", err)
			}
		})
	}
}

func TestChooseStrongest(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		wantAlg Algorithm
		wantN   string
		wantErr error
	}{
		{
			name: "several values",
			values: []string{
				`Digest realm="r", nonce="md5", algorithm=MD5, qop="auth"`,
				`Digest realm="r", nonce="sha", algorithm=SHA-256, qop="auth"`,
				`Digest realm="r", nonce="sha512", algorithm=SHA-512-256, qop="auth"`,
			},
			wantAlg: SHA512256, wantN: "sha512",
		},
		{
			name:    "several in one value with unknown schemes",
			values:  []string{`NoOneKnowsThisScheme opaque-data=here, Digest realm="r", nonce="md5", qop="auth", Basic realm="r", Digest realm="r", nonce="sha", algorithm=sha-256, qop="auth,auth-int", Newauth abc==`},
			wantAlg: SHA256, wantN: "sha",
		},
		{
			name:    "qop beats rfc2069 at equal strength",
			values:  []string{`Digest realm="r", nonce="old"`, `Digest realm="r", nonce="new", qop="auth"`},
			wantAlg: MD5, wantN: "new",
		},
		{
			name:    "unknown algorithm skipped",
			values:  []string{`Digest realm="r", nonce="x", algorithm=SHA-3-512`, `Digest realm="r", nonce="m"`},
			wantAlg: MD5, wantN: "m",
		},
		{
			name:    "only unknown scheme",
			values:  []string{`NoOneKnowsThisScheme opaque-data=here`},
			wantErr: ErrUnsupported,
		},
		{
			name:    "only basic",
			values:  []string{`Basic realm="simple"`},
			wantErr: ErrUnsupported,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := parseAll(t, tt.values)
			got, err := Choose(cs)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Choose = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Choose: %v", err)
			}
			if got.Algorithm != tt.wantAlg || got.Nonce != tt.wantN {
				t.Errorf("Choose = %s/%s, want %s/%s", got.Algorithm, got.Nonce, tt.wantAlg, tt.wantN)
			}
		})
	}
}

func TestRealmRestriction(t *testing.T) {
	cs := parseAll(t, []string{`Digest realm="evil.com", nonce="a", algorithm=SHA-512-256, qop="auth"`, `Digest realm="example.com", nonce="b", qop="auth"`})
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass, Realm: "example.com"})
	v, err := cl.Answer(cs, Request{Method: "REGISTER", URI: "sip:example.com"}, "")
	if err != nil {
		t.Fatal(err)
	}
	cr, _ := ParseCredentials(v)
	if cr.Realm != "example.com" || cr.Nonce != "b" {
		t.Errorf("answered %q, want realm example.com nonce b", v)
	}
	_, err = cl.Answer(cs[:1], Request{Method: "REGISTER", URI: "sip:example.com"}, "")
	if !errors.Is(err, ErrRealm) {
		t.Errorf("Answer for foreign realm = %v, want ErrRealm", err)
	}
}

func TestParseChallengeQuoting(t *testing.T) {
	v := `Digest realm="a \"quoted\" realm, with comma", nonce="n\\1",  Opaque = "o" , stale=TRUE, qop="auth, auth-int", unknown=thing, other="x", algorithm="MD5-sess"`
	cs, err := ParseChallenge(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("got %d challenges, want 1", len(cs))
	}
	c := cs[0]
	if c.Realm != `a "quoted" realm, with comma` || c.Nonce != `n\1` || c.Opaque != "o" || !c.Stale ||
		c.Algorithm != MD5Sess || strings.Join(c.QOP, "|") != "auth|auth-int" {
		t.Errorf("parsed = %+v", c)
	}
	// String → parse is stable.
	again, err := ParseChallenge(c.String())
	if err != nil {
		t.Fatalf("reparse %q: %v", c.String(), err)
	}
	if again[0].Realm != c.Realm || again[0].Nonce != c.Nonce || len(again[0].Params) != len(c.Params) {
		t.Errorf("reparse = %+v, want %+v", again[0], c)
	}

	for _, bad := range []string{"", `Digest realm="unterminated`, `"quoted" realm=x`, `Digest realm="x" nonce="y"`, `Digest realm="x", =y`} {
		if _, err := ParseChallenge(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseChallenge(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestUsernameStar(t *testing.T) {
	c := Challenge{Scheme: "Digest", Realm: "r", Nonce: "n", Algorithm: SHA256, QOP: []string{"auth"}, Charset: "UTF-8"}
	cl := NewClient(ClientConfig{Username: "Jäsøn Doe", Password: "p"})
	v, err := cl.Authorize(c, Request{Method: "GET", URI: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v, "username*=UTF-8''J%C3%A4s%C3%B8n%20Doe") {
		t.Errorf("value %q lacks username*", v)
	}
	cr, err := ParseCredentials(v)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Username != "Jäsøn Doe" || !cr.UsernameExt {
		t.Errorf("username = %q ext=%v", cr.Username, cr.UsernameExt)
	}
}

func TestUserhashServer(t *testing.T) {
	srv := mustServer(t, ServerConfig{Realm: testRealm, Userhash: true, Algorithms: []Algorithm{SHA512256}})
	byHash := func(u, r string, a Algorithm) (Secret, error) {
		if u == Userhash(a, testUser, r) {
			return Secret{Password: testPass, Username: testUser}, nil
		}
		return Secret{}, ErrUnknownUser
	}
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass})
	req := Request{Method: "REGISTER", URI: "sip:example.com"}
	v, err := cl.Answer(parseAll(t, challengeValues(t, srv, false)), req, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, `"alice"`) {
		t.Errorf("value %q carries the clear user name", v)
	}
	if _, err := srv.Verify(v, req, byHash); err != nil {
		t.Errorf("Verify = %v", err)
	}
}

func TestHandBuiltChallengeAlgorithmSpelling(t *testing.T) {
	srv := mustServer(t, ServerConfig{Realm: "r", Algorithms: []Algorithm{SHA256}})
	cs, err := srv.Challenges(false)
	if err != nil {
		t.Fatal(err)
	}
	ch := cs[0]
	ch.Algorithm = "sha-256" // as a caller might build it by hand
	cl := NewClient(ClientConfig{Username: "u", Password: "p"})
	req := Request{Method: "REGISTER", URI: "sip:r"}
	v, err := cl.Authorize(ch, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v, "algorithm=SHA-256") {
		t.Errorf("value %q, want canonical algorithm=SHA-256", v)
	}
	if _, err := srv.Verify(v, req, passwords(map[string]string{"u": "p"})); err != nil {
		t.Errorf("Verify = %v", err)
	}
}

func TestCnonceSourceError(t *testing.T) {
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass, Rand: bytes.NewReader(nil)})
	c := Challenge{Scheme: "Digest", Realm: "r", Nonce: "n", Algorithm: MD5, QOP: []string{"auth"}}
	if _, err := cl.Authorize(c, Request{Method: "GET", URI: "/"}); err == nil {
		t.Error("Authorize with empty random source = nil error, want error")
	}
}

func TestClientNonceMemoryBounded(t *testing.T) {
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass, MaxNonces: 3})
	for i := range 10 {
		c := Challenge{Scheme: "Digest", Realm: "r", Nonce: fmt.Sprint(i), Algorithm: MD5, QOP: []string{"auth"}}
		if _, err := cl.Authorize(c, Request{Method: "GET", URI: "/"}); err != nil {
			t.Fatal(err)
		}
	}
	cl.mu.Lock()
	n := len(cl.nc)
	cl.mu.Unlock()
	if n != 3 {
		t.Errorf("tracked nonces = %d, want 3", n)
	}
}

func TestConcurrentClientAndServer(t *testing.T) {
	srv := mustServer(t, ServerConfig{Realm: testRealm, ReplayWindow: -1})
	cl := NewClient(ClientConfig{Username: testUser, Password: testPass})
	lookup := passwords(map[string]string{testUser: testPass})
	cs := parseAll(t, challengeValues(t, srv, false))
	req := Request{Method: "OPTIONS", URI: "sip:example.com"}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				v, err := cl.Answer(cs, req, "")
				if err == nil {
					_, err = srv.Verify(v, req, lookup)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
