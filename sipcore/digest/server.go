package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	Realm string
	// Key is the HMAC key protecting nonces. Empty means 32 random bytes read
	// at NewServer, so nonces of a previous run become stale.
	Key []byte
	// Algorithms are offered in this order, one challenge each, strongest
	// first (RFC 8760 §2.3: one challenge per algorithm, preferred first).
	// Nil means SHA-256 then MD5.
	Algorithms []Algorithm
	// QOP offered; nil means {"auth"}. NoQOP offers none (RFC 2069 form, which
	// some SIP peers still use; RFC 3261 §22.4).
	QOP   []string
	NoQOP bool
	// Opaque, when not empty, is sent and must come back unchanged.
	Opaque string
	// Userhash asks clients to hash the user name (RFC 7616 §3.4.4).
	Userhash bool
	// NonceLifetime is how long a nonce is accepted; 0 means 5 minutes.
	NonceLifetime time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of nonce randomness; nil means crypto/rand.
	Rand io.Reader
	// ReplayWindow is the number of nonces whose highest nonce count is
	// remembered to reject replays (ErrReplay); 0 means 4096, negative
	// disables the check and keeps the server stateless.
	ReplayWindow int
}

// Secret is what a Lookup returns for a user: the password, or HA1 =
// H(username ":" realm ":" password) for the requested algorithm (lower-case
// hex, see HA1).
type Secret struct {
	Password string
	HA1      string
	// Username is the real user name; needed with userhash=true when
	// Password (rather than HA1) is returned, because A1 uses the real name.
	Username string
}

// Lookup returns the secret for a user name in a realm for an algorithm.
// With userhash=true the name is the hash (see Userhash). It should return an
// error wrapping ErrUnknownUser for an unknown user.
type Lookup func(username, realm string, alg Algorithm) (Secret, error)

// Server issues challenges and verifies credentials for one realm. It is
// safe for concurrent use.
type Server struct {
	cfg ServerConfig

	mu      sync.Mutex
	seen    map[string]uint32 // nonce -> highest nc accepted
	seenOrd []string
}

// NewServer returns a Server for cfg.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NonceLifetime <= 0 {
		cfg.NonceLifetime = 5 * time.Minute
	}
	if cfg.Algorithms == nil {
		cfg.Algorithms = []Algorithm{SHA256, MD5}
	}
	cfg.Algorithms = slices.Clone(cfg.Algorithms)
	cfg.QOP = slices.Clone(cfg.QOP)
	cfg.Key = slices.Clone(cfg.Key)
	for i, a := range cfg.Algorithms {
		ca, ok := ParseAlgorithm(string(a))
		if !ok {
			return nil, fmt.Errorf("%w: algorithm %q", ErrUnsupported, string(a))
		}
		cfg.Algorithms[i] = ca
	}
	if cfg.NoQOP {
		cfg.QOP = nil
	} else if cfg.QOP == nil {
		cfg.QOP = []string{QOPAuth}
	}
	for _, q := range cfg.QOP {
		if q != QOPAuth && q != QOPAuthInt {
			return nil, fmt.Errorf("%w: qop %q", ErrUnsupported, q)
		}
	}
	if cfg.ReplayWindow == 0 {
		cfg.ReplayWindow = 4096
	}
	if len(cfg.Key) == 0 {
		cfg.Key = make([]byte, 32)
		if _, err := io.ReadFull(cfg.Rand, cfg.Key); err != nil {
			return nil, fmt.Errorf("digest: server key: %w", err)
		}
	}
	return &Server{cfg: cfg, seen: make(map[string]uint32)}, nil
}

// Challenges returns fresh challenges, one per configured algorithm, for a
// 401 (WWW-Authenticate) or 407 (Proxy-Authenticate) response; each one's
// String() is a header value. stale marks them stale=true after Verify
// returned ErrStale (RFC 7616 §3.3).
func (s *Server) Challenges(stale bool) ([]Challenge, error) {
	nonce, err := s.newNonce()
	if err != nil {
		return nil, err
	}
	charset := ""
	if s.cfg.Userhash {
		charset = "UTF-8" // RFC 7616 §4
	}
	out := make([]Challenge, 0, len(s.cfg.Algorithms))
	for _, a := range s.cfg.Algorithms {
		out = append(out, Challenge{
			Scheme:    "Digest",
			Realm:     s.cfg.Realm,
			Nonce:     nonce,
			Opaque:    s.cfg.Opaque,
			HasOpaque: s.cfg.Opaque != "",
			Stale:     stale,
			Algorithm: a,
			QOP:       append([]string(nil), s.cfg.QOP...),
			Userhash:  s.cfg.Userhash,
			Charset:   charset,
		})
	}
	return out, nil
}

// Nonce layout (RFC 7616 §3.3 leaves it to the server; §5.4 suggests a
// time stamp and a private key): 8 bytes Unix time in nanoseconds, 8 random
// bytes, 16 bytes of HMAC-SHA-256(key, time||random||realm); base64url.
const (
	nonceRaw = 16
	nonceMAC = 16
)

