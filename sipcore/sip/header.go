package sip

import "strings"

// Canonical header field names (RFC 3261 §20 and extensions).
const (
	HeaderVia                = "Via"
	HeaderFrom               = "From"
	HeaderTo                 = "To"
	HeaderCallID             = "Call-ID"
	HeaderCSeq               = "CSeq"
	HeaderContact            = "Contact"
	HeaderMaxForwards        = "Max-Forwards"
	HeaderContentLength      = "Content-Length"
	HeaderContentType        = "Content-Type"
	HeaderRoute              = "Route"
	HeaderRecordRoute        = "Record-Route"
	HeaderExpires            = "Expires"
	HeaderMinExpires         = "Min-Expires"
	HeaderAuthorization      = "Authorization"
	HeaderProxyAuthorization = "Proxy-Authorization"
	HeaderWWWAuthenticate    = "WWW-Authenticate"
	HeaderProxyAuthenticate  = "Proxy-Authenticate"
	HeaderAuthenticationInfo = "Authentication-Info"
	HeaderAllow              = "Allow"
	HeaderSupported          = "Supported"
	HeaderRequire            = "Require"
	HeaderProxyRequire       = "Proxy-Require"
	HeaderUnsupported        = "Unsupported"
	HeaderEvent              = "Event"
	HeaderAllowEvents        = "Allow-Events"
	HeaderSubscriptionState  = "Subscription-State"
	HeaderReferTo            = "Refer-To"
	HeaderReferredBy         = "Referred-By"
	HeaderReplaces           = "Replaces"
	HeaderSessionExpires     = "Session-Expires"
	HeaderMinSE              = "Min-SE"
	HeaderRSeq               = "RSeq"
	HeaderRAck               = "RAck"
	HeaderUserAgent          = "User-Agent"
	HeaderServer             = "Server"
	HeaderAccept             = "Accept"
	HeaderAcceptEncoding     = "Accept-Encoding"
	HeaderAcceptLanguage     = "Accept-Language"
	HeaderDate               = "Date"
	HeaderReason             = "Reason"
	HeaderPAssertedIdentity  = "P-Asserted-Identity"
	HeaderPPreferredIdentity = "P-Preferred-Identity"
	HeaderPrivacy            = "Privacy"
	HeaderSubject            = "Subject"
	HeaderContentEncoding    = "Content-Encoding"
	HeaderContentDisposition = "Content-Disposition"
	HeaderContentLanguage    = "Content-Language"
	HeaderMIMEVersion        = "MIME-Version"
	HeaderTimestamp          = "Timestamp"
	HeaderRetryAfter         = "Retry-After"
	HeaderWarning            = "Warning"
	HeaderOrganization       = "Organization"
	HeaderPriority           = "Priority"
	HeaderAlertInfo          = "Alert-Info"
	HeaderCallInfo           = "Call-Info"
	HeaderErrorInfo          = "Error-Info"
	HeaderInReplyTo          = "In-Reply-To"
	HeaderReplyTo            = "Reply-To"
	HeaderPath               = "Path"
	HeaderServiceRoute       = "Service-Route"
	HeaderSIPETag            = "SIP-ETag"
	HeaderSIPIfMatch         = "SIP-If-Match"
	HeaderIdentity           = "Identity"
	HeaderIdentityInfo       = "Identity-Info"
	HeaderRequestDisposition = "Request-Disposition"
	HeaderAcceptContact      = "Accept-Contact"
	HeaderRejectContact      = "Reject-Contact"
)

// hkind identifies a registered header field; 0 is an unknown header.
type hkind uint8

const (
	hUnknown hkind = iota
	hVia
	hFrom
	hTo
	hCallID
	hCSeq
	hContact
	hMaxForwards
	hContentLength
	hContentType
	hRoute
	hRecordRoute
	hExpires
	hMinExpires
	hAuthorization
	hProxyAuthorization
	hWWWAuthenticate
	hProxyAuthenticate
	hAuthenticationInfo
	hAllow
	hSupported
	hRequire
	hProxyRequire
	hUnsupported
	hEvent
	hAllowEvents
	hSubscriptionState
	hReferTo
	hReferredBy
	hReplaces
	hSessionExpires
	hMinSE
	hRSeq
	hRAck
	hUserAgent
	hServer
	hAccept
	hAcceptEncoding
	hAcceptLanguage
	hDate
	hReason
	hPAssertedIdentity
	hPPreferredIdentity
	hPrivacy
	hSubject
	hContentEncoding
	hContentDisposition
	hContentLanguage
	hMIMEVersion
	hTimestamp
	hRetryAfter
	hWarning
	hOrganization
	hPriority
	hAlertInfo
	hCallInfo
	hErrorInfo
	hInReplyTo
	hReplyTo
	hPath
	hServiceRoute
	hSIPETag
	hSIPIfMatch
	hIdentity
	hIdentityInfo
	hRequestDisposition
	hAcceptContact
	hRejectContact
)

