package sip

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Message is a SIP request or response (RFC 3261 §7). The concrete types are
// *Request and *Response; the set is closed.
type Message interface {
	// StartLine returns the request line or status line without CRLF.
	StartLine() string
	IsRequest() bool

	Body() []byte
	SetBody(b []byte)
	SetContent(contentType string, body []byte)

	Headers() []Header
	Header(name string) string
	HeaderValues(name string) []string
	HasHeader(name string) bool
	AddHeader(name, value string)
	PrependHeader(name, value string)
	SetHeader(name, value string)
	RemoveHeader(name string) int

	TopVia() (Via, error)
	Vias() ([]Via, error)
	SetTopVia(v Via)
	PrependVia(v Via)
	RemoveTopVia() (Via, error)
	StampVia(srcIP string, srcPort int) error
	From() (Address, error)
	To() (Address, error)
	SetFrom(a Address)
	SetTo(a Address)
	FromTag() string
	ToTag() string
	SetToTag(tag string) error
	CallID() string
	SetCallID(id string)
	CSeq() (CSeq, error)
	SetCSeq(c CSeq)
	MaxForwards() (int, error)
	SetMaxForwards(n int)
	Contacts() ([]Address, error)
	SetContacts(as ...Address)
	Routes() ([]Address, error)
	RecordRoutes() ([]Address, error)
	ContentType() (MediaType, error)
	ContentLength() (int, error)
	Expires() (int, error)
	SetExpires(seconds int)

	AppendTo(b []byte) []byte
	String() string
	WriteTo(w io.Writer) (int64, error)

	base() *message
}

// message holds what requests and responses share: the ordered header list
// and the body. Its methods are promoted to *Request and *Response.
// Copying a message by value shares its header list; use Clone.
type message struct {
	hdrs []Header
	body []byte
}

func (m *message) base() *message { return m }

func (m *message) initHeaders() {
	if m.hdrs == nil {
		m.hdrs = make([]Header, 0, 12)
	}
}

func (m *message) cloneFrom(o *message) {
	m.hdrs = slices.Clone(o.hdrs)
	if o.body != nil {
		m.body = slices.Clone(o.body)
	}
}

func (m *message) compactFrom(o *message) {
	n := 0
	for _, h := range o.hdrs {
		n += len(h.Name) + len(h.Value)
	}
	var b strings.Builder
	b.Grow(n)
	for _, h := range o.hdrs {
		b.WriteString(h.Name)
		b.WriteString(h.Value)
	}
	text := b.String()
	m.hdrs = make([]Header, len(o.hdrs))
	for i, h := range o.hdrs {
		name := text[:len(h.Name)]
		text = text[len(h.Name):]
		m.hdrs[i] = Header{Name: name, Value: text[:len(h.Value)], kind: h.kind}
		text = text[len(h.Value):]
	}
	if o.body != nil {
		m.body = slices.Clone(o.body)
	}
}

// Body returns the message body (not a copy).
func (m *message) Body() []byte { return m.body }

// SetBody replaces the body. Content-Length is computed when the message is
// serialized; Content-Type is left alone (see SetContent).
func (m *message) SetBody(b []byte) { m.body = b }

// SetContent sets the body and its Content-Type; an empty contentType
// removes Content-Type.
func (m *message) SetContent(contentType string, body []byte) {
	m.body = body
	if contentType == "" {
		m.RemoveHeader(HeaderContentType)
		return
	}
	m.SetHeader(HeaderContentType, contentType)
}

// Headers returns a copy of the header list in order.
func (m *message) Headers() []Header { return slices.Clone(m.hdrs) }

type matcher struct {
	k    hkind
	name string
}

func newMatcher(name string) matcher { return matcher{lookupHeader(name), name} }

func (x matcher) match(h *Header) bool {
	if x.k != hUnknown {
		return h.kind == x.k
	}
	return h.kind == hUnknown && strings.EqualFold(h.Name, x.name)
}

func (m *message) index(k hkind) int {
	for i := range m.hdrs {
		if m.hdrs[i].kind == k {
			return i
		}
	}
	return -1
}

