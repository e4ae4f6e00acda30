package sip

import (
	"slices"
	"strconv"
	"strings"
)

// URI is a SIP or SIPS URI (RFC 3261 §19.1), a tel URI (RFC 3966) or an
// absolute URI of any other scheme, kept opaque.
//
// All string fields hold wire text: %HH escapes stay escaped (use Unescape
// to decode). Host keeps the brackets of an IPv6 reference ("[2001:db8::1]").
//
// For tel URIs, User holds the telephone-subscriber number ("+1-201-555-0123"
// or a local number) and Params the tel parameters; Host is empty.
// For other schemes only Scheme and Opaque are set.
type URI struct {
	Scheme   string // as written; compare with strings.EqualFold
	User     string // user part (sip/sips), number (tel)
	Password string // sip/sips only
	Host     string // hostname, IPv4 address or "[IPv6]"
	Port     int    // 0 when absent
	Params   Params // uri-parameters, ordered
	Headers  Params // "?name=value&..." header components, ordered
	Opaque   string // everything after "scheme:" for other schemes
}

// IsSIP reports whether the scheme is sip or sips.
func (u URI) IsSIP() bool {
	return strings.EqualFold(u.Scheme, "sip") || strings.EqualFold(u.Scheme, "sips")
}

// IsSIPS reports whether the scheme is sips.
func (u URI) IsSIPS() bool { return strings.EqualFold(u.Scheme, "sips") }

// IsTel reports whether the scheme is tel.
func (u URI) IsTel() bool { return strings.EqualFold(u.Scheme, "tel") }

// IsZero reports whether u is the zero URI.
func (u URI) IsZero() bool { return u.Scheme == "" && u.Host == "" && u.Opaque == "" && u.User == "" }

// HostPort returns host[:port].
func (u URI) HostPort() string {
	if u.Port == 0 {
		return u.Host
	}
	return u.Host + ":" + strconv.Itoa(u.Port)
}

// Hostname returns Host without the brackets of an IPv6 reference.
func (u URI) Hostname() string { return unbracket(u.Host) }

func unbracket(h string) string {
	if len(h) >= 2 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}

// Param returns the value of a uri-parameter.
func (u URI) Param(name string) (string, bool) { return u.Params.Get(name) }

// Clone returns a deep copy.
func (u URI) Clone() URI {
	u.Params = u.Params.Clone()
	u.Headers = u.Headers.Clone()
	return u
}

// ParseURI parses a SIP/SIPS URI (RFC 3261 §19.1.1, §25.1), a tel URI
// (RFC 3966 §3) or any other absoluteURI, which is kept opaque.
func ParseURI(s string) (URI, error) {
	var u URI
	err := u.parse(s)
	return u, err
}

// parse fills the zero URI u from s.
func (u *URI) parse(s string) error {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.') {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != ':' || !isAlpha(s[0]) {
		return perr(ErrURI, "missing or invalid scheme in "+strconv.Quote(s))
	}
	u.Scheme = s[:i]
	rest := s[i+1:]
	switch {
	case strings.EqualFold(u.Scheme, "sip"), strings.EqualFold(u.Scheme, "sips"):
		return u.parseSIP(rest)
	case strings.EqualFold(u.Scheme, "tel"):
		return u.parseTel(rest)
	}
	if rest == "" {
		return perr(ErrURI, "empty "+u.Scheme+" uri")
	}
	for j := 0; j < len(rest); j++ {
		c := rest[j]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return perr(ErrURI, "invalid character in "+u.Scheme+" uri")
		}
	}
	u.Opaque = rest
	return nil
}

// checkEscapes verifies that every '%' in s starts a %HH escape.
func checkEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func allChars(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '%' && !ok(c) {
			return false
		}
	}
	return true
}