// canonicalName returns the full canonical name of a registered header.
func (k hkind) canonicalName() string {
	switch k {
	case hVia:
		return HeaderVia
	case hFrom:
		return HeaderFrom
	case hTo:
		return HeaderTo
	case hCallID:
		return HeaderCallID
	case hCSeq:
		return HeaderCSeq
	case hContact:
		return HeaderContact
	case hMaxForwards:
		return HeaderMaxForwards
	case hContentLength:
		return HeaderContentLength
	case hContentType:
		return HeaderContentType
	case hRoute:
		return HeaderRoute
	case hRecordRoute:
		return HeaderRecordRoute
	case hExpires:
		return HeaderExpires
	case hMinExpires:
		return HeaderMinExpires
	case hAuthorization:
		return HeaderAuthorization
	case hProxyAuthorization:
		return HeaderProxyAuthorization
	case hWWWAuthenticate:
		return HeaderWWWAuthenticate
	case hProxyAuthenticate:
		return HeaderProxyAuthenticate
	case hAuthenticationInfo:
		return HeaderAuthenticationInfo
	case hAllow:
		return HeaderAllow
	case hSupported:
		return HeaderSupported
	case hRequire:
		return HeaderRequire
	case hProxyRequire:
		return HeaderProxyRequire
	case hUnsupported:
		return HeaderUnsupported
	case hEvent:
		return HeaderEvent
	case hAllowEvents:
		return HeaderAllowEvents
	case hSubscriptionState:
		return HeaderSubscriptionState
	case hReferTo:
		return HeaderReferTo
	case hReferredBy:
		return HeaderReferredBy
	case hReplaces:
		return HeaderReplaces
	case hSessionExpires:
		return HeaderSessionExpires
	case hMinSE:
		return HeaderMinSE
	case hRSeq:
		return HeaderRSeq
	case hRAck:
		return HeaderRAck
	case hUserAgent:
		return HeaderUserAgent
	case hServer:
		return HeaderServer
	case hAccept:
		return HeaderAccept
	case hAcceptEncoding:
		return HeaderAcceptEncoding
	case hAcceptLanguage:
		return HeaderAcceptLanguage
	case hDate:
		return HeaderDate
	case hReason:
		return HeaderReason
	case hPAssertedIdentity:
		return HeaderPAssertedIdentity
	case hPPreferredIdentity:
		return HeaderPPreferredIdentity
	case hPrivacy:
		return HeaderPrivacy
	case hSubject:
		return HeaderSubject
	case hContentEncoding:
		return HeaderContentEncoding
	case hContentDisposition:
		return HeaderContentDisposition
	case hContentLanguage:
		return HeaderContentLanguage
	case hMIMEVersion:
		return HeaderMIMEVersion
	case hTimestamp:
		return HeaderTimestamp
	case hRetryAfter:
		return HeaderRetryAfter
	case hWarning:
		return HeaderWarning
	case hOrganization:
		return HeaderOrganization
	case hPriority:
		return HeaderPriority
	case hAlertInfo:
		return HeaderAlertInfo
	case hCallInfo:
		return HeaderCallInfo
	case hErrorInfo:
		return HeaderErrorInfo
	case hInReplyTo:
		return HeaderInReplyTo
	case hReplyTo:
		return HeaderReplyTo
	case hPath:
		return HeaderPath
	case hServiceRoute:
		return HeaderServiceRoute
	case hSIPETag:
		return HeaderSIPETag
	case hSIPIfMatch:
		return HeaderSIPIfMatch
	case hIdentity:
		return HeaderIdentity
	case hIdentityInfo:
		return HeaderIdentityInfo
	case hRequestDisposition:
		return HeaderRequestDisposition
	case hAcceptContact:
		return HeaderAcceptContact
	case hRejectContact:
		return HeaderRejectContact
	}
	return ""
}

