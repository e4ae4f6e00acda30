package sip

import (
	"io"
	"strconv"
	"strings"
)

// Version is the only SIP version teaphone speaks (RFC 3261 §7.1).
const Version = "SIP/2.0"

// Request is a SIP request (RFC 3261 §7.1). Header and body methods are
// promoted from the embedded message.
type Request struct {
	Method  string // case-sensitive method (§7.1)
	URI     URI    // Request-URI
	Version string // "SIP/2.0"
	message
}

// Response is a SIP response (RFC 3261 §7.2).
type Response struct {
	Version    string // "SIP/2.0"
	StatusCode int    // 100..699
	Reason     string // reason phrase, may be empty
	message
}

// IsRequest reports true.
func (r *Request) IsRequest() bool { return true }

// IsRequest reports false.
func (r *Response) IsRequest() bool { return false }

// StartLine returns the Request-Line without CRLF.
func (r *Request) StartLine() string { return string(r.appendStartLine(nil)) }

// StartLine returns the Status-Line without CRLF.
func (r *Response) StartLine() string { return string(r.appendStartLine(nil)) }

func (r *Request) appendStartLine(b []byte) []byte {
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = r.URI.AppendTo(b)
	b = append(b, ' ')
	if r.Version == "" {
		return append(b, Version...)
	}
	return append(b, r.Version...)
}

func (r *Response) appendStartLine(b []byte) []byte {
	if r.Version == "" {
		b = append(b, Version...)
	} else {
		b = append(b, r.Version...)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.StatusCode), 10)
	b = append(b, ' ')
	return append(b, r.Reason...)
}

// Clone returns a deep copy of the request.
func (r *Request) Clone() *Request {
	c := &Request{Method: r.Method, URI: r.URI.Clone(), Version: r.Version}
	c.cloneFrom(&r.message)
	return c
}

// Clone returns a deep copy of the response.
func (r *Response) Clone() *Response {
	c := &Response{Version: r.Version, StatusCode: r.StatusCode, Reason: r.Reason}
	c.cloneFrom(&r.message)
	return c
}

// Compact returns a copy of r that shares no memory with r or with the
// request it was built from (whose whole text a header value copied from it
// would keep alive): the header names and values are copied into one
// string, the headers into a slice of exactly their number. A transaction
// that keeps a final response for retransmissions (32 s on UDP) keeps
// that.
func (r *Response) Compact() *Response {
	c := &Response{Version: r.Version, StatusCode: r.StatusCode, Reason: r.Reason}
	c.compactFrom(&r.message)
	return c
}

// IsProvisional reports a 1xx response.
func (r *Response) IsProvisional() bool { return r.StatusCode < 200 }

// IsSuccess reports a 2xx response.
func (r *Response) IsSuccess() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// AppendTo appends the wire form of the request to b (RFC 3261 §7).
func (r *Request) AppendTo(b []byte) []byte {
	return r.appendMessage(r.appendStartLine(b))
}

// AppendTo appends the wire form of the response to b.
func (r *Response) AppendTo(b []byte) []byte {
	return r.appendMessage(r.appendStartLine(b))
}

// String returns the wire form of the request.
func (r *Request) String() string { return string(r.AppendTo(make([]byte, 0, r.sizeHint()))) }

// String returns the wire form of the response.
func (r *Response) String() string { return string(r.AppendTo(make([]byte, 0, r.sizeHint()))) }

// WriteTo writes the wire form of the request to w.
func (r *Request) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.AppendTo(make([]byte, 0, r.sizeHint())))
	return int64(n), err
}

// WriteTo writes the wire form of the response to w.
func (r *Response) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.AppendTo(make([]byte, 0, r.sizeHint())))
	return int64(n), err
}

func (m *message) sizeHint() int {
	n := 128 + len(m.body)
	for i := range m.hdrs {
		n += len(m.hdrs[i].Name) + len(m.hdrs[i].Value) + 4
	}
	return n
}

