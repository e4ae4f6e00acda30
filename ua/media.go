package ua

import (
	"net/netip"
	"time"
)

// The engine never imports media: it declares what it needs here and main
// wires an implementation in (media/sdp + media/rtpsession + an audio
// device). Tests use a fake. SDP travels as bytes so that offer/answer stays
// media's business; the engine only decides when to offer, answer, hold.

// MediaFactory makes one media session per call.
type MediaFactory interface {
	NewSession(cfg MediaConfig, notify MediaNotifier) (MediaSession, error)
}

// MediaConfig is what a new session needs to know about the call.
type MediaConfig struct {
	CallID  string     // the engine's call ID, for logs and recordings
	Account string     // account name
	Local   netip.Addr // address to put in SDP and bind RTP to (the signalling interface's)
	Codecs  []string   // the account's codec preference, e.g. ["opus", "G722", "PCMU"]
	// Public is the address learned from received/rport (RFC 3581), when it
	// differs from Local; the session may advertise it in SDP.
	Public netip.Addr
}

// MediaSession is one call's media: SDP offer/answer (RFC 3264) and the RTP
// stream. Methods are called from the engine's goroutine only; they must not
// block on the network.
type MediaSession interface {
	// Offer returns our SDP offer: the first one, or a re-offer that reflects
	// the current hold state (SetHold) with the session version bumped.
	Offer() ([]byte, error)
	// Answer takes the peer's offer and returns our answer, starting or
	// updating media. An error means the offer is unusable: the engine
	// answers 488 Not Acceptable Here.
	Answer(offer []byte) ([]byte, error)
	// Accept takes the peer's answer to our last Offer (or early media in a
	// 183) and starts or updates media. An error means the answer is
	// unusable: the engine ends the call (or drops the re-INVITE change).
	Accept(answer []byte) error
	// Rollback forgets our pending offer after a 488/491/timeout.
	Rollback()
	// SetHold sets whether we hold the call; the next Offer or Answer uses
	// sendonly (or inactive when the peer holds us too).
	SetHold(on bool)
	// SetMute stops sending microphone audio (RTP keeps flowing with silence).
	SetMute(on bool)
	// SendDTMF sends one RFC 4733 event; it returns an error when the peer
	// did not negotiate telephone-event (the engine may fall back to INFO).
	SendDTMF(digit rune, d time.Duration) error
	// Info reports the negotiated state and live quality figures.
	Info() MediaInfo
	// Close stops media and releases sockets and devices.
	Close() error
}

// MediaInfo is a snapshot of a session.
type MediaInfo struct {
	Codec           string // e.g. "PCMU/8000"
	RemoteHold      bool   // the peer's last SDP put us on hold
	DTMF            bool   // telephone-event negotiated
	MOS             float64
	LossPercent     float64
	JitterMillis    float64
	RTTMillis       float64
	TxLevel         float64 // dBFS
	RxLevel         float64 // dBFS
	PacketsSent     uint64
	PacketsReceived uint64
}

// MediaNotifier receives what a session notices on its own. Implementations
// call it from their goroutines; the engine queues the calls into its loop,
// so the methods return at once.
type MediaNotifier interface {
	// DTMF reports a digit received by RFC 4733, with its duration.
	DTMF(digit rune, d time.Duration)
	// Inactive reports that no RTP arrived for the configured time.
	Inactive(since time.Duration)
}