// compact returns the compact form (§7.3.3) of a registered header, or 0.
func (k hkind) compact() byte {
	switch k {
	case hVia:
		return 'v'
	case hFrom:
		return 'f'
	case hTo:
		return 't'
	case hCallID:
		return 'i'
	case hContact:
		return 'm'
	case hContentLength:
		return 'l'
	case hContentType:
		return 'c'
	case hSupported:
		return 'k'
	case hEvent:
		return 'o'
	case hAllowEvents:
		return 'u'
	case hReferTo:
		return 'r'
	case hReferredBy:
		return 'b'
	case hSessionExpires:
		return 'x'
	case hSubject:
		return 's'
	case hContentEncoding:
		return 'e'
	case hIdentity:
		return 'y'
	case hIdentityInfo:
		return 'n'
	case hRequestDisposition:
		return 'd'
	case hAcceptContact:
		return 'a'
	case hRejectContact:
		return 'j'
	}
	return 0
}

// lookupHeader maps a header name (any case, full or compact form) to its
// kind without allocating. Unknown names map to hUnknown (§7.3.3: compact
// and full forms are equivalent; §7.3.5 header names are case-insensitive).
func lookupHeader(name string) hkind {
	if len(name) == 1 {
		switch name[0] | 0x20 {
		case 'v':
			return hVia
		case 'f':
			return hFrom
		case 't':
			return hTo
		case 'i':
			return hCallID
		case 'm':
			return hContact
		case 'l':
			return hContentLength
		case 'c':
			return hContentType
		case 'k':
			return hSupported
		case 'o':
			return hEvent
		case 'u':
			return hAllowEvents
		case 'r':
			return hReferTo
		case 'b':
			return hReferredBy
		case 'x':
			return hSessionExpires
		case 's':
			return hSubject
		case 'e':
			return hContentEncoding
		case 'y':
			return hIdentity
		case 'n':
			return hIdentityInfo
		case 'd':
			return hRequestDisposition
		case 'a':
			return hAcceptContact
		case 'j':
			return hRejectContact
		}
		return hUnknown
	}
	n := len(name)
	if n == 0 || n > 24 {
		return hUnknown
	}
	// Candidates are keyed by length, first and last letter; one
	// case-insensitive comparison confirms (§7.3.5).
	key := uint32(n)<<16 | uint32(name[0]|0x20)<<8 | uint32(name[n-1]|0x20)
	switch key {
	case 2<<16 | 't'<<8 | 'o':
		if equalFoldLower(name, "to") {
			return hTo
		}
	case 3<<16 | 'v'<<8 | 'a':
		if equalFoldLower(name, "via") {
			return hVia
		}
	case 4<<16 | 'c'<<8 | 'q':
		if equalFoldLower(name, "cseq") {
			return hCSeq
		}
	case 4<<16 | 'd'<<8 | 'e':
		if equalFoldLower(name, "date") {
			return hDate
		}
	case 4<<16 | 'f'<<8 | 'm':
		if equalFoldLower(name, "from") {
			return hFrom
		}
	case 4<<16 | 'p'<<8 | 'h':
		if equalFoldLower(name, "path") {
			return hPath
		}
	case 4<<16 | 'r'<<8 | 'k':
		if equalFoldLower(name, "rack") {
			return hRAck
		}
	case 4<<16 | 'r'<<8 | 'q':
		if equalFoldLower(name, "rseq") {
			return hRSeq
		}
	case 5<<16 | 'a'<<8 | 'w':
		if equalFoldLower(name, "allow") {
			return hAllow
		}
	case 5<<16 | 'e'<<8 | 't':
		if equalFoldLower(name, "event") {
			return hEvent
		}
	case 5<<16 | 'r'<<8 | 'e':
		if equalFoldLower(name, "route") {
			return hRoute
		}
	case 6<<16 | 'a'<<8 | 't':
		if equalFoldLower(name, "accept") {
			return hAccept
		}
	case 6<<16 | 'm'<<8 | 'e':
		if equalFoldLower(name, "min-se") {
			return hMinSE
		}
	case 6<<16 | 'r'<<8 | 'n':
		if equalFoldLower(name, "reason") {
			return hReason
		}
	case 6<<16 | 's'<<8 | 'r':
		if equalFoldLower(name, "server") {
			return hServer
		}
	case 7<<16 | 'c'<<8 | 'd':
		if equalFoldLower(name, "call-id") {
			return hCallID
		}
	case 7<<16 | 'c'<<8 | 't':
		if equalFoldLower(name, "contact") {
			return hContact
		}
	case 7<<16 | 'e'<<8 | 's':
		if equalFoldLower(name, "expires") {
			return hExpires
		}
	case 7<<16 | 'p'<<8 | 'y':
		if equalFoldLower(name, "privacy") {
			return hPrivacy
		}
	case 7<<16 | 'r'<<8 | 'e':
		if equalFoldLower(name, "require") {
			return hRequire
		}
	case 7<<16 | 's'<<8 | 't':
		if equalFoldLower(name, "subject") {
			return hSubject
		}
	case 7<<16 | 'w'<<8 | 'g':
		if equalFoldLower(name, "warning") {
			return hWarning
		}
	case 8<<16 | 'i'<<8 | 'y':
		if equalFoldLower(name, "identity") {
			return hIdentity
		}
	case 8<<16 | 'p'<<8 | 'y':
		if equalFoldLower(name, "priority") {
			return hPriority
		}
	case 8<<16 | 'r'<<8 | 'o':
		if equalFoldLower(name, "refer-to") {
			return hReferTo
		}
		if equalFoldLower(name, "reply-to") {
			return hReplyTo
		}
	case 8<<16 | 'r'<<8 | 's':
		if equalFoldLower(name, "replaces") {
			return hReplaces
		}
	case 8<<16 | 's'<<8 | 'g':
		if equalFoldLower(name, "sip-etag") {
			return hSIPETag
		}
	case 9<<16 | 'c'<<8 | 'o':
		if equalFoldLower(name, "call-info") {
			return hCallInfo
		}
	case 9<<16 | 's'<<8 | 'd':
		if equalFoldLower(name, "supported") {
			return hSupported
		}
	case 9<<16 | 't'<<8 | 'p':
		if equalFoldLower(name, "timestamp") {
			return hTimestamp
		}
	case 10<<16 | 'a'<<8 | 'o':
		if equalFoldLower(name, "alert-info") {
			return hAlertInfo
		}
	case 10<<16 | 'e'<<8 | 'o':
		if equalFoldLower(name, "error-info") {
			return hErrorInfo
		}
	case 10<<16 | 'u'<<8 | 't':
		if equalFoldLower(name, "user-agent") {
			return hUserAgent
		}
	case 11<<16 | 'i'<<8 | 'o':
		if equalFoldLower(name, "in-reply-to") {
			return hInReplyTo
		}
	case 11<<16 | 'm'<<8 | 's':
		if equalFoldLower(name, "min-expires") {
			return hMinExpires
		}
	case 11<<16 | 'r'<<8 | 'r':
		if equalFoldLower(name, "retry-after") {
			return hRetryAfter
		}
	case 11<<16 | 'r'<<8 | 'y':
		if equalFoldLower(name, "referred-by") {
			return hReferredBy
		}
	case 11<<16 | 'u'<<8 | 'd':
		if equalFoldLower(name, "unsupported") {
			return hUnsupported
		}
	case 12<<16 | 'a'<<8 | 's':
		if equalFoldLower(name, "allow-events") {
			return hAllowEvents
		}
	case 12<<16 | 'c'<<8 | 'e':
		if equalFoldLower(name, "content-type") {
			return hContentType
		}
	case 12<<16 | 'm'<<8 | 'n':
		if equalFoldLower(name, "mime-version") {
			return hMIMEVersion
		}
	case 12<<16 | 'm'<<8 | 's':
		if equalFoldLower(name, "max-forwards") {
			return hMaxForwards
		}
	case 12<<16 | 'o'<<8 | 'n':
		if equalFoldLower(name, "organization") {
			return hOrganization
		}
	case 12<<16 | 'r'<<8 | 'e':
		if equalFoldLower(name, "record-route") {
			return hRecordRoute
		}
	case 12<<16 | 's'<<8 | 'h':
		if equalFoldLower(name, "sip-if-match") {
			return hSIPIfMatch
		}
	case 13<<16 | 'a'<<8 | 'n':
		if equalFoldLower(name, "authorization") {
			return hAuthorization
		}
	case 13<<16 | 'i'<<8 | 'o':
		if equalFoldLower(name, "identity-info") {
			return hIdentityInfo
		}
	case 13<<16 | 'p'<<8 | 'e':
		if equalFoldLower(name, "proxy-require") {
			return hProxyRequire
		}
	case 13<<16 | 's'<<8 | 'e':
		if equalFoldLower(name, "service-route") {
			return hServiceRoute
		}
	case 14<<16 | 'a'<<8 | 't':
		if equalFoldLower(name, "accept-contact") {
			return hAcceptContact
		}
	case 14<<16 | 'c'<<8 | 'h':
		if equalFoldLower(name, "content-length") {
			return hContentLength
		}
	case 14<<16 | 'r'<<8 | 't':
		if equalFoldLower(name, "reject-contact") {
			return hRejectContact
		}
	case 15<<16 | 'a'<<8 | 'e':
		if equalFoldLower(name, "accept-language") {
			return hAcceptLanguage
		}
	case 15<<16 | 'a'<<8 | 'g':
		if equalFoldLower(name, "accept-encoding") {
			return hAcceptEncoding
		}
	case 15<<16 | 's'<<8 | 's':
		if equalFoldLower(name, "session-expires") {
			return hSessionExpires
		}
	case 16<<16 | 'c'<<8 | 'e':
		if equalFoldLower(name, "content-language") {
			return hContentLanguage
		}
	case 16<<16 | 'c'<<8 | 'g':
		if equalFoldLower(name, "content-encoding") {
			return hContentEncoding
		}
	case 16<<16 | 'w'<<8 | 'e':
		if equalFoldLower(name, "www-authenticate") {
			return hWWWAuthenticate
		}
	case 18<<16 | 'p'<<8 | 'e':
		if equalFoldLower(name, "proxy-authenticate") {
			return hProxyAuthenticate
		}
	case 18<<16 | 's'<<8 | 'e':
		if equalFoldLower(name, "subscription-state") {
			return hSubscriptionState
		}
	case 19<<16 | 'a'<<8 | 'o':
		if equalFoldLower(name, "authentication-info") {
			return hAuthenticationInfo
		}
	case 19<<16 | 'c'<<8 | 'n':
		if equalFoldLower(name, "content-disposition") {
			return hContentDisposition
		}
	case 19<<16 | 'p'<<8 | 'n':
		if equalFoldLower(name, "proxy-authorization") {
			return hProxyAuthorization
		}
	case 19<<16 | 'p'<<8 | 'y':
		if equalFoldLower(name, "p-asserted-identity") {
			return hPAssertedIdentity
		}
	case 19<<16 | 'r'<<8 | 'n':
		if equalFoldLower(name, "request-disposition") {
			return hRequestDisposition
		}
	case 20<<16 | 'p'<<8 | 'y':
		if equalFoldLower(name, "p-preferred-identity") {
			return hPPreferredIdentity
		}
	}
	return hUnknown
}

