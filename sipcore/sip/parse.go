package sip

import (
	"bytes"
	"strconv"
	"strings"
)

// Limits bound what a parser accepts. A message over any limit is an
// ErrTooLarge error; nothing is allocated in proportion to a claimed size
// before the limit is checked. Zero fields take the defaults.
type Limits struct {
	MaxMessageSize int // whole message in bytes; default 65535
	MaxHeaders     int // header fields; default 256
	MaxLineLength  int // one physical line in bytes; default 8192
}

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{MaxMessageSize: 65535, MaxHeaders: 256, MaxLineLength: 8192}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = d.MaxMessageSize
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = d.MaxHeaders
	}
	if l.MaxLineLength <= 0 {
		l.MaxLineLength = d.MaxLineLength
	}
	return l
}

// Parser parses messages under its Limits. The zero Parser uses
// DefaultLimits. A Parser holds no state between calls and may be shared.
type Parser struct {
	Limits Limits
}

// Parse parses one datagram with default limits; see Parser.Parse.
func Parse(b []byte) (Message, error) { return Parser{}.Parse(b) }

// Parse parses one datagram (RFC 3261 §7, §18.3): the body is Content-Length
// octets, or everything after the empty line when Content-Length is absent;
// octets after the body are discarded (RFC 4475 §3.1.1.8). Leading CRLFs
// are ignored (§7.5). b is not retained.
func (p Parser) Parse(b []byte) (Message, error) { return p.parse(b, false) }

// ParseRequest parses a datagram that must hold a request.
func (p Parser) ParseRequest(b []byte) (*Request, error) {
	m, err := p.parse(b, false)
	if err != nil {
		return nil, err
	}
	if r, ok := m.(*Request); ok {
		return r, nil
	}
	return nil, &ParseError{Err: ErrStartLine, Line: 1, Detail: "not a request"}
}

// ParseResponse parses a datagram that must hold a response.
func (p Parser) ParseResponse(b []byte) (*Response, error) {
	m, err := p.parse(b, false)
	if err != nil {
		return nil, err
	}
	if r, ok := m.(*Response); ok {
		return r, nil
	}
	return nil, &ParseError{Err: ErrStartLine, Line: 1, Detail: "not a response"}
}