// appendMessage writes CRLF after the start line, the headers in order, and
// the body. Content-Length is always len(body): an existing Content-Length
// header keeps its name and position, otherwise one is added last (§18.3,
// §20.14).
func (m *message) appendMessage(b []byte) []byte {
	b = append(b, '\r', '\n')
	wroteCL := false
	for i := range m.hdrs {
		h := &m.hdrs[i]
		if h.kind == hContentLength {
			if wroteCL {
				continue
			}
			wroteCL = true
			b = append(b, h.Name...)
			b = append(b, ':', ' ')
			b = strconv.AppendInt(b, int64(len(m.body)), 10)
			b = append(b, '\r', '\n')
			continue
		}
		b = append(b, h.Name...)
		b = append(b, ':', ' ')
		b = append(b, h.Value...)
		b = append(b, '\r', '\n')
	}
	if !wroteCL {
		b = append(b, HeaderContentLength...)
		b = append(b, ':', ' ')
		b = strconv.AppendInt(b, int64(len(m.body)), 10)
		b = append(b, '\r', '\n')
	}
	b = append(b, '\r', '\n')
	return append(b, m.body...)
}

// NewRequest returns a request with the given method and Request-URI,
// Version SIP/2.0 and Max-Forwards: 70 (§8.1.1.6). The caller adds Via,
// From, To, Call-ID, CSeq and Contact.
func NewRequest(method string, uri URI) *Request {
	r := &Request{Method: method, URI: uri, Version: Version}
	r.initHeaders()
	r.AddHeader(HeaderMaxForwards, "70")
	return r
}

// NewResponse builds a response to req per RFC 3261 §8.2.6: Via headers,
// From, To, Call-ID and CSeq are copied in order; when code > 100 and To
// has no tag, a fresh tag is added (§8.2.6.2, override it with SetToTag);
// a 100 copies Timestamp (§8.2.6.1). An empty reason uses StatusText.
func NewResponse(req *Request, code int, reason string) *Response {
	if reason == "" {
		reason = StatusText(code)
	}
	r := &Response{Version: Version, StatusCode: code, Reason: reason}
	r.initHeaders()
	for i := range req.hdrs {
		h := req.hdrs[i]
		switch h.kind {
		case hVia, hFrom, hCallID, hCSeq:
		case hTo:
			if code > 100 {
				if a, err := parseOneAddr(h.Value, HeaderTo); err == nil && a.Tag() == "" {
					h.Value += ";tag=" + NewTag()
				}
			}
		case hTimestamp:
			if code != 100 {
				continue
			}
		default:
			continue
		}
		r.hdrs = append(r.hdrs, h)
	}
	return r
}

// CopyRecordRoute copies the request's Record-Route headers into the
// response in order, as a UAS does on dialog-creating 18x/2xx responses
// (§12.1.1).
func (r *Response) CopyRecordRoute(req *Request) {
	for i := range req.hdrs {
		if req.hdrs[i].kind == hRecordRoute {
			r.hdrs = append(r.hdrs, req.hdrs[i])
		}
	}
}

// normalizeVersion reports whether a version string is SIP/2.0.
func isVersion20(v string) bool { return strings.EqualFold(v, Version) }

// NewCancel builds the CANCEL for a pending request per RFC 3261 §9.1: the
// same Request-URI, Call-ID, To, From and CSeq number (method CANCEL), only
// the top Via, and the request's Route headers.
func NewCancel(req *Request) *Request {
	return newHopRequest(req, MethodCancel, nil)
}

// NewAck builds the ACK for a non-2xx final response per RFC 3261
// §17.1.1.3: like CANCEL, but To is taken from the response (it carries the
// tag). The ACK for a 2xx is a new transaction built by the dialog layer
// (§13.2.2.4).
func NewAck(req *Request, res *Response) *Request {
	return newHopRequest(req, MethodAck, res)
}

func newHopRequest(req *Request, method string, res *Response) *Request {
	r := &Request{Method: method, URI: req.URI.Clone(), Version: Version}
	r.initHeaders()
	if v, err := req.TopVia(); err == nil {
		r.hdrs = append(r.hdrs, newOutHeader(HeaderVia, v.String()))
	} else if i := req.index(hVia); i >= 0 {
		r.hdrs = append(r.hdrs, req.hdrs[i])
	}
	r.AddHeader(HeaderMaxForwards, "70")
	copyFirst := func(from *message, k hkind) {
		if i := from.index(k); i >= 0 {
			r.hdrs = append(r.hdrs, from.hdrs[i])
		}
	}
	if res != nil {
		copyFirst(&res.message, hTo)
	} else {
		copyFirst(&req.message, hTo)
	}
	copyFirst(&req.message, hFrom)
	copyFirst(&req.message, hCallID)
	if c, err := req.CSeq(); err == nil {
		r.SetCSeq(CSeq{Seq: c.Seq, Method: method})
	}
	for i := range req.hdrs {
		if req.hdrs[i].kind == hRoute {
			r.hdrs = append(r.hdrs, req.hdrs[i])
		}
	}
	return r
}
