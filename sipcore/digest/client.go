package digest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// Request is what the digest covers: the SIP method, the Request-URI as
// written in the request line (it becomes digest-uri), and the body for
// qop=auth-int.
type Request struct {
	Method string
	URI    string
	Body   []byte
}

// ClientConfig configures a Client.
type ClientConfig struct {
	Username string
	Password string // never appears in errors
	// Realm, when not empty, restricts the client to challenges of exactly
	// this realm (so that a password is not sent to another realm).
	Realm string
	// PreferAuthInt chooses qop=auth-int when a challenge offers both auth
	// and auth-int. The default is auth, which most SIP servers expect and
	// which survives body rewriting by middleboxes.
	PreferAuthInt bool
	// Rand is the source of cnonces; nil means crypto/rand. Tests inject a
	// deterministic reader.
	Rand io.Reader
	// MaxNonces bounds the nonce counts kept; 0 means 64. The oldest nonce
	// is forgotten first.
	MaxNonces int
}

// Client answers digest challenges for one set of credentials. It keeps the
// nonce count for each nonce it has answered (RFC 7616 §3.4: nc counts the
// requests sent with a nonce) and the last challenge, for reuse on later
// requests. A Client is safe for concurrent use.
type Client struct {
	cfg ClientConfig

	mu    sync.Mutex
	nc    map[string]uint32 // nonce -> last nc sent
	order []string          // nonces, oldest first, for eviction
	last  *Challenge        // last challenge answered
}

// NewClient returns a Client for cfg.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.MaxNonces <= 0 {
		cfg.MaxNonces = 64
	}
	return &Client{cfg: cfg, nc: make(map[string]uint32)}
}

// Answer chooses among the challenges of a 401 or 407 response (Choose, after
// the realm restriction) and returns the credentials value for req.
//
// previous is the Authorization or Proxy-Authorization value that the
// challenged request carried, or "" if it carried none. When it names the
// chosen challenge's realm and the new challenge is not stale=true, the
// server has refused our password and Answer fails with ErrRejected rather
// than loop. With stale=true it answers the new nonce with the same
// password, without asking the user again (RFC 7616 §3.3 "stale").
//
// Pass previous only when the request carried credentials answering a
// challenge from this same exchange. After a preemptive value from Cached
// pass "": servers that forgot a nonce often challenge without stale=true,
// and that is not a wrong password.
func (c *Client) Answer(challenges []Challenge, req Request, previous string) (string, error) {
	candidates := challenges
	if c.cfg.Realm != "" {
		candidates = nil
		for _, ch := range challenges {
			if ch.IsDigest() && ch.Realm == c.cfg.Realm {
				candidates = append(candidates, ch)
			}
		}
		if len(candidates) == 0 {
			return "", fmt.Errorf("%w: no challenge for the configured realm", ErrRealm)
		}
	}
	ch, err := Choose(candidates)
	if err != nil {
		return "", err
	}
	if previous != "" {
		if prev, err := ParseCredentials(previous); err == nil && prev.Realm == ch.Realm && !ch.Stale {
			return "", fmt.Errorf("%w: realm %q", ErrRejected, ch.Realm)
		}
	}
	return c.Authorize(ch, req)
}

// Cached answers the last challenge again for a new request with the next
// nonce count, so refreshes (a re-REGISTER) need no extra round trip
// (RFC 7616 §3.4 nonce reuse; RFC 3261 §22.3). It reports false when no
// challenge has been answered yet. The server may still reply stale=true.
func (c *Client) Cached(req Request) (string, bool) {
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	if last == nil {
		return "", false
	}
	v, err := c.Authorize(*last, req)
	return v, err == nil
}

// Authorize returns the credentials value answering ch for req. It does not
// apply the realm restriction or the rejection check of Answer.
func (c *Client) Authorize(ch Challenge, req Request) (string, error) {
	cr, err := c.credentials(ch, req)
	if err != nil {
		return "", err
	}
	return cr.String(), nil
}

func (c *Client) credentials(ch Challenge, req Request) (Credentials, error) {
	if err := ch.usable(); err != nil {
		return Credentials{}, err
	}
	ch.Algorithm, _ = ParseAlgorithm(string(ch.Algorithm)) // canonical spelling
	if req.Method == "" || req.URI == "" {
		return Credentials{}, fmt.Errorf("%w: request without method or uri", ErrMalformed)
	}
	qop := ""
	switch {
	case ch.offers(QOPAuthInt) && (c.cfg.PreferAuthInt || !ch.offers(QOPAuth)):
		qop = QOPAuthInt
	case ch.offers(QOPAuth):
		qop = QOPAuth
	}
	cr := Credentials{
		Scheme:    "Digest",
		Username:  c.cfg.Username,
		Realm:     ch.Realm,
		Nonce:     ch.Nonce,
		URI:       req.URI,
		Algorithm: ch.Algorithm,
		Opaque:    ch.Opaque,
		HasOpaque: ch.HasOpaque,
		QOP:       qop,
	}
	if qop != "" || ch.Algorithm.Sess() {
		cn, err := c.cnonce()
		if err != nil {
			return Credentials{}, err
		}
		cr.CNonce = cn
	}
	if qop != "" {
		cr.NC = c.nextNC(ch.Nonce)
	}
	c.mu.Lock()
	saved := ch
	c.last = &saved
	c.mu.Unlock()

	ha1 := HA1(ch.Algorithm, c.cfg.Username, ch.Realm, c.cfg.Password)
	cr.Response = responseFor(ch.Algorithm, ha1, ch.Nonce, cr.CNonce, cr.NC, qop, req.Method, req.URI, req.Body)
	switch {
	case ch.Userhash:
		// RFC 7616 §3.4.4: username is H(unq(username) ":" unq(realm)).
		cr.Username = Userhash(ch.Algorithm, c.cfg.Username, ch.Realm)
		cr.Userhash = true
	case !isASCII(c.cfg.Username) && utf8.ValidString(c.cfg.Username) && ch.Charset != "":
		// RFC 7616 §3.4.4: a name that is not plain ASCII goes in username*.
		cr.UsernameExt = true
	}
	return cr, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}

// cnonce returns 16 random bytes in hex (RFC 7616 §3.4: an opaque quoted
// string chosen by the client).
func (c *Client) cnonce() (string, error) {
	var b [16]byte
	c.mu.Lock()
	_, err := io.ReadFull(c.cfg.Rand, b[:])
	c.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("digest: cnonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// nextNC increments and returns the nonce count for nonce (RFC 7616 §3.4:
// the first request with a nonce has nc=00000001).
func (c *Client) nextNC(nonce string) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nc[nonce]
	if !ok {
		c.order = append(c.order, nonce)
		for len(c.order) > c.cfg.MaxNonces {
			delete(c.nc, c.order[0])
			c.order = c.order[1:]
		}
	}
	n++
	c.nc[nonce] = n
	return n
}
