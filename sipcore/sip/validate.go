package sip

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// StatusError is the response a UAS owes a request it cannot accept: a
// status code, a reason phrase naming the fault, and headers the response
// must carry (Unsupported for 420, Accept for 415, Allow for 405).
type StatusError struct {
	Code    int
	Reason  string
	Headers []Header
}

func (e *StatusError) Error() string {
	return "sip: request rejected: " + strconv.Itoa(e.Code) + " " + strings.ToLower(e.Reason)
}

// Response builds the response to req (§8.2.6) carrying e's code, reason
// and headers.
func (e *StatusError) Response(req *Request) *Response {
	r := NewResponse(req, e.Code, e.Reason)
	for _, h := range e.Headers {
		r.AddHeader(h.Name, h.Value)
	}
	return r
}

func reject(code int, reason string, hdrs ...Header) *StatusError {
	return &StatusError{Code: code, Reason: reason, Headers: hdrs}
}

// ValidateOptions tell ValidateRequest what this element supports.
type ValidateOptions struct {
	// Methods the element knows; nil means KnownMethods(). An unknown
	// method gets 501 (§8.2.1).
	Methods []string
	// Allowed, when not nil, lists the known methods the element accepts
	// here; a known method outside it gets 405 with Allow (§8.2.1).
	Allowed []string
	// Supported option tags; a Require tag not listed gets 420 with
	// Unsupported (§8.2.2.3). nil means no extension is supported.
	Supported []string
	// Accept lists acceptable body types ("application/sdp"); when not
	// nil, a body of another type gets 415 with Accept (§8.2.3).
	Accept []string
	// Schemes lists acceptable Request-URI schemes; nil means sip, sips
	// and tel. Others get 416 (§8.2.2.1).
	Schemes []string
	// Forwarding makes Max-Forwards: 0 a 483, as for a proxy (§16.3).
	Forwarding bool
}

