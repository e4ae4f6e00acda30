package digest

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Credentials is a parsed Authorization or Proxy-Authorization value
// (RFC 7616 §3.4, RFC 3261 §22.4 and §25.1 digest-response).
type Credentials struct {
	Scheme    string    // "Digest"
	Username  string    // user name; the hash when Userhash; decoded from username* when UsernameExt
	Realm     string    // realm
	Nonce     string    // nonce
	URI       string    // digest-uri (the Request-URI for SIP)
	Response  string    // request-digest, lower-case hex
	Algorithm Algorithm // canonical if known; MD5 when absent
	CNonce    string    // cnonce (with qop)
	Opaque    string    // opaque echo
	HasOpaque bool      // opaque was present
	QOP       string    // qop chosen, lower-case; "" in RFC 2069 mode
	NC        uint32    // nonce-count (with qop)
	Userhash  bool      // userhash=true (RFC 7616 §3.4.4)
	// UsernameExt reports that the user name came in username* (RFC 7616
	// §3.4.4, RFC 5987 ext-value) and is formatted back that way.
	UsernameExt bool
	Params      []Param // every parameter in order, unknown ones included
}

// ParseCredentials parses one Authorization or Proxy-Authorization value.
// It fails with ErrUnsupported for another scheme or an unknown algorithm or
// qop, and with ErrMalformed when a required parameter is missing
// (RFC 7616 §3.4: username, realm, nonce, uri, response; cnonce and nc when
// qop is present).
func ParseCredentials(value string) (Credentials, error) {
	items, err := parseItems(value)
	if err != nil {
		return Credentials{}, err
	}
	if len(items) != 1 {
		return Credentials{}, fmt.Errorf("%w: %d credentials in one value", ErrMalformed, len(items))
	}
	it := items[0]
	c := Credentials{Scheme: it.scheme, Params: it.params}
	if !strings.EqualFold(it.scheme, "Digest") {
		return c, fmt.Errorf("%w: scheme %q", ErrUnsupported, it.scheme)
	}
	seen := map[string]bool{}
	var haveUser, haveRealm, haveNonce, haveURI, haveResp, haveNC bool
	for _, p := range it.params {
		name := strings.ToLower(p.Name)
		if seen[name] {
			return c, fmt.Errorf("%w: duplicate parameter %q", ErrMalformed, name)
		}
		seen[name] = true
		switch name {
		case "username":
			c.Username, haveUser = p.Value, true
		case "username*":
			u, err := decodeExtValue(p.Value)
			if err != nil {
				return c, err
			}
			c.Username, c.UsernameExt, haveUser = u, true, true
		case "realm":
			c.Realm, haveRealm = p.Value, true
		case "nonce":
			c.Nonce, haveNonce = p.Value, true
		case "uri":
			c.URI, haveURI = p.Value, true
		case "response":
			c.Response, haveResp = strings.ToLower(p.Value), true
		case "algorithm":
			a, ok := ParseAlgorithm(p.Value)
			if !ok {
				return c, fmt.Errorf("%w: algorithm %q", ErrUnsupported, p.Value)
			}
			c.Algorithm = a
		case "cnonce":
			c.CNonce = p.Value
		case "opaque":
			c.Opaque, c.HasOpaque = p.Value, true
		case "qop":
			c.QOP = strings.ToLower(p.Value)
			if c.QOP != QOPAuth && c.QOP != QOPAuthInt {
				return c, fmt.Errorf("%w: qop %q", ErrUnsupported, p.Value)
			}
		case "nc":
			// RFC 7616 §3.4: nc-value = 8LHEX.
			if len(p.Value) != 8 {
				return c, fmt.Errorf("%w: nc %q is not 8 hex digits", ErrMalformed, p.Value)
			}
			n, err := strconv.ParseUint(p.Value, 16, 32)
			if err != nil {
				return c, fmt.Errorf("%w: nc %q is not 8 hex digits", ErrMalformed, p.Value)
			}
			c.NC, haveNC = uint32(n), true
		case "userhash":
			c.Userhash = strings.EqualFold(p.Value, "true")
		}
	}
	if seen["username"] && seen["username*"] {
		return c, fmt.Errorf("%w: both username and username*", ErrMalformed)
	}
	if c.Algorithm == "" {
		c.Algorithm = MD5
	}
	switch {
	case !haveUser:
		return c, fmt.Errorf("%w: missing username", ErrMalformed)
	case !haveRealm:
		return c, fmt.Errorf("%w: missing realm", ErrMalformed)
	case !haveNonce:
		return c, fmt.Errorf("%w: missing nonce", ErrMalformed)
	case !haveURI:
		return c, fmt.Errorf("%w: missing uri", ErrMalformed)
	case !haveResp:
		return c, fmt.Errorf("%w: missing response", ErrMalformed)
	}
	if c.QOP != "" && (c.CNonce == "" || !haveNC) {
		return c, fmt.Errorf("%w: qop without cnonce or nc", ErrMalformed)
	}
	if c.QOP == "" {
		c.NC = 0 // nc has no meaning without qop (RFC 7616 §3.4)
	}
	return c, nil
}

