package digest

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrMalformed reports a header value or credentials that cannot be parsed
	// or that lack a required parameter.
	ErrMalformed = errors.New("digest: malformed")
	// ErrUnsupported reports an unknown scheme, algorithm or qop, or a set of
	// challenges none of which this package can answer.
	ErrUnsupported = errors.New("digest: unsupported")
	// ErrStale reports credentials computed with the right password for a
	// nonce that has expired (the server answers with stale=true).
	ErrStale = errors.New("digest: stale nonce")
	// ErrWrongPassword reports credentials whose response does not match.
	ErrWrongPassword = errors.New("digest: wrong password")
	// ErrUnknownUser is returned by a server's lookup function (or wrapped by
	// it) when the user does not exist.
	ErrUnknownUser = errors.New("digest: unknown user")
	// ErrReplay reports a nonce count that is not greater than one already
	// accepted for the same nonce (RFC 7616 §3.4, §5.1).
	ErrReplay = errors.New("digest: nonce count replayed")
	// ErrRejected is returned by Client.Answer when the server challenged
	// again, without stale=true, a request that already carried our
	// credentials for that realm: the password is wrong and retrying would
	// loop.
	ErrRejected = errors.New("digest: credentials rejected")
	// ErrRealm reports that no challenge matches the realm the client is
	// restricted to, or that credentials name another realm than the server's.
	ErrRealm = errors.New("digest: realm mismatch")
)

// Param is one auth-param in the order it appeared.
type Param struct {
	Name   string // as written; compare case-insensitively
	Value  string // unquoted: quoted-pairs removed
	Quoted bool   // the value was a quoted-string
}

// item is one parsed challenge or credentials (RFC 7235 §2.1: auth-scheme
// followed by a token68 or a comma-separated list of auth-params).
type item struct {
	scheme  string
	token68 string
	params  []Param
}

// isTchar reports RFC 7230 §3.2.6 tchar.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken68 reports RFC 7235 §2.1 token68 characters (without the trailing '=').
func isToken68(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

type scanner struct {
	s string
	i int
}

func (p *scanner) eof() bool { return p.i >= len(p.s) }

func (p *scanner) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *scanner) token() string {
	start := p.i
	for p.i < len(p.s) && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted-string starting at the opening quote and returns the
// unescaped content (RFC 7230 §3.2.6 quoted-pair).
func (p *scanner) quoted() (string, bool) {
	if p.eof() || p.s[p.i] != '"' {
		return "", false
	}
	j := p.i + 1
	var b strings.Builder
	for j < len(p.s) {
		c := p.s[j]
		switch c {
		case '\\':
			if j+1 >= len(p.s) {
				return "", false
			}
			b.WriteByte(p.s[j+1])
			j += 2
		case '"':
			p.i = j + 1
			return b.String(), true
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", false
}

// param tries to read `name OWS "=" OWS value` at the current position. On
// failure the position is unchanged. Unquoted values are read liberally (any
// run of characters other than comma, white space and quote) because real
// servers send things like opaque=abc/def unquoted; a value may not start
// with '=' so that token68 padding is not mistaken for a parameter.
func (p *scanner) param() (Param, bool) {
	save := p.i
	name := p.token()
	if name == "" {
		p.i = save
		return Param{}, false
	}
	p.skipSpace()
	if p.eof() || p.s[p.i] != '=' {
		p.i = save
		return Param{}, false
	}
	p.i++
	p.skipSpace()
	if p.eof() {
		p.i = save
		return Param{}, false
	}
	if p.s[p.i] == '"' {
		v, ok := p.quoted()
		if !ok {
			p.i = save
			return Param{}, false
		}
		return Param{Name: name, Value: v, Quoted: true}, true
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == ',' || c == '"' || isSpace(c) || (p.i == start && c == '=') {
			break
		}
		p.i++
	}
	if p.i == start {
		p.i = save
		return Param{}, false
	}
	return Param{Name: name, Value: p.s[start:p.i]}, true
}

// token68 tries to read a token68 followed by OWS and a comma or the end.
func (p *scanner) token68() (string, bool) {
	save := p.i
	for p.i < len(p.s) && isToken68(p.s[p.i]) {
		p.i++
	}
	if p.i == save {
		return "", false
	}
	for p.i < len(p.s) && p.s[p.i] == '=' {
		p.i++
	}
	v := p.s[save:p.i]
	j := p.i
	for j < len(p.s) && isSpace(p.s[j]) {
		j++
	}
	if j < len(p.s) && p.s[j] != ',' {
		p.i = save
		return "", false
	}
	return v, true
}

// parseItems parses a comma-separated list of challenges (RFC 7235 §4.1
// WWW-Authenticate = 1#challenge). A new challenge starts where a list
// element is not an auth-param.
func parseItems(s string) ([]item, error) {
	p := &scanner{s: s}
	var out []item
	for {
		for !p.eof() && (isSpace(p.s[p.i]) || p.s[p.i] == ',') {
			p.i++
		}
		if p.eof() {
			break
		}
		scheme := p.token()
		if scheme == "" {
			return nil, fmt.Errorf("%w: expected auth-scheme at offset %d", ErrMalformed, p.i)
		}
		it := item{scheme: scheme}
		if !p.eof() && !isSpace(p.s[p.i]) && p.s[p.i] != ',' {
			return nil, fmt.Errorf("%w: bad character after scheme %q at offset %d", ErrMalformed, scheme, p.i)
		}
		p.skipSpace()
		// First element after the scheme: auth-param or token68.
		if !p.eof() && p.s[p.i] != ',' {
			if prm, ok := p.param(); ok {
				it.params = append(it.params, prm)
			} else if t, ok := p.token68(); ok {
				it.token68 = t
			} else {
				return nil, fmt.Errorf("%w: bad parameter at offset %d", ErrMalformed, p.i)
			}
		}
		// Further auth-params, until something that is not one.
		for {
			p.skipSpace()
			if p.eof() {
				break
			}
			if p.s[p.i] != ',' {
				return nil, fmt.Errorf("%w: expected comma at offset %d", ErrMalformed, p.i)
			}
			for !p.eof() && (isSpace(p.s[p.i]) || p.s[p.i] == ',') {
				p.i++
			}
			if p.eof() {
				break
			}
			if it.token68 != "" {
				break // a token68 challenge has no params: next challenge
			}
			prm, ok := p.param()
			if !ok {
				break // next challenge starts here
			}
			it.params = append(it.params, prm)
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty value", ErrMalformed)
	}
	return out, nil
}

// quote formats s as a quoted-string, escaping '"' and '\' (RFC 7230 §3.2.6).
func quote(s string) string {
	if !strings.ContainsAny(s, "\"\\") {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