// ValidateRequest returns the response a UAS owes a request that parsed but
// is not acceptable, or nil when the request may be processed (RFC 3261
// §8.2, RFC 4475). Checks run in this order: version (505); duplicated,
// missing or malformed mandatory headers, overlarge CSeq (400); unknown
// method (501) or disallowed method (405); CSeq method mismatch (400);
// Request-URI scheme (416) and headers in the Request-URI (400);
// Max-Forwards 0 when forwarding (483); Require (420); body type (415).
func ValidateRequest(req *Request, o ValidateOptions) *StatusError {
	// §8.2 / §7.1: only SIP/2.0.
	if !isVersion20(req.Version) {
		return reject(StatusVersionNotSupported, StatusText(StatusVersionNotSupported))
	}
	if e := checkCommon(&req.message); e != nil {
		return e
	}
	cseq, _ := req.CSeq()
	if cseq.Seq > MaxCSeq {
		// §8.1.1.5: the sequence number must be less than 2**31.
		return reject(StatusBadRequest, "CSeq Number Too Large")
	}
	// §8.2.1 method inspection.
	methods := o.Methods
	if methods == nil {
		methods = KnownMethods()
	}
	if !slices.Contains(methods, req.Method) {
		return reject(StatusNotImplemented, StatusText(StatusNotImplemented))
	}
	if o.Allowed != nil && !slices.Contains(o.Allowed, req.Method) {
		return reject(StatusMethodNotAllowed, StatusText(StatusMethodNotAllowed),
			NewHeader(HeaderAllow, strings.Join(o.Allowed, ", ")))
	}
	if cseq.Method != req.Method {
		return reject(StatusBadRequest, "CSeq Method Mismatch")
	}
	// §8.2.2.1: Request-URI.
	schemes := o.Schemes
	if schemes == nil {
		schemes = []string{"sip", "sips", "tel"}
	}
	if !slices.ContainsFunc(schemes, func(s string) bool { return strings.EqualFold(s, req.URI.Scheme) }) {
		return reject(StatusUnsupportedURIScheme, StatusText(StatusUnsupportedURIScheme))
	}
	if req.URI.IsSIP() && len(req.URI.Headers) > 0 {
		// §19.1.5: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
		return reject(StatusBadRequest, "Headers Not Allowed In Request-URI")
	}
	// Max-Forwards (§8.2.2 via §16.3 step 3).
	if o.Forwarding {
		if mf, err := req.MaxForwards(); err == nil && mf == 0 {
			return reject(StatusTooManyHops, StatusText(StatusTooManyHops))
		}
	}
	// §8.2.2.3 Require (not applied to ACK and CANCEL).
	if req.Method != MethodAck && req.Method != MethodCancel {
		tags, _ := req.Require()
		var bad []string
		for _, t := range tags {
			if !slices.ContainsFunc(o.Supported, func(s string) bool { return strings.EqualFold(s, t) }) {
				bad = append(bad, t)
			}
		}
		if len(bad) > 0 {
			return reject(StatusBadExtension, StatusText(StatusBadExtension),
				NewHeader(HeaderUnsupported, strings.Join(bad, ", ")))
		}
	}
	// §8.2.3 content processing.
	if len(req.body) > 0 && o.Accept != nil {
		ct, err := req.ContentType()
		ok := false
		if err == nil {
			for _, a := range o.Accept {
				if am, err := ParseMediaType(a); err == nil && am.Match(ct) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return reject(StatusUnsupportedMediaType, StatusText(StatusUnsupportedMediaType),
				NewHeader(HeaderAccept, strings.Join(o.Accept, ", ")))
		}
	}
	return nil
}

// checkCommon applies the header checks shared by requests and responses.
func checkCommon(m *message) *StatusError {
	// Single-valued headers must appear once (RFC 4475 §3.3.8).
	for _, k := range []hkind{hCallID, hCSeq, hFrom, hTo, hMaxForwards, hContentLength} {
		if m.count(k) > 1 {
			return reject(StatusBadRequest, "Multiple "+k.canonicalName()+" Headers")
		}
	}
	// §8.1.1: mandatory headers (Max-Forwards is not required of RFC 2543
	// peers, RFC 4475 §3.4.1).
	for _, k := range []hkind{hCallID, hCSeq, hFrom, hTo, hVia} {
		if m.index(k) < 0 {
			return reject(StatusBadRequest, "Missing "+k.canonicalName())
		}
	}
	malformed := func(k hkind) *StatusError { return reject(StatusBadRequest, "Malformed "+k.canonicalName()) }
	if id := m.CallID(); id == "" || strings.ContainsAny(id, " \t,") {
		return malformed(hCallID)
	}
	if _, err := m.CSeq(); err != nil {
		return malformed(hCSeq)
	}
	if _, err := m.From(); err != nil {
		return malformed(hFrom)
	}
	if _, err := m.To(); err != nil {
		return malformed(hTo)
	}
	if _, err := m.Vias(); err != nil {
		return malformed(hVia)
	}
	if _, err := m.MaxForwards(); err != nil && !errors.Is(err, ErrNoHeader) {
		return malformed(hMaxForwards)
	}
	if _, err := m.Contacts(); err != nil {
		return malformed(hContact)
	}
	if _, err := m.Routes(); err != nil {
		return malformed(hRoute)
	}
	if _, err := m.RecordRoutes(); err != nil {
		return malformed(hRecordRoute)
	}
	if _, err := m.ContentType(); err != nil && !errors.Is(err, ErrNoHeader) {
		return malformed(hContentType)
	}
	if _, err := m.Require(); err != nil {
		return malformed(hRequire)
	}
	if _, err := m.Date(); err != nil && !errors.Is(err, ErrNoHeader) {
		// RFC 4475 §3.1.2.12: we reject dates not in GMT.
		return malformed(hDate)
	}
	return nil
}

// ValidateResponse reports whether a response is acceptable to a UAC or
// transaction layer; an error means the response should be discarded
// (§8.1.3.3, RFC 4475 §3.1.2.5).
func ValidateResponse(res *Response) error {
	if !isVersion20(res.Version) {
		return &ParseError{Err: ErrStartLine, Detail: "unsupported version " + res.Version}
	}
	if e := checkCommon(&res.message); e != nil {
		return &ParseError{Err: ErrValue, Detail: strings.ToLower(e.Reason)}
	}
	if c, _ := res.CSeq(); c.Seq > MaxCSeq {
		return valueErr(HeaderCSeq, "sequence number too large")
	}
	return nil
}