func (u *URI) parseSIP(s string) error {
	// userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
	if at := strings.IndexByte(s, '@'); at >= 0 {
		ui := s[:at]
		user, pass, hasPass := strings.Cut(ui, ":")
		if user == "" {
			return perr(ErrURI, "empty user part")
		}
		if !allChars(user, isUserChar) || !checkEscapes(user) {
			return perr(ErrURI, "invalid character in user part")
		}
		if hasPass && (!allChars(pass, isPasswordChar) || !checkEscapes(pass)) {
			return perr(ErrURI, "invalid character in password")
		}
		u.User, u.Password = user, pass
		s = s[at+1:]
	}
	// hostport = host [ ":" port ]
	i := 0
	if i < len(s) && s[0] == '[' {
		e := strings.IndexByte(s, ']')
		if e < 0 || !validIPv6(s[1:e]) {
			return perr(ErrURI, "malformed IPv6 reference")
		}
		i = e + 1
	} else {
		for i < len(s) && isHostChar(s[i]) {
			i++
		}
	}
	if i == 0 {
		return perr(ErrURI, "missing host")
	}
	u.Host = s[:i]
	if i < len(s) && s[i] == ':' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		p, ok := parseUint(s[i+1:j], 65535)
		if !ok {
			return perr(ErrURI, "invalid port")
		}
		u.Port = int(p)
		i = j
	}
	// uri-parameters = *( ";" uri-parameter )
	for i < len(s) && s[i] == ';' {
		j := i + 1
		for j < len(s) && (isParamChar(s[j]) || s[j] == '%') {
			j++
		}
		name := s[i+1 : j]
		if name == "" {
			return perr(ErrURI, "empty uri parameter")
		}
		value := ""
		if j < len(s) && s[j] == '=' {
			k := j + 1
			for k < len(s) && (isParamChar(s[k]) || s[k] == '%') {
				k++
			}
			value = s[j+1 : k]
			if value == "" {
				return perr(ErrURI, "empty value for uri parameter "+name)
			}
			j = k
		}
		if !checkEscapes(name) || !checkEscapes(value) {
			return perr(ErrURI, "bad escape in uri parameter")
		}
		u.Params = append(u.Params, Param{Name: name, Value: value})
		i = j
	}
	// headers = "?" header *( "&" header ); header = hname "=" hvalue
	if i < len(s) && s[i] == '?' {
		for i < len(s) && (s[i] == '?' || s[i] == '&') {
			j := i + 1
			for j < len(s) && (isHeaderChar(s[j]) || s[j] == '%') {
				j++
			}
			name := s[i+1 : j]
			if name == "" || j >= len(s) || s[j] != '=' {
				return perr(ErrURI, "malformed uri header")
			}
			k := j + 1
			for k < len(s) && (isHeaderChar(s[k]) || s[k] == '%') {
				k++
			}
			value := s[j+1 : k]
			if !checkEscapes(name) || !checkEscapes(value) {
				return perr(ErrURI, "bad escape in uri header")
			}
			u.Headers = append(u.Headers, Param{Name: name, Value: value})
			i = k
		}
	}
	if i != len(s) {
		return perr(ErrURI, "unexpected "+strconv.QuoteRune(rune(s[i]))+" in sip uri")
	}
	return nil
}

func validIPv6(s string) bool {
	if len(s) < 2 {
		return false
	}
	colons := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			colons++
		case isHex(c), c == '.':
		default:
			return false
		}
	}
	return colons >= 2
}

// parseTel parses telephone-subscriber *par (RFC 3966 §3).
func (u *URI) parseTel(s string) error {
	i := 0
	for i < len(s) && s[i] != ';' {
		c := s[i]
		// phonedigit-hex = HEXDIG / "*" / "#" / visual-separator; "+" leads a global number.
		if !(isHex(c) || c == '*' || c == '#' || c == '-' || c == '.' || c == '(' || c == ')' || (c == '+' && i == 0)) {
			return perr(ErrURI, "invalid character in telephone number")
		}
		i++
	}
	num := s[:i]
	if num == "" || num == "+" {
		return perr(ErrURI, "empty telephone number")
	}
	if num[0] == '+' {
		digits := false
		for j := 1; j < len(num); j++ {
			if isDigit(num[j]) {
				digits = true
			} else if !(num[j] == '-' || num[j] == '.' || num[j] == '(' || num[j] == ')') {
				return perr(ErrURI, "invalid character in global number")
			}
		}
		if !digits {
			return perr(ErrURI, "global number without digits")
		}
	}
	u.User = num
	for i < len(s) && s[i] == ';' {
		j := i + 1
		for j < len(s) && (isAlnum(s[j]) || s[j] == '-') {
			j++
		}
		name := s[i+1 : j]
		if name == "" {
			return perr(ErrURI, "empty tel parameter")
		}
		value := ""
		if j < len(s) && s[j] == '=' {
			k := j + 1
			for k < len(s) && (isParamChar(s[k]) || s[k] == '%' || s[k] == '?' || s[k] == '=' || s[k] == ',') {
				k++
			}
			value = s[j+1 : k]
			if value == "" || !checkEscapes(value) {
				return perr(ErrURI, "bad value for tel parameter "+name)
			}
			j = k
		}
		u.Params = append(u.Params, Param{Name: name, Value: value})
		i = j
	}
	if i != len(s) {
		return perr(ErrURI, "unexpected character in tel uri")
	}
	return nil
}

// String returns the URI in wire form.
func (u URI) String() string { return string(u.AppendTo(make([]byte, 0, 48))) }

