package contacts

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ErrInvalidURI is wrapped by every error about a URI this package cannot
// accept as a contact address.
var ErrInvalidURI = errors.New("invalid uri")

// minSuffixDigits is how many trailing digits two phone numbers must share
// for the fallback match in [Book.Lookup] ("+49 30 1234567" against
// "030 1234567"). Android's caller-ID matching uses the same idea with 7.
const minSuffixDigits = 8

// addr is a parsed contact address, reduced to what comparison needs.
type addr struct {
	// key is the canonical comparison form: "sip:user@host[:port]" (sips is
	// folded into sip) or "tel:+4930123" (digits, '+', '*', '#' only).
	key string
	// phone is "tel:<digits>" when the address is a telephone number: a
	// tel URI, a bare number, or a SIP URI whose user part is a number
	// (RFC 3261 §19.1.1 user=phone, or simply all digits). Empty otherwise.
	phone string
}

// ValidateURI reports whether s is acceptable as a contact address. It is a
// deliberately small check, not a SIP parser. Accepted forms:
//
//   - sip:[user[:password]@]host[:port][;params][?headers] and the same with
//     sips: (RFC 3261 §19.1.1); host is a name, an IPv4 address or a
//     bracketed IPv6 reference;
//   - tel:number[;params] (RFC 3966 §3): a global "+digits" or local number,
//     visual separators (- . ( ) and spaces) allowed, also * and #;
//   - user@host (taken as sip:user@host);
//   - a bare number such as "+49 30 1234567", "100" or "*97".
//
// A name-addr ("Alice" <sip:alice@example.com>;tag=x) is accepted too, so a
// From header value can be passed as is.
func ValidateURI(s string) error {
	_, err := parseAddr(s)
	return err
}

// NormalizeURI returns the canonical form used to compare addresses:
// scheme lower-cased, sips folded into sip, host lower-cased, URI
// parameters, headers, passwords and the default port (5060 for sip, 5061
// for sips) removed, %-escapes in the user part decoded (RFC 3261 §19.1.4),
// and telephone numbers reduced to "tel:" plus their digits (RFC 3966
// §5.1.1 visual separators dropped). Two addresses that normalize to the
// same string belong to the same contact.
func NormalizeURI(s string) (string, error) {
	a, err := parseAddr(s)
	if err != nil {
		return "", err
	}
	return a.key, nil
}

func invalid(s, why string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidURI, s, why)
}

func parseAddr(s string) (addr, error) {
	orig := s
	s = strings.TrimSpace(s)
	// name-addr: "Display" <uri>;params (RFC 3261 §20.10, §25.1).
	if i := strings.IndexByte(s, '<'); i >= 0 {
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return addr{}, invalid(orig, "unterminated <")
		}
		s = strings.TrimSpace(s[i+1 : i+j])
	}
	if s == "" {
		return addr{}, invalid(orig, "empty")
	}
	scheme, rest, hasScheme := strings.Cut(s, ":")
	switch strings.ToLower(scheme) {
	case "sip", "sips":
		if !hasScheme {
			break
		}
		return parseSIP(orig, strings.ToLower(scheme), rest)
	case "tel":
		if !hasScheme {
			break
		}
		num, _, _ := strings.Cut(rest, ";") // RFC 3966 §3 parameters
		return parseTel(orig, num)
	}
	if hasScheme && isSchemeName(scheme) {
		return addr{}, invalid(orig, "unsupported scheme "+strconv.Quote(scheme))
	}
	if strings.Contains(s, "@") {
		return parseSIP(orig, "sip", s)
	}
	if isPhoneLike(s) {
		return parseTel(orig, s)
	}
	return addr{}, invalid(orig, "not a sip:, sips: or tel: uri, user@host or a number")
}