func (m *message) first(k hkind) (string, bool) {
	for i := range m.hdrs {
		if m.hdrs[i].kind == k {
			return m.hdrs[i].Value, true
		}
	}
	return "", false
}

func (m *message) count(k hkind) int {
	n := 0
	for i := range m.hdrs {
		if m.hdrs[i].kind == k {
			n++
		}
	}
	return n
}

// Header returns the value of the first header called name (any case,
// compact form accepted), "" when absent.
func (m *message) Header(name string) string {
	x := newMatcher(name)
	for i := range m.hdrs {
		if x.match(&m.hdrs[i]) {
			return m.hdrs[i].Value
		}
	}
	return ""
}

// HeaderValues returns the values of every header called name, in order,
// one element per header line (comma-separated values are not split).
func (m *message) HeaderValues(name string) []string {
	x := newMatcher(name)
	var out []string
	for i := range m.hdrs {
		if x.match(&m.hdrs[i]) {
			out = append(out, m.hdrs[i].Value)
		}
	}
	return out
}

// HasHeader reports whether a header called name is present.
func (m *message) HasHeader(name string) bool {
	x := newMatcher(name)
	for i := range m.hdrs {
		if x.match(&m.hdrs[i]) {
			return true
		}
	}
	return false
}

// newOutHeader builds a header we send: registered names are written in
// their canonical full form, CR and LF in the value become spaces.
func newOutHeader(name, value string) Header {
	k := lookupHeader(name)
	if k != hUnknown {
		name = k.canonicalName()
	}
	if strings.ContainsAny(value, "\r\n") {
		value = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(value)
	}
	return Header{Name: name, Value: trimWS(value), kind: k}
}

// AddHeader appends a header at the end of the list.
func (m *message) AddHeader(name, value string) {
	m.initHeaders()
	m.hdrs = append(m.hdrs, newOutHeader(name, value))
}

// PrependHeader inserts a header at the top of the list.
func (m *message) PrependHeader(name, value string) {
	m.initHeaders()
	m.hdrs = slices.Insert(m.hdrs, 0, newOutHeader(name, value))
}

// SetHeader replaces every header called name with one header carrying
// value, at the position of the first; it appends when there is none.
func (m *message) SetHeader(name, value string) {
	m.initHeaders()
	h := newOutHeader(name, value)
	x := matcher{h.kind, name}
	for i := range m.hdrs {
		if x.match(&m.hdrs[i]) {
			m.hdrs[i] = h
			m.hdrs = append(m.hdrs[:i+1], slices.DeleteFunc(m.hdrs[i+1:], func(h Header) bool { return x.match(&h) })...)
			return
		}
	}
	m.hdrs = append(m.hdrs, h)
}

// RemoveHeader removes every header called name and returns how many.
func (m *message) RemoveHeader(name string) int {
	x := newMatcher(name)
	n := len(m.hdrs)
	m.hdrs = slices.DeleteFunc(m.hdrs, func(h Header) bool { return x.match(&h) })
	return n - len(m.hdrs)
}

// setList replaces all headers of kind k with one header per value, at
// the position of the first such header (or at the end).
func (m *message) setList(k hkind, values []string) {
	m.initHeaders()
	pos := m.index(k)
	m.hdrs = slices.DeleteFunc(m.hdrs, func(h Header) bool { return h.kind == k })
	if pos < 0 || pos > len(m.hdrs) {
		pos = len(m.hdrs)
	}
	add := make([]Header, len(values))
	for i, v := range values {
		add[i] = newOutHeader(k.canonicalName(), v)
	}
	m.hdrs = slices.Insert(m.hdrs, pos, add...)
}

// ---- Via (§20.42, §18.2.1, RFC 3581) ----

// TopVia returns the first via-parm of the first Via header.
func (m *message) TopVia() (Via, error) {
	s, ok := m.first(hVia)
	if !ok {
		return Via{}, &ParseError{Err: ErrNoHeader, Header: HeaderVia}
	}
	v, i, err := parseVia(s, 0)
	if err == nil {
		if i = skipWS(s, i); i < len(s) && s[i] != ',' {
			err = valueErr(HeaderVia, "unexpected "+strconv.QuoteRune(rune(s[i]))+" in via")
		}
	}
	return v, err
}