// AppendTo appends the wire form of u to b.
func (u URI) AppendTo(b []byte) []byte {
	b = append(b, u.Scheme...)
	b = append(b, ':')
	switch {
	case u.IsSIP():
		if u.User != "" {
			b = append(b, u.User...)
			if u.Password != "" {
				b = append(b, ':')
				b = append(b, u.Password...)
			}
			b = append(b, '@')
		}
		b = append(b, u.Host...)
		if u.Port != 0 {
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(u.Port), 10)
		}
		b = appendParams(b, u.Params)
		for i, h := range u.Headers {
			if i == 0 {
				b = append(b, '?')
			} else {
				b = append(b, '&')
			}
			b = append(b, h.Name...)
			b = append(b, '=')
			b = append(b, h.Value...)
		}
	case u.IsTel():
		b = append(b, u.User...)
		b = appendParams(b, u.Params)
	default:
		b = append(b, u.Opaque...)
	}
	return b
}

// Unescape decodes %HH escapes; malformed escapes are kept literally.
func Unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

// EscapeUser escapes s for use as the user part of a SIP URI: everything
// but unreserved and user-unreserved characters becomes %HH (§19.1.2).
func EscapeUser(s string) string { return escape(s, isUserChar) }

// EscapeParam escapes s for use as a uri-parameter name or value.
func EscapeParam(s string) string { return escape(s, isParamChar) }

func escape(s string, ok func(byte) bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexd = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ok(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexd[c>>4], hexd[c&15])
		}
	}
	return string(b)
}

// Equal compares two URIs per RFC 3261 §19.1.4 (SIP/SIPS), RFC 3966 §4
// (tel) or, for other schemes, by case-insensitive scheme and exact opaque
// part after unescaping.
func (u URI) Equal(v URI) bool {
	if !strings.EqualFold(u.Scheme, v.Scheme) {
		return false // sip never equals sips (§19.1.4)
	}
	switch {
	case u.IsSIP():
		return sipEqual(u, v)
	case u.IsTel():
		return telEqual(u, v)
	}
	return Unescape(u.Opaque) == Unescape(v.Opaque)
}

func sipEqual(u, v URI) bool {
	// Userinfo is case-sensitive after unescaping; host is case-insensitive;
	// an explicit port never equals an absent one.
	if Unescape(u.User) != Unescape(v.User) || Unescape(u.Password) != Unescape(v.Password) {
		return false
	}
	if !strings.EqualFold(u.Host, v.Host) || u.Port != v.Port {
		return false
	}
	// uri-parameters: any parameter in both must match; user, ttl, method,
	// maddr (and transport, see the examples of §19.1.4) in only one never
	// match; all others in only one are ignored.
	if !paramsMatch(u.Params, v.Params) || !paramsMatch(v.Params, u.Params) {
		return false
	}
	// Header components are never ignored: both sets must be equal.
	if len(u.Headers) != len(v.Headers) {
		return false
	}
	for _, h := range u.Headers {
		found := false
		for _, g := range v.Headers {
			if strings.EqualFold(Unescape(h.Name), Unescape(g.Name)) && Unescape(h.Value) == Unescape(g.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func paramsMatch(a, b Params) bool {
	for i, p := range a {
		name := Unescape(p.Name)
		if slices.ContainsFunc(a[:i], func(q Param) bool { return strings.EqualFold(name, Unescape(q.Name)) }) {
			continue // a repeated parameter: only its first occurrence counts
		}
		var other string
		found := false
		for _, q := range b {
			if strings.EqualFold(name, Unescape(q.Name)) {
				other, found = q.Value, true
				break
			}
		}
		if !found {
			switch strings.ToLower(name) {
			case "user", "ttl", "method", "maddr", "transport":
				return false
			}
			continue
		}
		if !strings.EqualFold(Unescape(p.Value), Unescape(other)) {
			return false
		}
	}
	return true
}

// telEqual implements RFC 3966 §4: same number (visual separators ignored,
// hex digits case-insensitive), and the same parameters in any order.
func telEqual(u, v URI) bool {
	if !strings.EqualFold(stripVisual(u.User), stripVisual(v.User)) {
		return false
	}
	return telParamsIn(u.Params, v.Params) && telParamsIn(v.Params, u.Params)
}

// telParamsIn reports whether every parameter of a (first occurrence of
// each name) is in b with an equal value.
func telParamsIn(a, b Params) bool {
	for i, p := range a {
		if slices.ContainsFunc(a[:i], func(q Param) bool { return strings.EqualFold(p.Name, q.Name) }) {
			continue
		}
		q, ok := b.Get(p.Name)
		if !ok {
			return false
		}
		x, y := Unescape(p.Value), Unescape(q)
		if strings.EqualFold(p.Name, "phone-context") {
			x, y = stripVisual(x), stripVisual(y)
		}
		if !strings.EqualFold(x, y) {
			return false
		}
	}
	return true
}

func stripVisual(s string) string {
	if !strings.ContainsAny(s, "-.()") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '-', '.', '(', ')':
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}
