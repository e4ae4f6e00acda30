package sip

import (
	"strconv"
	"strings"
)

// Address is a name-addr or addr-spec with header parameters, the value of
// From, To, Contact, Route, Record-Route, Refer-To, Referred-By and
// P-Asserted-Identity (RFC 3261 §20.10, §25.1).
type Address struct {
	DisplayName string // unquoted display name, "" when absent
	URI         URI
	Params      Params // header parameters after the URI (tag, expires, q, ...)
	Wildcard    bool   // Contact: * (§10.2.2); nothing else is set
}

// Tag returns the tag parameter (§19.3), "" when absent.
func (a Address) Tag() string {
	v, _ := a.Params.Get("tag")
	return v
}

// WithTag returns a copy of a whose tag parameter is tag.
func (a Address) WithTag(tag string) Address {
	a.Params = a.Params.Clone().Set("tag", tag)
	return a
}

// Clone returns a deep copy.
func (a Address) Clone() Address {
	a.URI = a.URI.Clone()
	a.Params = a.Params.Clone()
	return a
}

// String returns the address in name-addr form (always with <>, as §20.10
// recommends for what we send).
func (a Address) String() string { return string(a.AppendTo(make([]byte, 0, 64))) }

// AppendTo appends the wire form of a to b.
func (a Address) AppendTo(b []byte) []byte {
	if a.Wildcard {
		return append(b, '*')
	}
	if a.DisplayName != "" {
		if isTokenPhrase(a.DisplayName) {
			b = append(b, a.DisplayName...)
		} else {
			b = appendQuoted(b, a.DisplayName)
		}
		b = append(b, ' ')
	}
	b = append(b, '<')
	b = a.URI.AppendTo(b)
	b = append(b, '>')
	return appendParams(b, a.Params)
}

// isTokenPhrase: *(token LWS) written with single spaces.
func isTokenPhrase(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if s[i-1] == ' ' {
				return false
			}
			continue
		}
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// ParseAddress parses one name-addr or addr-spec with parameters.
func ParseAddress(s string) (Address, error) { return parseOneAddr(s, "") }

// ParseAddressList parses a comma-separated list of addresses (Contact,
// Route, Record-Route, P-Asserted-Identity). "*" is accepted as a wildcard
// Contact when it is the only element.
func ParseAddressList(s string) ([]Address, error) { return parseAddrList(nil, s, "", true) }

func parseOneAddr(s, header string) (Address, error) {
	a, i, err := parseAddr(s, 0, header, false)
	if err != nil {
		return a, err
	}
	if i = skipWS(s, i); i != len(s) {
		return a, valueErr(header, "unexpected "+strconv.QuoteRune(rune(s[i]))+" after address")
	}
	return a, nil
}

func parseAddrList(out []Address, s, header string, wildcard bool) ([]Address, error) {
	i := 0
	for {
		a, j, err := parseAddr(s, i, header, wildcard)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
		j = skipWS(s, j)
		if j == len(s) {
			return out, nil
		}
		if s[j] != ',' {
			return nil, valueErr(header, "unexpected "+strconv.QuoteRune(rune(s[j]))+" after address")
		}
		if a.Wildcard {
			return nil, valueErr(header, "wildcard must be the only contact")
		}
		i = j + 1
	}
}

