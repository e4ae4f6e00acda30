package digest

import "strings"

// Redact returns an Authorization or Proxy-Authorization value (RFC 3261
// §22.4, RFC 7616 §3.4) fit for logs and traces: the scheme and the
// username, realm, uri, algorithm and qop parameters stay; response,
// nonce, cnonce, nc, opaque, userhash and every other parameter (and a
// token68 or unparsable remainder) are dropped and "[redacted]" is
// appended. Commas inside quoted strings do not split parameters. It
// never fails: malformed input is redacted too.
func Redact(value string) string {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(value), " ")
	var parts []string
	redacted := false
	for _, p := range splitOutsideQuotes(rest) {
		name, _, _ := strings.Cut(p, "=")
		if keepParam(strings.TrimSpace(name)) {
			parts = append(parts, strings.TrimSpace(p))
		} else {
			redacted = true
		}
	}
	if redacted || len(parts) == 0 {
		parts = append(parts, "[redacted]")
	}
	return scheme + " " + strings.Join(parts, ", ")
}

// keepParam reports the auth-params Redact leaves readable: who is
// authenticating, where and how, but nothing derived from the password.
func keepParam(name string) bool {
	switch strings.ToLower(name) {
	case "username", "realm", "uri", "algorithm", "qop":
		return true
	}
	return false
}

// splitOutsideQuotes splits s on commas outside quoted strings (RFC 7230
// §3.2.6 quoted-string with quoted-pair).
func splitOutsideQuotes(s string) []string {
	var out []string
	inQ, esc, start := false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && inQ:
			esc = true
		case c == '"':
			inQ = !inQ
		case c == ',' && !inQ:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
