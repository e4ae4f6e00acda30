package ua

import "time"

// Event is one thing the engine reports. Events are values (snapshots of
// engine state at the moment they were emitted), delivered in order on
// Agent.Events and never dropped. The set is sealed: only this package
// defines events.
type Event interface{ isEvent() }

// RegState is an account's registration state.
type RegState int

const (
	RegUnregistered RegState = iota // not registered (yet, or after un-REGISTER)
	RegRegistering                  // REGISTER in flight
	RegRegistered                   // the registrar accepted our binding
	RegFailed                       // the last attempt failed; a retry is scheduled
	RegDirect                       // a direct-IP account with no registrar: ready
)

func (s RegState) String() string {
	switch s {
	case RegUnregistered:
		return "unregistered"
	case RegRegistering:
		return "registering"
	case RegRegistered:
		return "registered"
	case RegFailed:
		return "failed"
	case RegDirect:
		return "direct"
	}
	return "unknown"
}

// FailureKind classifies why something failed, so users get a clear reason
// (wrong password versus timeout versus TLS versus 403).
type FailureKind int

const (
	FailNone      FailureKind = iota
	FailAuth                  // credentials rejected (401/407 again after answering the challenge)
	FailForbidden             // 403
	FailTimeout               // no response (Timer B/F)
	FailTLS                   // certificate or handshake problem
	FailNetwork               // DNS, connection refused, unreachable
	FailRejected              // any other final response
	FailBadConfig             // the account's settings cannot work (bad URI, no password)
	FailLocal                 // our side (no audio device, no common codec, …)
)

func (k FailureKind) String() string {
	switch k {
	case FailNone:
		return ""
	case FailAuth:
		return "wrong password or user name"
	case FailForbidden:
		return "forbidden"
	case FailTimeout:
		return "no response"
	case FailTLS:
		return "TLS"
	case FailNetwork:
		return "network"
	case FailRejected:
		return "rejected"
	case FailBadConfig:
		return "configuration"
	case FailLocal:
		return "local"
	}
	return "unknown"
}

// RegistrationEvent reports a change in an account's registration.
type RegistrationEvent struct {
	Account string        // account name from the configuration
	AOR     string        // address of record, e.g. "sip:alice@example.com"
	State   RegState      //
	Expires time.Duration // granted lifetime when Registered
	Code    int           // SIP status of the last response, 0 when none
	Reason  string        // human-readable reason when Failed, e.g. "401: wrong password"
	Kind    FailureKind   // classification when Failed
	Contact string        // the Contact the registrar holds (with learned public address)
}

// CallState is where a call is in its life.
type CallState int

const (
	CallIncoming   CallState = iota + 1 // an INVITE is ringing here
	CallDialing                         // our INVITE is out, nothing heard back yet
	CallRinging                         // 180 from the far end
	CallEarlyMedia                      // 183 with SDP: early media flowing
	CallActive                          // answered (hold and mute are flags on top)
	CallEnded                           // over; Code and Reason say why
)

func (s CallState) String() string {
	switch s {
	case CallIncoming:
		return "incoming"
	case CallDialing:
		return "dialing"
	case CallRinging:
		return "ringing"
	case CallEarlyMedia:
		return "early_media"
	case CallActive:
		return "active"
	case CallEnded:
		return "ended"
	}
	return "unknown"
}

// Direction says who placed a call or sent a message.
type Direction int

const (
	Outgoing Direction = iota + 1
	Incoming
)

func (d Direction) String() string {
	if d == Incoming {
		return "in"
	}
	return "out"
}

// CallInfo is a snapshot of one call.
type CallInfo struct {
	ID         string // engine-assigned call ID (not the SIP Call-ID)
	Account    string
	Direction  Direction
	Remote     string // remote URI, e.g. "sip:bob@example.com"
	RemoteName string // display name when the peer gave one
	// Asserted is the P-Asserted-Identity (RFC 3325) when a trusted proxy sent one.
	Asserted   string
	State      CallState
	LocalHold  bool // we put the call on hold
	RemoteHold bool // the far end put us on hold (sendonly/inactive/c=0.0.0.0)
	Muted      bool
	Codec      string // negotiated codec, e.g. "PCMU/8000"
	Started    time.Time
	Answered   time.Time // zero until answered
	Ended      time.Time // zero until ended
	Code       int       // final SIP status when ended (200 for a normal BYE)
	Reason     string    // why it ended, e.g. "486 Busy Here", "hung up", "BYE from peer", "RTP timeout"
	Waiting    bool      // an incoming call that arrived while another call was up
}

