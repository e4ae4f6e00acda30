package sdp

import (
	"errors"
	"strings"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrNoCommonCodec: no audio stream of an offer (or of the answer to our
	// offer) can be used: no shared codec, unsupported transport profile, no
	// usable address, or the stream was rejected. ua answers 488 Not
	// Acceptable Here (RFC 3261 §21.4.26, RFC 3264 §6).
	ErrNoCommonCodec = errors.New("sdp: no common codec")
	// ErrNoMedia: the SDP has no m= line at all.
	ErrNoMedia = errors.New("sdp: no media description")
	// ErrNoConnection: no c= line at session level nor in any media
	// description (RFC 4566 §5.7 requires one or the other).
	ErrNoConnection = errors.New("sdp: no connection address")
	// ErrNotSDP: nothing in the input looks like an SDP line.
	ErrNotSDP = errors.New("sdp: not a session description")
	// ErrBadAnswer: the answer does not fit the offer (RFC 3264 §6: same
	// number of m= lines, in the same order).
	ErrBadAnswer = errors.New("sdp: answer does not match offer")
	// ErrNoPendingOffer: ProcessAnswer was called with no offer outstanding.
	ErrNoPendingOffer = errors.New("sdp: no offer outstanding")
	// ErrBadConfig: the Negotiator's Config cannot produce an offer.
	ErrBadConfig = errors.New("sdp: bad config")
)

// StatusNotAcceptableHere is the SIP status for SDP we cannot parse or accept
// (RFC 3261 §21.4.26).
const StatusNotAcceptableHere = 488

// ParseError reports SDP that could not be used at all. Raw keeps the text
// as received, for logs and bug reports; Error does not include it.
type ParseError struct {
	Raw string
	Err error
}

func (e *ParseError) Error() string { return "sdp: parse: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// SIPStatus is the response code a UAS sends for this offer: 488.
func (e *ParseError) SIPStatus() int { return StatusNotAcceptableHere }

// NegotiationError reports an offer or answer that parsed but leaves no
// usable audio stream. Streams holds one reason per m= line, in order
// ("" for a stream that was fine). Err is ErrNoCommonCodec or ErrBadAnswer.
type NegotiationError struct {
	Err     error
	Streams []string
}

func (e *NegotiationError) Error() string {
	var reasons []string
	for _, r := range e.Streams {
		if r != "" {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) == 0 {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + strings.Join(reasons, "; ")
}

// Unwrap returns the underlying sentinel.
func (e *NegotiationError) Unwrap() error { return e.Err }

// SIPStatus is the response code a UAS sends for this offer: 488.
func (e *NegotiationError) SIPStatus() int { return StatusNotAcceptableHere }