// isSchemeName reports an RFC 3986 §3.1 scheme: a letter, then letters,
// digits, '+', '-' or '.'; "alice@example.com" (before a port) is not one.
func isSchemeName(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// parseSIP handles the part after "sip:" (RFC 3261 §19.1.1):
// userinfo@hostport;uri-parameters?headers.
func parseSIP(orig, scheme, rest string) (addr, error) {
	if strings.ContainsAny(rest, " \t\r\n") {
		return addr{}, invalid(orig, "contains white space")
	}
	rest, _, _ = strings.Cut(rest, "?")
	user, hostport := "", rest
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		user, hostport = rest[:i], rest[i+1:]
		if user == "" {
			return addr{}, invalid(orig, "empty user part")
		}
	}
	hostport, params, _ := strings.Cut(hostport, ";")
	user, _, _ = strings.Cut(user, ":") // drop a password (RFC 3261 §19.1.1)
	if u, err := url.PathUnescape(user); err == nil {
		user = u
	}
	host, port, err := splitHostPort(hostport)
	if err != nil {
		return addr{}, invalid(orig, err.Error())
	}
	if (scheme == "sip" && port == 5060) || (scheme == "sips" && port == 5061) {
		port = 0
	}
	var b strings.Builder
	b.WriteString("sip:")
	if user != "" {
		b.WriteString(user)
		b.WriteByte('@')
	}
	b.WriteString(host)
	if port != 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(port))
	}
	a := addr{key: b.String()}
	userPhone := false
	for p := range strings.SplitSeq(params, ";") {
		if strings.EqualFold(strings.TrimSpace(p), "user=phone") {
			userPhone = true
		}
	}
	if user != "" && (userPhone || isPhoneLike(user)) {
		if d := phoneDigits(user); d != "" {
			a.phone = "tel:" + d
		}
	}
	return a, nil
}

func splitHostPort(hp string) (host string, port int, err error) {
	if hp == "" {
		return "", 0, errors.New("empty host")
	}
	var portStr string
	if strings.HasPrefix(hp, "[") { // IPv6 reference, RFC 3261 §25.1
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", 0, errors.New("unterminated ipv6 reference")
		}
		host, portStr = strings.ToLower(hp[:end+1]), hp[end+1:]
		for _, r := range host[1 : len(host)-1] {
			if !(r == ':' || r == '.' || isHex(r)) {
				return "", 0, errors.New("bad ipv6 reference")
			}
		}
		if portStr != "" && !strings.HasPrefix(portStr, ":") {
			return "", 0, errors.New("junk after ipv6 reference")
		}
		portStr = strings.TrimPrefix(portStr, ":")
	} else {
		h, p, hasPort := strings.Cut(hp, ":")
		host, portStr = strings.ToLower(h), p
		if hasPort && p == "" {
			return "", 0, errors.New("empty port")
		}
		if host == "" {
			return "", 0, errors.New("empty host")
		}
		for _, r := range host {
			if !(r == '.' || r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				return "", 0, fmt.Errorf("bad character %q in host", r)
			}
		}
		host = strings.TrimSuffix(host, ".")
	}
	if portStr != "" {
		port, err = strconv.Atoi(portStr)
		if err != nil || port < 1 || port > 65535 {
			return "", 0, fmt.Errorf("bad port %q", portStr)
		}
	}
	return host, port, nil
}

func isHex(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'f'
}

func parseTel(orig, num string) (addr, error) {
	d := phoneDigits(num)
	if d == "" || !isPhoneLike(num) {
		return addr{}, invalid(orig, "not a telephone number")
	}
	return addr{key: "tel:" + d, phone: "tel:" + d}, nil
}

// isVisualSeparator reports the RFC 3966 §3 visual separators, plus the
// space that phones put in numbers anyway.
func isVisualSeparator(r rune) bool {
	switch r {
	case '-', '.', '(', ')', ' ', '\t':
		return true
	}
	return false
}

// isPhoneLike reports whether s is a dialable number: an optional leading
// '+', then digits, '*', '#' and visual separators, with at least one digit
// or '*'/'#'.
func isPhoneLike(s string) bool {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+")
	n := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#':
			n++
		case isVisualSeparator(r):
		default:
			return false
		}
	}
	return n > 0
}

// phoneDigits keeps a leading '+', digits, '*' and '#'.
func phoneDigits(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	if strings.HasPrefix(s, "+") {
		b.WriteByte('+')
		s = s[1:]
	}
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r == '*' || r == '#' {
			b.WriteRune(r)
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return b.String()
}

// trailingDigits returns the digits of a "tel:" key without '+', for the
// suffix comparison.
func trailingDigits(telKey string) string {
	var b strings.Builder
	for _, r := range strings.TrimPrefix(telKey, "tel:") {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
