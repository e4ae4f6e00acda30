package sip

import "strings"

// Param is one ";name[=value]" parameter (or one "name=value" URI header).
// Name and Value are kept as they appear on the wire: escapes in URI
// parameters and quotes around quoted-string values are preserved. An empty
// Value means the parameter has no value (";lr").
type Param struct {
	Name  string
	Value string
}

// Params is an ordered parameter list (RFC 3261 §7.3.1, §19.1.1). Names are
// compared case-insensitively.
type Params []Param

// Get returns the value of the first parameter named name and whether it is
// present. Quoted values are returned with their quotes; see Unquote.
func (p Params) Get(name string) (string, bool) {
	for _, x := range p {
		if strings.EqualFold(x.Name, name) {
			return x.Value, true
		}
	}
	return "", false
}

// Has reports whether a parameter named name is present.
func (p Params) Has(name string) bool {
	_, ok := p.Get(name)
	return ok
}

// Set replaces the value of the first parameter named name, or appends the
// parameter when absent, and returns the updated list.
func (p Params) Set(name, value string) Params {
	for i := range p {
		if strings.EqualFold(p[i].Name, name) {
			p[i].Value = value
			return p
		}
	}
	return append(p, Param{Name: name, Value: value})
}

// Del removes every parameter named name and returns the updated list.
func (p Params) Del(name string) Params {
	out := p[:0]
	for _, x := range p {
		if !strings.EqualFold(x.Name, name) {
			out = append(out, x)
		}
	}
	return out
}

// Clone returns an independent copy.
func (p Params) Clone() Params {
	if p == nil {
		return nil
	}
	return append(Params(nil), p...)
}

// appendParams writes ";name[=value]" for each parameter.
func appendParams(b []byte, p Params) []byte {
	for _, x := range p {
		b = append(b, ';')
		b = append(b, x.Name...)
		if x.Value != "" {
			b = append(b, '=')
			b = append(b, x.Value...)
		}
	}
	return b
}

// parseHeaderParams parses *( SEMI generic-param ) starting at s[i] with LWS
// allowed around ";" and "=" (RFC 3261 §25.1 generic-param). It stops at the
// end, at a ',' or at any other character that does not start a parameter,
// returning the index of that character.
func parseHeaderParams(s string, i int, header string) (Params, int, error) {
	var p Params
	for {
		j := skipWS(s, i)
		if j >= len(s) || s[j] != ';' {
			return p, j, nil
		}
		j = skipWS(s, j+1)
		k := scanToken(s, j)
		if k == j {
			return nil, i, valueErr(header, "empty parameter name")
		}
		name := s[j:k]
		value := ""
		k2 := skipWS(s, k)
		if k2 < len(s) && s[k2] == '=' {
			v := skipWS(s, k2+1)
			switch {
			case v < len(s) && s[v] == '"':
				e := scanQuoted(s, v)
				if e < 0 {
					return nil, i, valueErr(header, "unterminated quoted parameter value")
				}
				value, k = s[v:e], e
			default:
				e := v
				for e < len(s) && isGenValueChar(s[e]) {
					e++
				}
				if e == v {
					return nil, i, valueErr(header, "empty value for parameter "+name)
				}
				value, k = s[v:e], e
			}
		}
		if p == nil {
			p = make(Params, 0, 2)
		}
		p = append(p, Param{Name: name, Value: value})
		i = k
	}
}
