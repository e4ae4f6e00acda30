package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// Transport names, spelled as in the Via header (RFC 3261 §20.42).
const (
	UDP = "UDP"
	TCP = "TCP"
	TLS = "TLS"
)

// Reliable reports whether tr is a stream transport.
func Reliable(tr string) bool { return tr == TCP || tr == TLS }

// DefaultPort is 5061 for TLS and 5060 otherwise (RFC 3261 §19.1.2).
func DefaultPort(tr string) uint16 {
	if strings.EqualFold(tr, TLS) {
		return 5061
	}
	return 5060
}

// Sentinel errors.
var (
	ErrClosed        = errors.New("transport: layer closed")
	ErrNoListener    = errors.New("transport: no socket for that transport and address family")
	ErrTooManyConns  = errors.New("transport: connection limit reached")
	ErrConnGone      = errors.New("transport: connection gone")
	ErrKeepAlive     = errors.New("transport: keep-alive pong not received")
	ErrNoDestination = errors.New("transport: cannot determine destination")
)

// Options configures a Layer. The zero value works: UDP only unless stream
// listeners are served, a discarding logger, no tracer.
type Options struct {
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
	// Tracer sees every message sent and received; nil for none.
	Tracer Tracer

	// ViaHost, when set, is the sent-by host written into Via when FillVia
	// is on (e.g. a public address or a host name). Otherwise the local
	// IP of the socket or connection that carries the request is used.
	ViaHost string
	// FillVia makes Send rewrite the top Via of every request: transport,
	// sent-by host and port of the socket used (RFC 3261 §18.1.1).
	FillVia bool
	// NoRport stops Send adding an empty rport parameter to the top Via of
	// requests (added by default, RFC 3581 §3).
	NoRport bool

	// MTU is the path MTU used for the §18.1.1 rule: a UDP request larger
	// than MTU-200 bytes goes over TCP. Default 1500 (threshold 1300).
	MTU int

	// Dial opens outbound streams; default net.Dialer.DialContext. With
	// siptest, pass a closure over Network.Dial.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is the base for TLS client connections (cloned per
	// connection; ServerName defaults to the target host, RootCAs to the
	// system pool plus CAFile). Verification stays on unless the caller
	// sets InsecureSkipVerify.
	TLSConfig *tls.Config
	// CAFile is an optional PEM file of extra trusted roots.
	CAFile string
	// ServerTLSConfig is used by ServeTLS when the listener is not already
	// a TLS listener.
	ServerTLSConfig *tls.Config

	// Limits are the parser limits for datagrams and streams (zero fields
	// take sip.DefaultLimits: 65535-byte messages, 256 headers, 8 KiB
	// lines). Oversized or malformed stream data closes the connection.
	Limits sip.Limits
	// MaxConns bounds the stream connections, inbound and outbound
	// (default 1024).
	MaxConns int
	// IdleTimeout closes a stream connection with no traffic for that long
	// (default 2 minutes; negative disables).
	IdleTimeout time.Duration
	// DialTimeout bounds dial plus TLS handshake (default 10 s).
	DialTimeout time.Duration
	// WriteTimeout bounds one stream write (default 10 s).
	WriteTimeout time.Duration

	// KeepAliveInterval, when > 0, makes outbound stream connections send
	// a CRLFCRLF ping at that interval (RFC 5626 §3.5.1, §4.4.1).
	KeepAliveInterval time.Duration
	// KeepAliveTimeout is how long to wait for the pong before declaring
	// the flow failed (default 10 s, RFC 5626 §4.4.1).
	KeepAliveTimeout time.Duration

	// QueueLen is the capacity of the Messages channel (default 256);
	// readers block when it is full, so delivery is in order and lossless.
	QueueLen int
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MTU <= 0 {
		o.MTU = 1500
	}
	if o.Dial == nil {
		var d net.Dialer
		o.Dial = d.DialContext
	}
	d := sip.DefaultLimits()
	if o.Limits.MaxMessageSize <= 0 {
		o.Limits.MaxMessageSize = d.MaxMessageSize
	}
	if o.Limits.MaxHeaders <= 0 {
		o.Limits.MaxHeaders = d.MaxHeaders
	}
	if o.Limits.MaxLineLength <= 0 {
		o.Limits.MaxLineLength = d.MaxLineLength
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 1024
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.KeepAliveTimeout <= 0 {
		o.KeepAliveTimeout = 10 * time.Second
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 256
	}
}

// Target says where Send puts a message.
type Target struct {
	// Transport is UDP, TCP or TLS (empty means UDP).
	Transport string
	// Addr is the remote IP and port.
	Addr netip.AddrPort
	// Host is the name the target was resolved from; TLS uses it for SNI
	// and certificate verification (defaults to Addr's IP).
	Host string
	// ConnID, when not 0, asks for that stream connection (responses go
	// back on the connection their request came on, §18.2.2).
	ConnID uint64
	// Local, when valid, picks the UDP socket bound to that address.
	Local netip.AddrPort
	// UDPOnly forbids the §18.1.1 switch of large requests to TCP.
	UDPOnly bool
}

func (t Target) String() string {
	tr := t.Transport
	if tr == "" {
		tr = UDP
	}
	s := tr + ":" + t.Addr.String()
	if t.ConnID != 0 {
		s += fmt.Sprintf("#%d", t.ConnID)
	}
	return s
}

// Source tells where a message came from.
type Source struct {
	Transport     string
	Local, Remote netip.AddrPort
	ConnID        uint64 // 0 for UDP
}

// Reply is the Target that sends back the way s came.
func (s Source) Reply() Target {
	return Target{Transport: s.Transport, Addr: s.Remote, ConnID: s.ConnID, Local: s.Local}
}

// ConnError reports a stream connection that ended for a reason other
// than Close or our idle timer: the peer closed it (Err wraps io.EOF) or
// reset it, it sent malformed or oversized data, a write failed, or it
// stopped answering keep-alives (RFC 5626 §4.4.1: the flow has failed).
type ConnError struct {
	Source
	Err error
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("transport: %s connection #%d %s→%s: %v", e.Transport, e.ConnID, e.Local, e.Remote, e.Err)
}

func (e *ConnError) Unwrap() error { return e.Err }

// Direction of a traced message.
type Direction int

const (
	Received Direction = iota // read from the network
	Sent                      // written to the network
)

func (d Direction) String() string {
	if d == Sent {
		return "sent"
	}
	return "received"
}

// TraceEvent describes one message on the wire.
type TraceEvent struct {
	Dir  Direction
	Time time.Time
	Source
	Data []byte // the exact bytes; shared, do not modify or retain
}

// Tracer sees every SIP message sent and received (keep-alives excluded).
// It is called synchronously from the sending or reading goroutine and
// must not block; redaction is the caller's business.
type Tracer interface {
	Trace(ev TraceEvent)
}

// TracerFunc adapts a function to Tracer.
type TracerFunc func(TraceEvent)

// Trace calls f.
func (f TracerFunc) Trace(ev TraceEvent) { f(ev) }
