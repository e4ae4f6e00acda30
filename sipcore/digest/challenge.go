package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Algorithm is a digest algorithm name in its canonical spelling
// (RFC 7616 §3.3 "algorithm", §6.1 registry; RFC 8760 §2 for SIP).
type Algorithm string

// Supported algorithms.
const (
	MD5           Algorithm = "MD5"
	MD5Sess       Algorithm = "MD5-sess"
	SHA256        Algorithm = "SHA-256"
	SHA256Sess    Algorithm = "SHA-256-sess"
	SHA512256     Algorithm = "SHA-512-256"
	SHA512256Sess Algorithm = "SHA-512-256-sess"
)

var algorithms = [...]Algorithm{MD5, MD5Sess, SHA256, SHA256Sess, SHA512256, SHA512256Sess}

// ParseAlgorithm returns the canonical algorithm for a case-insensitive name.
// An empty name means MD5 (RFC 7616 §3.3: "If this is not present, it is
// assumed to be MD5").
func ParseAlgorithm(name string) (Algorithm, bool) {
	if name == "" {
		return MD5, true
	}
	for _, a := range algorithms {
		if strings.EqualFold(name, string(a)) {
			return a, true
		}
	}
	return Algorithm(name), false
}

// Supported reports whether the package implements a (case-insensitive;
// "" means MD5).
func (a Algorithm) Supported() bool {
	_, ok := ParseAlgorithm(string(a))
	return ok
}

// Sess reports whether a is a session variant (RFC 7616 §3.4.2).
func (a Algorithm) Sess() bool { return strings.HasSuffix(strings.ToLower(string(a)), "-sess") }

// base is the hash name without "-sess", upper-case ("" means MD5).
func (a Algorithm) base() string {
	s := strings.ToUpper(string(a))
	return strings.TrimSuffix(s, "-SESS")
}

// strength orders algorithms for Choose: SHA-512-256 > SHA-256 > MD5; the
// plain variant is preferred over -sess of the same hash (fewer interop
// surprises, same strength).
func (a Algorithm) strength() int {
	base := 0
	switch a.base() {
	case "MD5", "":
		base = 10
	case "SHA-256":
		base = 20
	case "SHA-512-256":
		base = 30
	default:
		return 0
	}
	if !a.Sess() {
		base++
	}
	return base
}

func (a Algorithm) newHash() hash.Hash {
	switch a.base() {
	case "SHA-256":
		return sha256.New()
	case "SHA-512-256":
		return sha512.New512_256()
	default:
		return md5.New()
	}
}

// h is H(data) in lower-case hex (RFC 7616 §3.4.1).
func (a Algorithm) h(parts ...string) string {
	hh := a.newHash()
	for i, p := range parts {
		if i > 0 {
			hh.Write([]byte{':'})
		}
		hh.Write([]byte(p))
	}
	return hex.EncodeToString(hh.Sum(nil))
}

func (a Algorithm) hBytes(b []byte) string {
	hh := a.newHash()
	hh.Write(b)
	return hex.EncodeToString(hh.Sum(nil))
}

// HA1 returns H(username ":" realm ":" password) for a (the plain, non-sess
// A1 of RFC 7616 §3.4.2). Servers may store this instead of the password.
func HA1(a Algorithm, username, realm, password string) string {
	return a.h(username, realm, password)
}

// Userhash returns H(username ":" realm), the value sent as username when
// userhash=true (RFC 7616 §3.4.4). A server's lookup can index users by it.
func Userhash(a Algorithm, username, realm string) string {
	return a.h(username, realm)
}

// QOP values (RFC 7616 §3.3).
const (
	QOPAuth    = "auth"
	QOPAuthInt = "auth-int"
)

// Challenge is one parsed challenge from a WWW-Authenticate or
// Proxy-Authenticate value (RFC 7616 §3.3, RFC 3261 §22.4, §25.1).
type Challenge struct {
	Scheme    string    // "Digest" for the ones this package answers
	Realm     string    // realm
	Domain    string    // domain, as sent (space-separated URIs)
	Nonce     string    // nonce
	Opaque    string    // opaque, echoed back unchanged
	HasOpaque bool      // opaque was present (echo even when empty)
	Stale     bool      // stale=true (RFC 7616 §3.3)
	Algorithm Algorithm // canonical if known; MD5 when absent
	QOP       []string  // qop options offered, lower-case; nil means RFC 2069 mode
	Charset   string    // charset (only "UTF-8" is defined)
	Userhash  bool      // userhash=true (RFC 7616 §3.4.4)
	Token68   string    // for non-Digest schemes that use one
	Params    []Param   // every parameter in order, unknown ones included
}

// ParseChallenge parses one WWW-Authenticate or Proxy-Authenticate header
// value, which may hold several challenges (RFC 7235 §4.1). Challenges of any
// scheme are returned; Choose picks an answerable one. Unknown parameters are
// kept in Params and otherwise ignored.
func ParseChallenge(value string) ([]Challenge, error) {
	items, err := parseItems(value)
	if err != nil {
		return nil, err
	}
	out := make([]Challenge, 0, len(items))
	for _, it := range items {
		out = append(out, challengeFrom(it))
	}
	return out, nil
}

