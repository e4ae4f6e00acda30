package sip

import "strings"

// Character classes of RFC 3261 §25.1, as bit flags in a constant table
// (a string constant, so it is immutable and lives in read-only data).
const (
	cToken      = 1 << iota // token
	cUnreserved             // unreserved = alphanum / mark
	cUser                   // unreserved / user-unreserved
	cPassword               // unreserved / "&" / "=" / "+" / "$" / ","
	cParam                  // paramchar without escapes
	cURIHeader              // hnv-unreserved / unreserved
	cHost                   // alphanum / "-" / "." / "_"
	cAlnum                  // alphanum
)

const charClass = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x3f\x00\x00\x3c\x01\x1c\x3f\x3e\x3e\x3f\x3d\x0c\x7f\x7f\x34" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x30\x04\x00\x0c\x00\x24" +
	"\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x30\x00\x30\x00\x7f" +
	"\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x3f\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return charClass[c]&cAlnum != 0 }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isWSP(c byte) bool   { return c == ' ' || c == '\t' }

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
func isTokenChar(c byte) bool { return charClass[c]&cToken != 0 }

// unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
func isUnreserved(c byte) bool { return charClass[c]&cUnreserved != 0 }

// user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
func isUserChar(c byte) bool { return charClass[c]&cUser != 0 }

// password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
func isPasswordChar(c byte) bool { return charClass[c]&cPassword != 0 }

// paramchar = param-unreserved / unreserved / escaped;
// param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"
func isParamChar(c byte) bool { return charClass[c]&cParam != 0 }

// hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"
func isHeaderChar(c byte) bool { return charClass[c]&cURIHeader != 0 }

// isHostChar accepts hostname characters (alphanum, "-", "." and, liberally,
// "_"), which also covers IPv4 addresses.
func isHostChar(c byte) bool { return charClass[c]&cHost != 0 }

// isGenValueChar: gen-value = token / host / quoted-string (§25.1); we also
// accept ":" so unbracketed IPv6 received= values parse.
func isGenValueChar(c byte) bool { return isTokenChar(c) || c == ':' || c == '[' || c == ']' }

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func skipWS(s string, i int) int {
	for i < len(s) && isWSP(s[i]) {
		i++
	}
	return i
}

func trimWS(s string) string {
	i, j := 0, len(s)
	for i < j && isWSP(s[i]) {
		i++
	}
	for j > i && isWSP(s[j-1]) {
		j--
	}
	return s[i:j]
}

func scanToken(s string, i int) int {
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return i
}

// scanQuoted expects s[i] == '"' and returns the index after the closing
// quote, or -1 if the string is unterminated (§25.1 quoted-string with
// quoted-pair).
func scanQuoted(s string, i int) int {
	i++
	for i < len(s) {
		switch s[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(s) || s[i+1] == '\r' || s[i+1] == '\n' {
				return -1
			}
			i += 2
			continue
		case '\r', '\n':
			return -1
		}
		i++
	}
	return -1
}

// Unquote returns the content of a quoted-string with quoted-pairs resolved;
// a value that is not quoted is returned unchanged.
func Unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	s = s[1 : len(s)-1]
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b = append(b, s[i])
	}
	return string(b)
}

// Quote returns s as a quoted-string, escaping '"' and '\' (§25.1). CR and
// LF cannot be carried in a quoted-string and are replaced by spaces.
func Quote(s string) string {
	return string(appendQuoted(make([]byte, 0, len(s)+2), s))
}

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\r', '\n':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// splitList splits a comma-separated header value into its elements,
// honouring quoted strings and <...> (RFC 3261 §7.3.1). Elements are
// trimmed; empty elements are kept so callers can reject them.
func splitList(s string) []string {
	var out []string
	start, inQ, inA := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQ:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQ = false
			}
		case c == '"':
			inQ = true
		case c == '<':
			inA = true
		case c == '>':
			inA = false
		case c == ',' && !inA:
			out = append(out, trimWS(s[start:i]))
			start = i + 1
		}
	}
	return append(out, trimWS(s[start:]))
}

// parseUint parses 1*DIGIT, rejecting values above max.
func parseUint(s string, max uint64) (uint64, bool) {
	if s == "" || len(s) > 40 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > max {
			return 0, false
		}
	}
	return n, true
}