// CallEvent reports any change to a call.
type CallEvent struct{ Call CallInfo }

// DTMFEvent reports a digit received during a call (RFC 4733 or SIP INFO).
type DTMFEvent struct {
	CallID   string
	Digit    rune
	Duration time.Duration
	Method   string // "rfc4733" or "info"
}

// MediaStatsEvent reports a call's media quality. The engine coalesces these
// (about one per second per call); they carry no state that other events
// don't, so a slow reader only ever sees fewer of them, never stale ones.
type MediaStatsEvent struct {
	CallID          string
	MOS             float64 // ITU-T G.107 E-model estimate, 1–4.5; 0 when unknown
	LossPercent     float64
	JitterMillis    float64
	RTTMillis       float64
	TxLevel         float64 // microphone level in dBFS
	RxLevel         float64 // speaker level in dBFS
	PacketsSent     uint64
	PacketsReceived uint64
}

// MessageEvent reports an instant message we received (RFC 3428).
type MessageEvent struct {
	ID          string
	Account     string
	From        string // sender URI
	FromName    string
	To          string
	ContentType string
	Body        string
	At          time.Time
}

// MessageState is the delivery state of a message we sent.
type MessageState int

const (
	MessageSending MessageState = iota + 1
	MessageDelivered
	MessageFailed
)

// MessageStatusEvent reports the fate of a message we sent.
type MessageStatusEvent struct {
	ID     string // as returned by SendMessage
	To     string
	State  MessageState
	Code   int
	Reason string
	Kind   FailureKind
}

// Basic is the PIDF basic status (RFC 3863 §4.1.4).
type Basic int

const (
	BasicUnknown Basic = iota
	BasicOpen
	BasicClosed
)

// Presence is a presentity's status, ours to publish or a buddy's.
type Presence struct {
	Basic Basic
	// Activities are RPID activities (RFC 4480 §3.2): "away", "on-the-phone",
	// "busy", "meeting", "vacation", …
	Activities []string
	Note       string
}

// PresenceEvent reports a buddy's presence from a NOTIFY (RFC 3856).
type PresenceEvent struct {
	URI      string
	Presence Presence
	At       time.Time
}

// SubState is the state of a subscription we hold (RFC 6665).
type SubState int

const (
	SubPending SubState = iota + 1
	SubActive
	SubTerminated // Reason says why; the engine re-subscribes where the RFC allows
	SubFailed
)

// SubscriptionEvent reports a change in a subscription we hold.
type SubscriptionEvent struct {
	URI    string
	Event  string // "presence", later "message-summary", "dialog"
	State  SubState
	Code   int
	Reason string
}

// TraceEvent carries one SIP message sent or received, for the trace view.
// Credentials (Authorization and Proxy-Authorization responses) are redacted.
type TraceEvent struct {
	At        time.Time
	Sent      bool
	Transport string // "udp", "tcp", "tls"
	Local     string // host:port
	Remote    string // host:port
	CallID    string // SIP Call-ID, to group a call's messages into a ladder
	Summary   string // start line, e.g. "INVITE sip:bob@example.com" or "180 Ringing"
	Raw       string // the whole message, redacted
}

// ErrorEvent reports a problem that belongs to no call or account (a
// listener that failed, an audio device that went away).
type ErrorEvent struct {
	Op  string
	Err string
}

func (RegistrationEvent) isEvent()  {}
func (CallEvent) isEvent()          {}
func (DTMFEvent) isEvent()          {}
func (MediaStatsEvent) isEvent()    {}
func (MessageEvent) isEvent()       {}
func (MessageStatusEvent) isEvent() {}
func (PresenceEvent) isEvent()      {}
func (SubscriptionEvent) isEvent()  {}
func (TraceEvent) isEvent()         {}
func (ErrorEvent) isEvent()         {}
