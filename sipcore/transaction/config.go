package transaction

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// Default timer values (RFC 3261 §17.1.1.1, Table 4).
const (
	DefaultT1          = 500 * time.Millisecond // RTT estimate
	DefaultT2          = 4 * time.Second        // maximum retransmit interval
	DefaultT4          = 5 * time.Second        // maximum lifetime of a message in the network
	DefaultTimerD      = 32 * time.Second       // §17.1.1.2: at least 32 s on unreliable transports
	DefaultTryingDelay = 200 * time.Millisecond // §17.2.1: 100 Trying unless the TU answers within 200 ms
)

// Sentinel errors. Errors reported by Client.Err, Server.Err and the
// methods wrap one of these.
var (
	// ErrTimeout: Timer B or F expired on a client transaction, or Timer H
	// on an INVITE server transaction (§17.1.1.2, §17.1.2.2, §17.2.1).
	ErrTimeout = errors.New("transaction timeout")
	// ErrTransport: the transport failed to send a request or response
	// (§17.1.4, §17.2.4).
	ErrTransport = errors.New("transaction transport error")
	// ErrClosed: the layer was closed.
	ErrClosed = errors.New("transaction layer closed")
	// ErrTerminated: the transaction no longer exists.
	ErrTerminated = errors.New("transaction terminated")
	// ErrState: the operation is not allowed in the transaction's state
	// (for example a second final response).
	ErrState = errors.New("invalid transaction state")
	// ErrInvalidMessage: the message lacks what a transaction needs (Via
	// with a branch, CSeq, ...).
	ErrInvalidMessage = errors.New("invalid message for a transaction")
)

// Target says where a message goes. Its fields mirror transport.Target so
// that an adapter converts with transport.Target(t); the transaction layer
// itself only looks at Transport (to decide reliability) and passes the
// rest through.
type Target struct {
	// Transport is "UDP", "TCP", "TLS", ... as in Via; empty means UDP.
	Transport string
	// Addr is the remote IP and port.
	Addr netip.AddrPort
	// Host is the name Addr was resolved from (TLS server name).
	Host string
	// ConnID names a stream connection (responses go back on the
	// connection their request came on, §18.2.2); 0 for none.
	ConnID uint64
	// Local picks a local socket; zero for any.
	Local netip.AddrPort
	// UDPOnly forbids the §18.1.1 switch of large requests to TCP.
	UDPOnly bool
}

// Reliable reports whether the transport is reliable: everything but UDP
// (§17.1.1.2: "reliable transport" means TCP, TLS, SCTP, WS...).
func (t Target) Reliable() bool {
	return t.Transport != "" && !strings.EqualFold(t.Transport, "UDP")
}

func (t Target) String() string {
	tr := t.Transport
	if tr == "" {
		tr = "UDP"
	}
	s := tr + ":" + t.Addr.String()
	if t.ConnID != 0 {
		s += fmt.Sprintf("#%d", t.ConnID)
	}
	return s
}

// Transport is what the transaction layer needs from the transport layer
// (§18): send one message. Requests go to the target; responses go where
// their top Via says (§18.2.2), with the target as a hint for the
// connection or socket to use. Send may modify the top Via of a request
// (sent-by, rport); the layer hands it private copies.
//
// Messages received by the transport are handed to the layer with
// Layer.HandleMessage, from another goroutine: Send must not call
// HandleMessage synchronously (the transaction is locked while it sends).
type Transport interface {
	Send(ctx context.Context, msg sip.Message, to Target) error
}

// TransportFunc adapts a function to Transport.
type TransportFunc func(ctx context.Context, msg sip.Message, to Target) error

// Send calls f.
func (f TransportFunc) Send(ctx context.Context, msg sip.Message, to Target) error {
	return f(ctx, msg, to)
}

// Config configures a Layer. Zero fields take the defaults; there is no
// package-level state, so layers with different settings coexist.
type Config struct {
	// T1, T2 and T4 are the RFC 3261 base timers (Table 4); defaults
	// 500 ms, 4 s and 5 s. Timers B, F, H, J, L and M are 64·T1.
	T1, T2, T4 time.Duration
	// TimerD is the INVITE client's wait for response retransmissions on
	// unreliable transports; default 32 s (0 on reliable ones).
	TimerD time.Duration
	// TryingDelay is how long an INVITE server transaction waits for the
	// TU's first response before sending 100 Trying itself (§17.2.1: the
	// TU may be assumed to answer within 200 ms). Default 200 ms; a
	// negative value sends 100 Trying as soon as the INVITE arrives.
	TryingDelay time.Duration
	// ViaHost is the sent-by ("host" or "host:port") written into the Via
	// the layer adds to a request that has none. When empty, the target's
	// Local address is used when valid, else "0.0.0.0" (a transport that
	// fills Via, like transport.Options.FillVia, rewrites it).
	ViaHost string

	// Handler receives each new server transaction (a request that
	// matched none). It runs on the goroutine that called HandleMessage,
	// with no lock held, and should return quickly: respond, or hand the
	// transaction to another goroutine. Nil answers 501 Not Implemented.
	// CANCEL and ACK never reach Handler (see OnACK and Server.Cancelled).
	Handler func(s *Server)
	// OnACK receives ACKs no transaction absorbs: ACKs for 2xx (they are
	// a separate transaction, §17.1.1.3) and ACKs matching an INVITE server
	// transaction in the Accepted state (RFC 6026 §8.7).
	OnACK func(ack *sip.Request, from Target)
	// OnStrayResponse receives responses that match no client
	// transaction, such as 2xx retransmissions after Timer M (§17.1.3,
	// RFC 6026 §8.4): the UAC core must ACK them.
	OnStrayResponse func(resp *sip.Response, from Target)
	// OnServerError is told when a server transaction ends in error:
	// Timer H expired (no ACK for a non-2xx final response, §17.2.1) or the
	// transport failed (§17.2.4). Respond also returns send errors. s is
	// the handle the Handler got; if the TU no longer held it, a new
	// handle whose Request is nil.
	OnServerError func(s *Server, err error)
	// Logger receives debug diagnostics; nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.T1 <= 0 {
		c.T1 = DefaultT1
	}
	if c.T2 <= 0 {
		c.T2 = DefaultT2
	}
	if c.T4 <= 0 {
		c.T4 = DefaultT4
	}
	if c.TimerD <= 0 {
		c.TimerD = DefaultTimerD
	}
	if c.TryingDelay == 0 {
		c.TryingDelay = DefaultTryingDelay
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// State is a transaction state (RFC 3261 Figures 5–8, RFC 6026 Figures 3
// and 5).
type State int

// Transaction states.
const (
	StateCalling    State = iota + 1 // INVITE client: request sent, nothing heard
	StateTrying                      // non-INVITE client and server: request sent / received
	StateProceeding                  // a provisional response was received / sent
	StateCompleted                   // final response (non-2xx for INVITE) received / sent
	StateAccepted                    // RFC 6026: 2xx to INVITE received / sent
	StateConfirmed                   // INVITE server: ACK for the non-2xx received
	StateTerminated                  // gone
)

func (s State) String() string {
	switch s {
	case StateCalling:
		return "Calling"
	case StateTrying:
		return "Trying"
	case StateProceeding:
		return "Proceeding"
	case StateCompleted:
		return "Completed"
	case StateAccepted:
		return "Accepted"
	case StateConfirmed:
		return "Confirmed"
	case StateTerminated:
		return "Terminated"
	}
	return "State(" + fmt.Sprint(int(s)) + ")"
}