// Vias returns every via-parm of every Via header, top first.
func (m *message) Vias() ([]Via, error) {
	var out []Via
	var err error
	for i := range m.hdrs {
		if m.hdrs[i].kind == hVia {
			if out, err = parseViaList(out, m.hdrs[i].Value); err != nil {
				return nil, err
			}
		}
	}
	if out == nil {
		return nil, &ParseError{Err: ErrNoHeader, Header: HeaderVia}
	}
	return out, nil
}

// splitTopVia returns the index of the first Via header and the text of
// the via-parms after its first one ("" when it holds only one).
func (m *message) splitTopVia() (int, string, error) {
	i := m.index(hVia)
	if i < 0 {
		return -1, "", &ParseError{Err: ErrNoHeader, Header: HeaderVia}
	}
	s := m.hdrs[i].Value
	_, j, err := parseVia(s, 0)
	if err != nil {
		return i, "", err
	}
	j = skipWS(s, j)
	if j < len(s) && s[j] == ',' {
		return i, trimWS(s[j+1:]), nil
	}
	return i, "", nil
}

// SetTopVia replaces the top via-parm (splitting a comma-joined Via header
// if needed) or adds a Via header when there is none.
func (m *message) SetTopVia(v Via) {
	i, rest, err := m.splitTopVia()
	if i < 0 {
		m.PrependVia(v)
		return
	}
	m.hdrs[i] = newOutHeader(HeaderVia, v.String())
	if err == nil && rest != "" {
		m.hdrs = slices.Insert(m.hdrs, i+1, newOutHeader(HeaderVia, rest))
	}
}

// PrependVia adds v as the new top Via (before the first Via header, or at
// the top of the message when there is none), as §8.1.1.7 and §16.6 do.
func (m *message) PrependVia(v Via) {
	m.initHeaders()
	i := m.index(hVia)
	if i < 0 {
		i = 0
	}
	m.hdrs = slices.Insert(m.hdrs, i, newOutHeader(HeaderVia, v.String()))
}

// RemoveTopVia removes and returns the top via-parm (§18.1.2: a client
// transport removes its own Via from responses).
func (m *message) RemoveTopVia() (Via, error) {
	v, err := m.TopVia()
	if err != nil {
		return v, err
	}
	i, rest, _ := m.splitTopVia()
	if rest != "" {
		m.hdrs[i].Value = rest
	} else {
		m.hdrs = slices.Delete(m.hdrs, i, i+1)
	}
	return v, nil
}

// StampVia applies §18.2.1 and RFC 3581 §4 on a received request: it adds
// received=srcIP when the top Via's sent-by host differs from the packet's
// source address (or when rport is present), and fills a bare rport with
// srcPort.
func (m *message) StampVia(srcIP string, srcPort int) error {
	v, err := m.TopVia()
	if err != nil {
		return err
	}
	_, rport := v.RPort()
	if unbracket(v.Host) != unbracket(srcIP) || rport {
		v.SetReceived(unbracket(srcIP))
	}
	if rport {
		v.SetRPort(srcPort)
	}
	m.SetTopVia(v)
	return nil
}

// ---- From, To, Call-ID, CSeq (§20.20, §20.39, §20.8, §20.16) ----

func (m *message) addr(k hkind) (Address, error) {
	s, ok := m.first(k)
	if !ok {
		return Address{}, &ParseError{Err: ErrNoHeader, Header: k.canonicalName()}
	}
	return parseOneAddr(s, k.canonicalName())
}