// ParseChallenges parses several header values (several WWW-Authenticate or
// Proxy-Authenticate header fields of one response) and concatenates their
// challenges in order. A malformed value is an error.
func ParseChallenges(values ...string) ([]Challenge, error) {
	var out []Challenge
	for _, v := range values {
		cs, err := ParseChallenge(v)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

func challengeFrom(it item) Challenge {
	c := Challenge{Scheme: it.scheme, Token68: it.token68, Params: it.params}
	seen := map[string]bool{}
	for _, p := range it.params {
		name := strings.ToLower(p.Name)
		if seen[name] {
			continue // RFC 7235 §2.1: each parameter once; keep the first
		}
		seen[name] = true
		switch name {
		case "realm":
			c.Realm = p.Value
		case "domain":
			c.Domain = p.Value
		case "nonce":
			c.Nonce = p.Value
		case "opaque":
			c.Opaque, c.HasOpaque = p.Value, true
		case "stale":
			c.Stale = strings.EqualFold(p.Value, "true")
		case "algorithm":
			c.Algorithm, _ = ParseAlgorithm(p.Value)
		case "qop":
			for q := range strings.SplitSeq(p.Value, ",") {
				if q = strings.ToLower(strings.TrimSpace(q)); q != "" {
					c.QOP = append(c.QOP, q)
				}
			}
		case "charset":
			c.Charset = p.Value
		case "userhash":
			c.Userhash = strings.EqualFold(p.Value, "true")
		}
	}
	if c.Algorithm == "" {
		c.Algorithm = MD5
	}
	return c
}

// IsDigest reports whether c uses the Digest scheme.
func (c Challenge) IsDigest() bool { return strings.EqualFold(c.Scheme, "Digest") }

func (c Challenge) offers(qop string) bool {
	for _, q := range c.QOP {
		if q == qop {
			return true
		}
	}
	return false
}

// usable reports whether this package can answer c.
func (c Challenge) usable() error {
	if !c.IsDigest() {
		return fmt.Errorf("%w: scheme %q", ErrUnsupported, c.Scheme)
	}
	if !c.Algorithm.Supported() {
		return fmt.Errorf("%w: algorithm %q", ErrUnsupported, string(c.Algorithm))
	}
	if c.Nonce == "" {
		return fmt.Errorf("%w: challenge without nonce", ErrMalformed)
	}
	if len(c.QOP) > 0 && !c.offers(QOPAuth) && !c.offers(QOPAuthInt) {
		return fmt.Errorf("%w: qop %q", ErrUnsupported, strings.Join(c.QOP, ","))
	}
	return nil
}

// rank scores an answerable challenge: algorithm strength first, then a
// challenge with qop over the RFC 2069 form (cnonce and nc protect against
// chosen-plaintext attacks, RFC 7616 §5.9).
func (c Challenge) rank() int {
	r := c.Algorithm.strength() * 4
	if len(c.QOP) > 0 {
		r += 2
	}
	return r
}

// Choose returns the strongest challenge this package can answer:
// SHA-512-256 over SHA-256 over MD5, a challenge with qop over the RFC 2069
// form, the plain variant over -sess; ties keep the server's order.
// RFC 8760 §2.4 has a UAC use the topmost supported challenge "unless a
// local policy dictates otherwise": ranking by strength is that policy, so
// that a server (or an attacker in the path) listing MD5 first does not
// downgrade us. It fails with ErrUnsupported when none is answerable (e.g.
// only Basic or an unknown scheme such as NoOneKnowsThisScheme).
func Choose(challenges []Challenge) (Challenge, error) {
	best, bestRank := -1, -1
	var firstErr error
	for i, c := range challenges {
		if err := c.usable(); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if r := c.rank(); r > bestRank {
			best, bestRank = i, r
		}
	}
	if best < 0 {
		if firstErr == nil {
			firstErr = fmt.Errorf("%w: no challenge", ErrUnsupported)
		}
		return Challenge{}, fmt.Errorf("no usable digest challenge: %w", firstErr)
	}
	return challenges[best], nil
}

// String formats c as a header value (RFC 7616 §3.3). Known fields are
// written from the struct; unknown Params are appended.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString(c.Scheme)
	if !c.IsDigest() {
		if c.Token68 != "" {
			b.WriteString(" " + c.Token68)
			return b.String()
		}
		for i, p := range c.Params {
			if i == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteString(", ")
			}
			writeParam(&b, p)
		}
		return b.String()
	}
	sep := " "
	add := func(name, val string, quoted bool) {
		b.WriteString(sep)
		sep = ", "
		writeParam(&b, Param{Name: name, Value: val, Quoted: quoted})
	}
	add("realm", c.Realm, true)
	if c.Domain != "" {
		add("domain", c.Domain, true)
	}
	add("nonce", c.Nonce, true)
	if c.HasOpaque || c.Opaque != "" {
		add("opaque", c.Opaque, true)
	}
	if c.Stale {
		add("stale", "true", false)
	}
	add("algorithm", string(c.Algorithm), false)
	if len(c.QOP) > 0 {
		add("qop", strings.Join(c.QOP, ","), true)
	}
	if c.Charset != "" {
		add("charset", c.Charset, false)
	}
	if c.Userhash {
		add("userhash", "true", false)
	}
	for _, p := range c.Params {
		switch strings.ToLower(p.Name) {
		case "realm", "domain", "nonce", "opaque", "stale", "algorithm", "qop", "charset", "userhash":
			continue
		}
		b.WriteString(sep)
		sep = ", "
		writeParam(&b, p)
	}
	return b.String()
}

func writeParam(b *strings.Builder, p Param) {
	b.WriteString(p.Name)
	b.WriteByte('=')
	if p.Quoted {
		b.WriteString(quote(p.Value))
	} else {
		b.WriteString(p.Value)
	}
}
