package sip

import (
	"strconv"
	"strings"
	"time"
)

// MaxCSeq is the largest CSeq sequence number a request may carry
// (RFC 3261 §8.1.1.5: less than 2**31).
const MaxCSeq = 1<<31 - 1

// CSeq is the value of the CSeq header (§20.16).
type CSeq struct {
	Seq    uint32
	Method string
}

func (c CSeq) String() string { return strconv.FormatUint(uint64(c.Seq), 10) + " " + c.Method }

// ParseCSeq parses "1*DIGIT LWS Method"; numbers above 2**32-1 are errors.
func ParseCSeq(s string) (CSeq, error) {
	s = trimWS(s)
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	n, ok := parseUint(s[:i], 1<<32-1)
	if !ok {
		return CSeq{}, valueErr(HeaderCSeq, "sequence number missing or larger than 2**32-1")
	}
	j := skipWS(s, i)
	if j == i || !isToken(s[j:]) {
		return CSeq{}, valueErr(HeaderCSeq, "missing or invalid method")
	}
	return CSeq{Seq: uint32(n), Method: s[j:]}, nil
}

// MediaType is a media-type with parameters: the value of Content-Type and
// one element of Accept (§20.15, §20.1).
type MediaType struct {
	Type    string
	Subtype string
	Params  Params
}

// Name returns "type/subtype".
func (m MediaType) Name() string { return m.Type + "/" + m.Subtype }

// Match reports whether m and o name the same media type, either side's
// "*" matching anything (§20.1 media-range).
func (m MediaType) Match(o MediaType) bool {
	eq := func(a, b string) bool { return a == "*" || b == "*" || strings.EqualFold(a, b) }
	return eq(m.Type, o.Type) && eq(m.Subtype, o.Subtype)
}

func (m MediaType) String() string {
	b := make([]byte, 0, 32)
	b = append(b, m.Type...)
	b = append(b, '/')
	b = append(b, m.Subtype...)
	return string(appendParams(b, m.Params))
}

// ParseMediaType parses type "/" subtype *(SEMI m-parameter).
func ParseMediaType(s string) (MediaType, error) {
	m, i, err := parseMediaType(s, 0, HeaderContentType)
	if err == nil && skipWS(s, i) != len(s) {
		err = valueErr(HeaderContentType, "trailing characters after media type")
	}
	return m, err
}

func parseMediaType(s string, i int, header string) (MediaType, int, error) {
	var m MediaType
	i = skipWS(s, i)
	j := scanToken(s, i)
	if j == i {
		return m, i, valueErr(header, "missing media type")
	}
	m.Type = s[i:j]
	j = skipWS(s, j)
	if j >= len(s) || s[j] != '/' {
		return m, j, valueErr(header, "missing '/' in media type")
	}
	j = skipWS(s, j+1)
	k := scanToken(s, j)
	if k == j {
		return m, k, valueErr(header, "missing media subtype")
	}
	m.Subtype = s[j:k]
	p, k, err := parseHeaderParams(s, k, header)
	m.Params = p
	return m, k, err
}

// Auth is a credentials value (Authorization, Proxy-Authorization) or a
// challenge (WWW-Authenticate, Proxy-Authenticate), RFC 3261 §20.7, §20.27,
// §20.28, §20.44; RFC 7235 token68 accepted.
type Auth struct {
	Scheme  string // "Digest"
	Params  Params // auth-params in order; quoted values keep their quotes
	Token68 string // set instead of Params for "Scheme token68"
}

// Param returns the unquoted value of an auth-param, "" when absent.
func (a Auth) Param(name string) string {
	v, _ := a.Params.Get(name)
	return Unquote(v)
}