func (s *Server) newNonce() (string, error) {
	var b [nonceRaw + nonceMAC]byte
	binary.BigEndian.PutUint64(b[:8], uint64(s.cfg.Now().UnixNano()))
	if _, err := io.ReadFull(s.cfg.Rand, b[8:nonceRaw]); err != nil {
		return "", fmt.Errorf("digest: nonce: %w", err)
	}
	copy(b[nonceRaw:], s.mac(b[:nonceRaw]))
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (s *Server) mac(raw []byte) []byte {
	m := hmac.New(sha256.New, s.cfg.Key)
	m.Write(raw)
	m.Write([]byte(s.cfg.Realm))
	return m.Sum(nil)[:nonceMAC]
}

// nonceFresh reports whether nonce was issued by this server (same key and
// realm) and is within its lifetime.
func (s *Server) nonceFresh(nonce string) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceRaw+nonceMAC {
		return false
	}
	if !hmac.Equal(b[nonceRaw:], s.mac(b[:nonceRaw])) {
		return false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(b[:8])))
	age := s.cfg.Now().Sub(issued)
	return age >= -time.Minute && age <= s.cfg.NonceLifetime
}

// Verify checks an Authorization or Proxy-Authorization value against req
// and returns the parsed credentials. The error, tested with errors.Is, is
//   - nil: authenticated;
//   - ErrMalformed or ErrUnsupported: answer 400 or a fresh challenge;
//   - ErrRealm: credentials for another realm;
//   - ErrUnknownUser (from lookup) or ErrWrongPassword: a fresh challenge
//     (and do not tell the peer which);
//   - ErrStale: the response was right but the nonce expired or is not ours:
//     challenge again with stale=true;
//   - ErrReplay: the nonce count was already used.
//
// When req.URI is not empty it must equal the credentials' uri
// (RFC 7616 §3.4.6); leave it empty when a proxy may have rewritten it.
func (s *Server) Verify(value string, req Request, lookup Lookup) (Credentials, error) {
	cr, err := ParseCredentials(value)
	if err != nil {
		return cr, err
	}
	if cr.Realm != s.cfg.Realm {
		return cr, fmt.Errorf("%w: credentials for realm %q", ErrRealm, cr.Realm)
	}
	if !s.offersAlg(cr.Algorithm) {
		return cr, fmt.Errorf("%w: algorithm %q not offered", ErrUnsupported, string(cr.Algorithm))
	}
	switch {
	case cr.QOP == "" && len(s.cfg.QOP) > 0:
		return cr, fmt.Errorf("%w: qop missing", ErrMalformed)
	case cr.QOP != "" && !s.offersQOP(cr.QOP):
		return cr, fmt.Errorf("%w: qop %q not offered", ErrUnsupported, cr.QOP)
	}
	if s.cfg.Opaque != "" && cr.Opaque != s.cfg.Opaque {
		return cr, fmt.Errorf("%w: opaque not echoed", ErrMalformed)
	}
	if req.URI != "" && cr.URI != req.URI {
		return cr, fmt.Errorf("%w: uri does not match the request", ErrMalformed)
	}
	if cr.Algorithm.Sess() && cr.CNonce == "" {
		return cr, fmt.Errorf("%w: -sess without cnonce", ErrMalformed)
	}
	if cr.Userhash && !s.cfg.Userhash {
		return cr, fmt.Errorf("%w: userhash not offered", ErrMalformed)
	}
	sec, err := lookup(cr.Username, cr.Realm, cr.Algorithm)
	if err != nil {
		return cr, fmt.Errorf("digest: lookup: %w", err)
	}
	ha1 := strings.ToLower(sec.HA1)
	if sec.Password != "" || ha1 == "" {
		user := cr.Username
		if cr.Userhash {
			if sec.Username == "" {
				return cr, fmt.Errorf("digest: lookup: userhash needs Secret.HA1 or Secret.Username: %w", ErrUnknownUser)
			}
			user = sec.Username
		}
		ha1 = HA1(cr.Algorithm, user, cr.Realm, sec.Password)
	}
	want := responseFor(cr.Algorithm, ha1, cr.Nonce, cr.CNonce, cr.NC, cr.QOP, req.Method, cr.URI, req.Body)
	if subtle.ConstantTimeCompare([]byte(want), []byte(cr.Response)) != 1 {
		return cr, ErrWrongPassword
	}
	// RFC 2617 §3.2.1: stale only when the digest is valid but the nonce is not.
	if !s.nonceFresh(cr.Nonce) {
		return cr, ErrStale
	}
	if cr.QOP != "" {
		if err := s.checkReplay(cr.Nonce, cr.NC); err != nil {
			return cr, err
		}
	}
	return cr, nil
}

func (s *Server) offersAlg(a Algorithm) bool {
	for _, x := range s.cfg.Algorithms {
		if x == a {
			return true
		}
	}
	return false
}

func (s *Server) offersQOP(q string) bool {
	for _, x := range s.cfg.QOP {
		if x == q {
			return true
		}
	}
	return false
}

// checkReplay enforces strictly increasing nonce counts per nonce
// (RFC 7616 §3.4 nc, §5.1 replay attacks), remembering ReplayWindow nonces.
func (s *Server) checkReplay(nonce string, nc uint32) error {
	if s.cfg.ReplayWindow < 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok := s.seen[nonce]
	if ok && nc <= last {
		return fmt.Errorf("%w: nc %08x after %08x", ErrReplay, nc, last)
	}
	if !ok {
		s.seenOrd = append(s.seenOrd, nonce)
		for len(s.seenOrd) > s.cfg.ReplayWindow {
			delete(s.seen, s.seenOrd[0])
			s.seenOrd = s.seenOrd[1:]
		}
	}
	s.seen[nonce] = nc
	return nil
}