// String formats c as an Authorization value. Strings are quoted, while
// algorithm, qop, nc and userhash are tokens (RFC 7616 §3.4; RFC 3261 §25.1
// has message-qop and nonce-count unquoted).
func (c Credentials) String() string {
	var b strings.Builder
	scheme := c.Scheme
	if scheme == "" {
		scheme = "Digest"
	}
	b.WriteString(scheme)
	sep := " "
	add := func(name, val string, quoted bool) {
		b.WriteString(sep)
		sep = ", "
		writeParam(&b, Param{Name: name, Value: val, Quoted: quoted})
	}
	if c.UsernameExt {
		add("username*", encodeExtValue(c.Username), false)
	} else {
		add("username", c.Username, true)
	}
	add("realm", c.Realm, true)
	add("nonce", c.Nonce, true)
	add("uri", c.URI, true)
	add("response", c.Response, true)
	if c.Algorithm != "" {
		add("algorithm", string(c.Algorithm), false)
	}
	if c.QOP != "" || c.CNonce != "" {
		add("cnonce", c.CNonce, true)
	}
	if c.HasOpaque || c.Opaque != "" {
		add("opaque", c.Opaque, true)
	}
	if c.QOP != "" {
		add("qop", c.QOP, false)
		add("nc", fmt.Sprintf("%08x", c.NC), false)
	}
	if c.Userhash {
		add("userhash", "true", false)
	}
	return b.String()
}

// decodeExtValue decodes an RFC 5987 §3.2 ext-value (charset'lang'pct-encoded).
// Only UTF-8 is accepted (RFC 7616 §3.4.4 and §4).
func decodeExtValue(v string) (string, error) {
	parts := strings.SplitN(v, "'", 3)
	if len(parts) != 3 || !strings.EqualFold(parts[0], "UTF-8") {
		return "", fmt.Errorf("%w: username* is not a UTF-8 ext-value", ErrMalformed)
	}
	s, err := url.PathUnescape(parts[2])
	if err != nil {
		return "", fmt.Errorf("%w: username* encoding", ErrMalformed)
	}
	return s, nil
}

// encodeExtValue encodes s as an RFC 5987 ext-value with charset UTF-8.
func encodeExtValue(s string) string {
	var b strings.Builder
	b.WriteString("UTF-8''")
	for i := 0; i < len(s); i++ {
		c := s[i]
		// RFC 5987 §3.2.1 attr-char.
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// responseFor computes request-digest (RFC 7616 §3.4.1) from the plain HA1
// H(username:realm:password). For -sess algorithms H(A1) is
// H(HA1 ":" nonce ":" cnonce) (RFC 7616 §3.4.2). auth-int hashes the body
// into A2 (RFC 7616 §3.4.3; RFC 3261 §22.4 for SIP, where an empty body hashes
// the empty string). Without qop the RFC 2069 form KD(HA1, nonce ":" HA2) is
// used (RFC 2617 §3.2.2.1).
func responseFor(a Algorithm, ha1, nonce, cnonce string, nc uint32, qop, method, uri string, body []byte) string {
	if a.Sess() {
		ha1 = a.h(ha1, nonce, cnonce)
	}
	var ha2 string
	if qop == QOPAuthInt {
		ha2 = a.h(method, uri, a.hBytes(body))
	} else {
		ha2 = a.h(method, uri)
	}
	if qop == "" {
		return a.h(ha1, nonce, ha2)
	}
	return a.h(ha1, nonce, fmt.Sprintf("%08x", nc), cnonce, qop, ha2)
}