func (m *message) addrs(k hkind, wildcard bool) ([]Address, error) {
	var out []Address
	var err error
	for i := range m.hdrs {
		if m.hdrs[i].kind == k {
			if out, err = parseAddrList(out, m.hdrs[i].Value, k.canonicalName(), wildcard); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (m *message) setAddrs(k hkind, as []Address) {
	vals := make([]string, len(as))
	for i, a := range as {
		vals[i] = a.String()
	}
	m.setList(k, vals)
}

// From returns the From address.
func (m *message) From() (Address, error) { return m.addr(hFrom) }

// To returns the To address.
func (m *message) To() (Address, error) { return m.addr(hTo) }

// SetFrom replaces From.
func (m *message) SetFrom(a Address) { m.SetHeader(HeaderFrom, a.String()) }

// SetTo replaces To.
func (m *message) SetTo(a Address) { m.SetHeader(HeaderTo, a.String()) }

// FromTag returns the From tag, "" when absent. It does not validate the
// rest of the header (use From for that) and does not allocate.
func (m *message) FromTag() string { return m.tag(hFrom) }

// ToTag returns the To tag, "" when absent, like FromTag.
func (m *message) ToTag() string { return m.tag(hTo) }

func (m *message) tag(k hkind) string {
	s, ok := m.first(k)
	if !ok {
		return ""
	}
	t, _ := addrParam(s, "tag")
	return t
}

// SetToTag sets the tag parameter of To (§8.2.6.2), keeping the rest.
func (m *message) SetToTag(tag string) error {
	a, err := m.To()
	if err != nil {
		return err
	}
	m.SetTo(a.WithTag(tag))
	return nil
}

// CallID returns the Call-ID, "" when absent.
func (m *message) CallID() string { s, _ := m.first(hCallID); return s }

// SetCallID replaces Call-ID.
func (m *message) SetCallID(id string) { m.SetHeader(HeaderCallID, id) }

// CSeq returns the CSeq.
func (m *message) CSeq() (CSeq, error) {
	s, ok := m.first(hCSeq)
	if !ok {
		return CSeq{}, &ParseError{Err: ErrNoHeader, Header: HeaderCSeq}
	}
	return ParseCSeq(s)
}

// SetCSeq replaces CSeq.
func (m *message) SetCSeq(c CSeq) { m.SetHeader(HeaderCSeq, c.String()) }

// ---- Contact, Route, Record-Route (§20.10, §20.34, §20.30) ----

// Contacts returns every Contact address; a wildcard "*" is returned as an
// Address with Wildcard set. An absent Contact yields an empty list.
func (m *message) Contacts() ([]Address, error) { return m.addrs(hContact, true) }

// SetContacts replaces Contact with one header per address.
func (m *message) SetContacts(as ...Address) { m.setAddrs(hContact, as) }

// Routes returns the Route set in order.
func (m *message) Routes() ([]Address, error) { return m.addrs(hRoute, false) }

// SetRoutes replaces Route with one header per address (none removes it).
func (m *message) SetRoutes(as []Address) { m.setAddrs(hRoute, as) }

// RecordRoutes returns the Record-Route list in order.
func (m *message) RecordRoutes() ([]Address, error) { return m.addrs(hRecordRoute, false) }

// SetRecordRoutes replaces Record-Route with one header per address.
func (m *message) SetRecordRoutes(as []Address) { m.setAddrs(hRecordRoute, as) }

// PAssertedIdentity returns the P-Asserted-Identity list (RFC 3325).
func (m *message) PAssertedIdentity() ([]Address, error) { return m.addrs(hPAssertedIdentity, false) }

// ReferTo returns the Refer-To address (RFC 3515).
func (m *message) ReferTo() (Address, error) { return m.addr(hReferTo) }

// ReferredBy returns the Referred-By address (RFC 3892).
func (m *message) ReferredBy() (Address, error) { return m.addr(hReferredBy) }

// ---- numbers ----

func (m *message) delta(k hkind) (int, error) {
	s, ok := m.first(k)
	if !ok {
		return 0, &ParseError{Err: ErrNoHeader, Header: k.canonicalName()}
	}
	return parseDelta(s, k.canonicalName())
}

// MaxForwards returns Max-Forwards (§20.22), 0..255.
func (m *message) MaxForwards() (int, error) {
	s, ok := m.first(hMaxForwards)
	if !ok {
		return 0, &ParseError{Err: ErrNoHeader, Header: HeaderMaxForwards}
	}
	n, ok := parseUint(trimWS(s), 255)
	if !ok {
		return 0, valueErr(HeaderMaxForwards, "not a number in 0..255")
	}
	return int(n), nil
}

// SetMaxForwards replaces Max-Forwards.
func (m *message) SetMaxForwards(n int) { m.SetHeader(HeaderMaxForwards, strconv.Itoa(n)) }

// ContentLength returns the Content-Length header value (§20.14). The
// serializer always writes len(Body()) instead.
func (m *message) ContentLength() (int, error) {
	s, ok := m.first(hContentLength)
	if !ok {
		return 0, &ParseError{Err: ErrNoHeader, Header: HeaderContentLength}
	}
	n, ok := parseUint(trimWS(s), 1<<31-1)
	if !ok {
		return 0, valueErr(HeaderContentLength, "not a number")
	}
	return int(n), nil
}

// Expires returns Expires in seconds (§20.19).
func (m *message) Expires() (int, error) { return m.delta(hExpires) }

// SetExpires replaces Expires.
func (m *message) SetExpires(seconds int) { m.SetHeader(HeaderExpires, strconv.Itoa(seconds)) }

// MinExpires returns Min-Expires in seconds (§20.23).
func (m *message) MinExpires() (int, error) { return m.delta(hMinExpires) }

// RSeq returns RSeq (RFC 3262 §7.1).
func (m *message) RSeq() (uint32, error) {
	s, ok := m.first(hRSeq)
	if !ok {
		return 0, &ParseError{Err: ErrNoHeader, Header: HeaderRSeq}
	}
	n, ok := parseUint(trimWS(s), 1<<32-1)
	if !ok {
		return 0, valueErr(HeaderRSeq, "not a number")
	}
	return uint32(n), nil
}

// RAck returns RAck (RFC 3262 §7.2).
func (m *message) RAck() (RAck, error) {
	s, ok := m.first(hRAck)
	if !ok {
		return RAck{}, &ParseError{Err: ErrNoHeader, Header: HeaderRAck}
	}
	return ParseRAck(s)
}

// ---- content (§20.15, §20.1) ----

// ContentType returns Content-Type.
func (m *message) ContentType() (MediaType, error) {
	s, ok := m.first(hContentType)
	if !ok {
		return MediaType{}, &ParseError{Err: ErrNoHeader, Header: HeaderContentType}
	}
	return ParseMediaType(s)
}

// Accept returns the Accept list; a present but empty Accept yields an
// empty, non-nil list (§20.1).
func (m *message) Accept() ([]MediaType, error) {
	out := []MediaType{}
	found := false
	for i := range m.hdrs {
		if m.hdrs[i].kind != hAccept {
			continue
		}
		found = true
		if trimWS(m.hdrs[i].Value) == "" {
			continue
		}
		for _, part := range splitList(m.hdrs[i].Value) {
			mt, err := ParseMediaType(part)
			if err != nil {
				return nil, valueErr(HeaderAccept, "invalid media range "+strconv.Quote(part))
			}
			out = append(out, mt)
		}
	}
	if !found {
		return nil, &ParseError{Err: ErrNoHeader, Header: HeaderAccept}
	}
	return out, nil
}

// ---- token lists (§20.5, §20.37, §20.32, §20.29, §20.40; RFC 6665) ----

func (m *message) tokens(k hkind) ([]string, error) {
	var out []string
	for i := range m.hdrs {
		if m.hdrs[i].kind == k {
			t, err := parseTokenList(m.hdrs[i].Value, k.canonicalName())
			if err != nil {
				return nil, err
			}
			out = append(out, t...)
		}
	}
	return out, nil
}

// Allow returns the Allow methods.
func (m *message) Allow() ([]string, error) { return m.tokens(hAllow) }

// Supported returns the Supported option tags.
func (m *message) Supported() ([]string, error) { return m.tokens(hSupported) }

// Require returns the Require option tags.
func (m *message) Require() ([]string, error) { return m.tokens(hRequire) }

// ProxyRequire returns the Proxy-Require option tags.
func (m *message) ProxyRequire() ([]string, error) { return m.tokens(hProxyRequire) }

// Unsupported returns the Unsupported option tags.
func (m *message) Unsupported() ([]string, error) { return m.tokens(hUnsupported) }

// AllowEvents returns the Allow-Events event packages (RFC 6665 §8.2.2).
func (m *message) AllowEvents() ([]string, error) { return m.tokens(hAllowEvents) }

// ---- authentication (§20.7, §20.27, §20.28, §20.44) ----

func (m *message) auths(k hkind) ([]Auth, error) {
	var out []Auth
	for i := range m.hdrs {
		if m.hdrs[i].kind == k {
			a, err := ParseAuth(m.hdrs[i].Value, k.canonicalName())
			if err != nil {
				return nil, err
			}
			out = append(out, a...)
		}
	}
	return out, nil
}

// Authorization returns the Authorization credentials.
func (m *message) Authorization() ([]Auth, error) { return m.auths(hAuthorization) }

// ProxyAuthorization returns the Proxy-Authorization credentials.
func (m *message) ProxyAuthorization() ([]Auth, error) { return m.auths(hProxyAuthorization) }

// WWWAuthenticate returns the WWW-Authenticate challenges.
func (m *message) WWWAuthenticate() ([]Auth, error) { return m.auths(hWWWAuthenticate) }

// ProxyAuthenticate returns the Proxy-Authenticate challenges.
func (m *message) ProxyAuthenticate() ([]Auth, error) { return m.auths(hProxyAuthenticate) }

// ---- value-with-params headers ----

func (m *message) valueParams(k hkind) (ValueParams, error) {
	s, ok := m.first(k)
	if !ok {
		return ValueParams{}, &ParseError{Err: ErrNoHeader, Header: k.canonicalName()}
	}
	return ParseValueParams(s, k.canonicalName())
}

// Event returns Event: the event package and its parameters (RFC 6665 §8.2.1).
func (m *message) Event() (ValueParams, error) { return m.valueParams(hEvent) }

// SubscriptionState returns Subscription-State (RFC 6665 §8.2.3).
func (m *message) SubscriptionState() (ValueParams, error) {
	return m.valueParams(hSubscriptionState)
}

// Replaces returns Replaces: the Call-ID and its to-tag/from-tag/early-only
// parameters (RFC 3891 §6.1).
func (m *message) Replaces() (ValueParams, error) { return m.valueParams(hReplaces) }

// SessionExpires returns Session-Expires: delta-seconds and parameters such
// as refresher (RFC 4028 §4).
func (m *message) SessionExpires() (ValueParams, error) {
	v, err := m.valueParams(hSessionExpires)
	if err == nil {
		if _, ok := parseUint(v.Value, 1<<32-1); !ok {
			return v, valueErr(HeaderSessionExpires, "invalid delta-seconds")
		}
	}
	return v, err
}

// Reasons returns the values of the Reason header (RFC 3326).
func (m *message) Reasons() ([]ValueParams, error) {
	var out []ValueParams
	for i := range m.hdrs {
		if m.hdrs[i].kind == hReason {
			v, err := parseValueParamsList(m.hdrs[i].Value, HeaderReason)
			if err != nil {
				return nil, err
			}
			out = append(out, v...)
		}
	}
	return out, nil
}

// ---- plain text ----

// UserAgent returns User-Agent (§20.41), "" when absent.
func (m *message) UserAgent() string { s, _ := m.first(hUserAgent); return s }

// Server returns Server (§20.35), "" when absent.
func (m *message) Server() string { s, _ := m.first(hServer); return s }

// Date returns Date (§20.17).
func (m *message) Date() (time.Time, error) {
	s, ok := m.first(hDate)
	if !ok {
		return time.Time{}, &ParseError{Err: ErrNoHeader, Header: HeaderDate}
	}
	return ParseDate(s)
}