func (a Auth) String() string {
	var b strings.Builder
	b.WriteString(a.Scheme)
	if a.Token68 != "" {
		b.WriteByte(' ')
		b.WriteString(a.Token68)
		return b.String()
	}
	for i, p := range a.Params {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String()
}

// ParseAuth parses one or more comma-separated challenges or credentials.
func ParseAuth(s, header string) ([]Auth, error) {
	var out []Auth
	i := skipWS(s, 0)
	for i < len(s) {
		j := scanToken(s, i)
		if j == i {
			return nil, valueErr(header, "missing auth scheme")
		}
		a := Auth{Scheme: s[i:j]}
		i = skipWS(s, j)
		if i < len(s) && s[i] != ',' && !startsAuthParam(s, i) {
			// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
			k := i
			for k < len(s) && (isAlnum(s[k]) || strings.IndexByte("-._~+/", s[k]) >= 0) {
				k++
			}
			for k < len(s) && s[k] == '=' {
				k++
			}
			if k == i {
				return nil, valueErr(header, "malformed auth value")
			}
			a.Token68, i = s[i:k], skipWS(s, k)
		} else {
			for i < len(s) && startsAuthParam(s, i) {
				k := scanToken(s, i)
				name := s[i:k]
				k = skipWS(s, k)
				k = skipWS(s, k+1) // past '='
				var val string
				if k < len(s) && s[k] == '"' {
					e := scanQuoted(s, k)
					if e < 0 {
						return nil, valueErr(header, "unterminated quoted auth-param")
					}
					val, k = s[k:e], e
				} else {
					e := k
					for e < len(s) && (isTokenChar(s[e]) || s[e] == '/' || s[e] == ':' || s[e] == '=') {
						e++
					}
					val, k = s[k:e], e
				}
				a.Params = append(a.Params, Param{Name: name, Value: val})
				i = skipWS(s, k)
				if i < len(s) && s[i] == ',' {
					n := skipWS(s, i+1)
					if startsAuthParam(s, n) {
						i = n
						continue
					}
					break
				}
				break
			}
		}
		out = append(out, a)
		if i < len(s) {
			if s[i] != ',' {
				return nil, valueErr(header, "unexpected "+strconv.QuoteRune(rune(s[i]))+" in auth value")
			}
			i = skipWS(s, i+1)
		}
	}
	if len(out) == 0 {
		return nil, valueErr(header, "empty value")
	}
	return out, nil
}

// startsAuthParam reports whether s[i:] starts with token SWS "=" SWS
// followed by a value (a token68 such as "YWxh==" has "=" then "=" or end).
func startsAuthParam(s string, i int) bool {
	j := scanToken(s, i)
	if j == i {
		return false
	}
	j = skipWS(s, j)
	if j >= len(s) || s[j] != '=' {
		return false
	}
	k := skipWS(s, j+1)
	return k < len(s) && s[k] != '=' && s[k] != ','
}

// ValueParams is a value followed by header parameters: the shape of Event,
// Subscription-State, Session-Expires, Replaces, Reason and similar headers.
type ValueParams struct {
	Value  string
	Params Params
}

func (v ValueParams) String() string {
	return string(appendParams([]byte(v.Value), v.Params))
}

// Param returns the unquoted value of a parameter, "" when absent.
func (v ValueParams) Param(name string) string {
	s, _ := v.Params.Get(name)
	return Unquote(s)
}

// ParseValueParams parses value *(SEMI generic-param).
func ParseValueParams(s, header string) (ValueParams, error) {
	v, i, err := parseValueParams(s, 0, header)
	if err == nil && skipWS(s, i) != len(s) {
		err = valueErr(header, "trailing characters")
	}
	return v, err
}

func parseValueParams(s string, i int, header string) (ValueParams, int, error) {
	var v ValueParams
	i = skipWS(s, i)
	j := i
	for j < len(s) && s[j] != ';' && s[j] != ',' && !isWSP(s[j]) {
		j++
	}
	if j == i {
		return v, i, valueErr(header, "empty value")
	}
	v.Value = s[i:j]
	p, j, err := parseHeaderParams(s, j, header)
	v.Params = p
	return v, j, err
}

func parseValueParamsList(s, header string) ([]ValueParams, error) {
	var out []ValueParams
	i := 0
	for {
		v, j, err := parseValueParams(s, i, header)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		j = skipWS(s, j)
		if j == len(s) {
			return out, nil
		}
		if s[j] != ',' {
			return nil, valueErr(header, "unexpected "+strconv.QuoteRune(rune(s[j])))
		}
		i = j + 1
	}
}

// RAck is the value of the RAck header (RFC 3262 §7.2).
type RAck struct {
	RSeq   uint32
	CSeq   uint32
	Method string
}

func (r RAck) String() string {
	return strconv.FormatUint(uint64(r.RSeq), 10) + " " + strconv.FormatUint(uint64(r.CSeq), 10) + " " + r.Method
}

// ParseRAck parses response-num LWS CSeq-num LWS Method.
func ParseRAck(s string) (RAck, error) {
	f := strings.Fields(s)
	if len(f) != 3 || !isToken(f[2]) {
		return RAck{}, valueErr(HeaderRAck, "want response-num cseq-num method")
	}
	a, ok1 := parseUint(f[0], 1<<32-1)
	b, ok2 := parseUint(f[1], 1<<32-1)
	if !ok1 || !ok2 {
		return RAck{}, valueErr(HeaderRAck, "invalid number")
	}
	return RAck{RSeq: uint32(a), CSeq: uint32(b), Method: f[2]}, nil
}

// dateLayout is rfc1123-date with the mandatory "GMT" (§20.17, §25.1).
const dateLayout = "Mon, 02 Jan 2006 15:04:05 GMT"

// ParseDate parses a SIP-date; zones other than GMT are errors.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(dateLayout, trimWS(s))
	if err != nil {
		return time.Time{}, valueErr(HeaderDate, "not an rfc1123 GMT date")
	}
	return t, nil
}

// FormatDate formats t as a SIP-date.
func FormatDate(t time.Time) string { return t.UTC().Format(dateLayout) }

// parseTokenList parses a comma-separated list of tokens (Allow, Supported,
// Require, Unsupported, Allow-Events, ...). An empty value is an empty list.
func parseTokenList(s, header string) ([]string, error) {
	if trimWS(s) == "" {
		return nil, nil
	}
	parts := splitList(s)
	for _, p := range parts {
		if !isToken(p) {
			return nil, valueErr(header, "invalid token "+strconv.Quote(p))
		}
	}
	return parts, nil
}

// parseDelta parses delta-seconds; values over 2**32-1 are clamped
// (§20.19: treat overlarge values as the maximum).
func parseDelta(s, header string) (int, error) {
	s = trimWS(s)
	if s == "" || len(s) > 200 {
		return 0, valueErr(header, "missing or overlong delta-seconds")
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, valueErr(header, "invalid delta-seconds")
		}
	}
	n, ok := parseUint(s, 1<<32-1)
	if !ok {
		return 1<<32 - 1, nil
	}
	return int(n), nil
}