// parseAddr parses (name-addr / addr-spec) *(SEMI param) starting at s[i]
// and returns the index just after it (RFC 3261 §25.1).
func parseAddr(s string, i int, header string, wildcard bool) (Address, int, error) {
	var a Address
	i = skipWS(s, i)
	if i >= len(s) {
		return a, i, valueErr(header, "empty address")
	}
	if s[i] == '*' {
		j := skipWS(s, i+1)
		if !wildcard || (j < len(s) && s[j] != ',') {
			return a, i, valueErr(header, "unexpected '*'")
		}
		a.Wildcard = true
		return a, j, nil
	}
	angle := false
	switch {
	case s[i] == '"':
		e := scanQuoted(s, i)
		if e < 0 {
			return a, i, valueErr(header, "unterminated quoted display name")
		}
		a.DisplayName = Unquote(s[i:e])
		i = skipWS(s, e)
		if i >= len(s) || s[i] != '<' {
			return a, i, valueErr(header, "display name not followed by '<'")
		}
		angle = true
	case s[i] == '<':
		angle = true
	default:
		// display-name as *(token LWS), immediately followed by '<' or not
		// at all (then this is an addr-spec). Unquoted UTF-8 is accepted
		// liberally (real phones send it); we quote it when writing.
		j := i
		for j < len(s) && (isDisplayChar(s[j]) || isWSP(s[j])) {
			j++
		}
		if j < len(s) && s[j] == '<' {
			a.DisplayName = trimWS(s[i:j])
			i, angle = j, true
		}
	}
	if angle {
		e := strings.IndexByte(s[i:], '>')
		if e < 0 {
			return a, i, valueErr(header, "missing '>'")
		}
		u, err := ParseURI(s[i+1 : i+e])
		if err != nil {
			return a, i, uriValueErr(header, err)
		}
		a.URI = u
		i += e + 1
	} else {
		// addr-spec: a URI containing ',', '?' or ';' must be in <>
		// (§20.10), so the URI ends at the first of those or at LWS.
		j := i
		for j < len(s) && s[j] != ';' && s[j] != ',' && s[j] != '?' && !isWSP(s[j]) {
			j++
		}
		u, err := ParseURI(s[i:j])
		if err != nil {
			return a, i, uriValueErr(header, err)
		}
		a.URI = u
		i = j
	}
	p, j, err := parseHeaderParams(s, i, header)
	if err != nil {
		return a, i, err
	}
	a.Params = p
	return a, j, nil
}

func uriValueErr(header string, err error) error {
	d := err.Error()
	if pe, ok := err.(*ParseError); ok {
		d = "uri: " + pe.Detail
	}
	return valueErr(header, d)
}

// addrParam returns a header parameter of an address value without
// building the Address (the hot path for From/To tags). The URI is skipped,
// not validated.
func addrParam(s, name string) (string, bool) {
	i := skipWS(s, 0)
	if i >= len(s) {
		return "", false
	}
	switch {
	case s[i] == '"':
		e := scanQuoted(s, i)
		if e < 0 {
			return "", false
		}
		i = skipWS(s, e)
	case s[i] != '<':
		j := i
		for j < len(s) && (isDisplayChar(s[j]) || isWSP(s[j])) {
			j++
		}
		if j < len(s) && s[j] == '<' {
			i = j
		}
	}
	if i < len(s) && s[i] == '<' {
		e := strings.IndexByte(s[i:], '>')
		if e < 0 {
			return "", false
		}
		i += e + 1
	} else {
		for i < len(s) && s[i] != ';' && s[i] != ',' && s[i] != '?' && !isWSP(s[i]) {
			i++
		}
	}
	for {
		j := skipWS(s, i)
		if j >= len(s) || s[j] != ';' {
			return "", false
		}
		j = skipWS(s, j+1)
		k := scanToken(s, j)
		if k == j {
			return "", false
		}
		pname := s[j:k]
		value := ""
		if k2 := skipWS(s, k); k2 < len(s) && s[k2] == '=' {
			v := skipWS(s, k2+1)
			if v < len(s) && s[v] == '"' {
				e := scanQuoted(s, v)
				if e < 0 {
					return "", false
				}
				value, k = s[v:e], e
			} else {
				e := v
				for e < len(s) && isGenValueChar(s[e]) {
					e++
				}
				value, k = s[v:e], e
			}
		}
		if strings.EqualFold(pname, name) {
			return value, true
		}
		i = k
	}
}

func isDisplayChar(c byte) bool { return isTokenChar(c) || c >= 0x80 }