// equalFoldLower compares s case-insensitively with the lower-case ASCII
// string lower.
func equalFoldLower(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// CanonicalHeaderName returns the canonical full name for a registered header
// name in any case or compact form ("v" -> "Via", "call-id" -> "Call-ID"),
// and name unchanged for unknown headers.
func CanonicalHeaderName(name string) string {
	if k := lookupHeader(name); k != hUnknown {
		return k.canonicalName()
	}
	return name
}

// CompactHeaderName returns the compact form of a registered header
// ("Via" -> "v"), or "" when it has none.
func CompactHeaderName(name string) string {
	if c := lookupHeader(name).compact(); c != 0 {
		return string(rune(c))
	}
	return ""
}

// Header is one header field line, kept as received: Name as spelled on the
// wire (compact forms and odd case preserved), Value with surrounding
// whitespace removed and line folding replaced by single spaces (§7.3.1).
type Header struct {
	Name  string
	Value string
	kind  hkind
}

// NewHeader returns a header with the given name and value.
func NewHeader(name, value string) Header {
	return Header{Name: name, Value: value, kind: lookupHeader(name)}
}

// Is reports whether h is the header called name, compact forms and case
// notwithstanding ("v" is "Via"; "C%6Fntact" is not "Contact").
func (h Header) Is(name string) bool {
	k, hk := lookupHeader(name), h.kind
	if hk == hUnknown {
		hk = lookupHeader(h.Name)
	}
	if k != hUnknown || hk != hUnknown {
		return k == hk
	}
	return strings.EqualFold(h.Name, name)
}

// CanonicalName returns the canonical full name of h.
func (h Header) CanonicalName() string {
	if h.kind != hUnknown {
		return h.kind.canonicalName()
	}
	return h.Name
}