// parse parses one message. In stream mode Content-Length is mandatory and
// b must hold exactly the message (the Framer delimits it).
func (p Parser) parse(b []byte, stream bool) (Message, error) {
	lim := p.Limits.withDefaults()
	if len(b) > lim.MaxMessageSize {
		return nil, perr(ErrTooLarge, "message of "+strconv.Itoa(len(b))+" bytes")
	}
	// §7.5: CRLFs before the start line are ignored.
	for len(b) > 0 && (b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	if len(b) == 0 {
		return nil, &ParseError{Err: ErrStartLine, Line: 1, Detail: "empty message"}
	}
	// Pre-scan the octets: find the empty line ending the head (§7), note
	// where each line ends and count them, so the head is copied once and
	// the header list is allocated once at its final size.
	var ends [48]int32
	nLines, hdrEnd, bodyStart := 0, len(b), len(b)
	for pos := 0; pos < len(b); {
		end, next := len(b), len(b)
		if j := bytes.IndexByte(b[pos:], '\n'); j >= 0 {
			end, next = pos+j, pos+j+1
		}
		n := end - pos
		if n > 0 && b[end-1] == '\r' {
			n--
		}
		if n == 0 {
			hdrEnd, bodyStart = pos, next
			break
		}
		if n > lim.MaxLineLength {
			return nil, &ParseError{Err: ErrTooLarge, Line: nLines + 1, Detail: "line too long"}
		}
		if nLines < len(ends) {
			ends[nLines] = int32(end)
		}
		nLines++
		pos = next
	}
	s := string(b[:hdrEnd]) // the only copy of the head; every string below is a substring
	lineAt := func(i, pos int) (string, int) {
		end, next := len(s), len(s)
		if i < len(ends) {
			end = int(ends[i])
			if end < len(s) {
				next = end + 1
			}
		} else if j := strings.IndexByte(s[pos:], '\n'); j >= 0 {
			end, next = pos+j, pos+j+1
		}
		line := s[pos:end]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		return line, next
	}

	// Start line.
	line, pos := lineAt(0, 0)
	var msg Message
	var m *message
	if len(line) >= 4 && strings.EqualFold(line[:4], "SIP/") {
		r := &Response{}
		if err := r.parseStatusLine(line); err != nil {
			return nil, err
		}
		msg, m = r, &r.message
	} else {
		r := &Request{}
		if err := r.parseRequestLine(line); err != nil {
			return nil, err
		}
		msg, m = r, &r.message
	}
	m.hdrs = make([]Header, 0, min(nLines-1, lim.MaxHeaders))

	// Header fields (§7.3), unfolding continuation lines (§7.3.1).
	for i := 1; i < nLines; i++ {
		lineNo := i + 1
		line, pos = lineAt(i, pos)
		if isWSP(line[0]) {
			if len(m.hdrs) == 0 {
				return nil, &ParseError{Err: ErrHeader, Line: lineNo, Detail: "continuation line before any header"}
			}
			h := &m.hdrs[len(m.hdrs)-1]
			if c := trimWS(line); c != "" {
				if h.Value == "" {
					h.Value = c
				} else {
					h.Value = h.Value + " " + c
				}
			}
			if len(h.Name)+2+len(h.Value) > lim.MaxLineLength { // as we would write it
				return nil, &ParseError{Err: ErrTooLarge, Line: lineNo, Header: h.Name, Detail: "folded header too long"}
			}
			continue
		}
		// field-name = token, then HCOLON = *( SP / HTAB ) ":" SWS (§25.1).
		j := 0
		for j < len(line) && isTokenChar(line[j]) {
			j++
		}
		colon := j
		for colon < len(line) && isWSP(line[colon]) {
			colon++
		}
		if colon >= len(line) || line[colon] != ':' || j == 0 {
			if strings.IndexByte(line, ':') < 0 {
				return nil, &ParseError{Err: ErrHeader, Line: lineNo, Detail: "missing ':' in " + strconv.Quote(line)}
			}
			name := line[:strings.IndexByte(line, ':')]
			return nil, &ParseError{Err: ErrHeader, Line: lineNo, Detail: "invalid header name " + strconv.Quote(name)}
		}
		name := line[:j]
		if len(m.hdrs) >= lim.MaxHeaders {
			return nil, &ParseError{Err: ErrTooLarge, Line: lineNo, Detail: "more than " + strconv.Itoa(lim.MaxHeaders) + " headers"}
		}
		m.hdrs = append(m.hdrs, Header{Name: name, Value: trimWS(line[colon+1:]), kind: lookupHeader(name)})
	}

	// Body (§7.4, §18.3).
	cl, hasCL := -1, false
	for i := range m.hdrs {
		h := &m.hdrs[i]
		if h.kind != hContentLength {
			continue
		}
		if hasCL {
			return nil, &ParseError{Err: ErrContentLength, Header: h.Name, Detail: "multiple Content-Length headers"}
		}
		n, ok := parseUint(h.Value, uint64(lim.MaxMessageSize))
		if !ok {
			return nil, &ParseError{Err: ErrContentLength, Header: h.Name, Detail: "invalid value " + strconv.Quote(h.Value)}
		}
		cl, hasCL = int(n), true
	}
	rest := len(b) - bodyStart
	switch {
	case hasCL && cl > rest:
		return nil, &ParseError{Err: ErrContentLength, Header: HeaderContentLength,
			Detail: "Content-Length " + strconv.Itoa(cl) + " exceeds the " + strconv.Itoa(rest) + " bytes available"}
	case hasCL:
		rest = cl
	case stream:
		return nil, &ParseError{Err: ErrContentLength, Header: HeaderContentLength, Detail: "missing on a stream transport"}
	}
	if rest > 0 {
		m.body = make([]byte, rest)
		copy(m.body, b[bodyStart:bodyStart+rest])
	}
	return msg, nil
}

// parseRequestLine parses Method SP Request-URI SP SIP-Version (§7.1).
// Separators are exactly one SP each (RFC 4475 §3.1.2.8-10 are rejected).
func (r *Request) parseRequestLine(line string) error {
	sp1 := strings.IndexByte(line, ' ')
	sp2 := strings.LastIndexByte(line, ' ')
	if sp1 <= 0 || sp2 == sp1 {
		return &ParseError{Err: ErrStartLine, Line: 1, Detail: "want Method SP Request-URI SP SIP-Version"}
	}
	r.Method = line[:sp1]
	if !isToken(r.Method) {
		return &ParseError{Err: ErrStartLine, Line: 1, Detail: "invalid method " + strconv.Quote(r.Method)}
	}
	uri := line[sp1+1 : sp2]
	if strings.IndexByte(uri, ' ') >= 0 || uri == "" {
		return &ParseError{Err: ErrStartLine, Line: 1, Detail: "whitespace in or around the Request-URI"}
	}
	r.Version = line[sp2+1:]
	if !validVersion(r.Version) {
		return &ParseError{Err: ErrStartLine, Line: 1, Detail: "invalid SIP-Version " + strconv.Quote(r.Version)}
	}
	if err := r.URI.parse(uri); err != nil {
		d := err.Error()
		if pe, ok := err.(*ParseError); ok {
			d = pe.Detail
		}
		return &ParseError{Err: ErrStartLine, Line: 1, Detail: "Request-URI: " + d}
	}
	return nil
}

// parseStatusLine parses SIP-Version SP Status-Code SP Reason-Phrase (§7.2).
func (r *Response) parseStatusLine(line string) error {
	sp := strings.IndexByte(line, ' ')
	if sp < 0 {
		return &ParseError{Err: ErrStartLine, Line: 1, Detail: "want SIP-Version SP Status-Code SP Reason-Phrase"}
	}
	r.Version = line[:sp]
	if !validVersion(r.Version) {
		return &ParseError{Err: ErrStartLine, Line: 1, Detail: "invalid SIP-Version " + strconv.Quote(r.Version)}
	}
	rest := line[sp+1:]
	code := rest
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		code, r.Reason = rest[:i], rest[i+1:]
	}
	n, ok := parseUint(code, 699)
	if len(code) != 3 || !ok || n < 100 {
		return &ParseError{Err: ErrStartLine, Line: 1, Detail: "status code " + strconv.Quote(code) + " is not in 100..699"}
	}
	r.StatusCode = int(n)
	return nil
}

// validVersion checks "SIP" "/" 1*DIGIT "." 1*DIGIT (§25.1).
func validVersion(v string) bool {
	if len(v) < 7 || !strings.EqualFold(v[:4], "SIP/") {
		return false
	}
	v = v[4:]
	dot := strings.IndexByte(v, '.')
	if dot <= 0 || dot == len(v)-1 || len(v) > 20 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if i != dot && !isDigit(v[i]) {
			return false
		}
	}
	return true
}
