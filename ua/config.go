package ua

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/teaphone/teaphone/sipcore/resolve"
	"github.com/teaphone/teaphone/sipcore/sip"
)

// Sentinel errors callers branch on (errors.Is).
var (
	ErrNoSuchCall    = errors.New("ua: no such call")
	ErrNoSuchAccount = errors.New("ua: no such account")
	ErrBadTarget     = errors.New("ua: bad target")
	ErrClosed        = errors.New("ua: agent closed")
	ErrNotRegistered = errors.New("ua: not registered")
	ErrNotStarted    = errors.New("ua: agent not started")
	ErrBadState      = errors.New("ua: not possible in the call's state")
	ErrBadConfig     = errors.New("ua: bad configuration")
)

// ResponseError is a SIP failure: the final response that ended a request.
type ResponseError struct {
	Code   int
	Reason string
}

func (e *ResponseError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Reason) }

// SIPStatus returns the status code and reason phrase.
func (e *ResponseError) SIPStatus() (int, string) { return e.Code, e.Reason }

// DTMF modes of an account.
const (
	DTMFRFC4733 = "rfc4733"
	DTMFInfo    = "info"
)

// Account is one SIP identity.
type Account struct {
	Name        string // key used by the API; defaults to User@Domain
	User        string // user part of the AOR
	Domain      string // host part of the AOR (the registrar's domain, or an IP for direct accounts)
	DisplayName string
	AuthUser    string // digest user name; defaults to User
	Password    string
	// Registrar is the registrar URI ("sip:example.com"); empty means
	// sip:Domain. Ignored when NoRegister is set.
	Registrar string
	// OutboundProxy, when set, receives every out-of-dialog request (a
	// pre-loaded loose Route, RFC 3261 §8.1.2).
	OutboundProxy string
	// Transport is "udp" (default), "tcp" or "tls".
	Transport string
	// Expires is the registration lifetime asked for; 0 means 3600 s.
	Expires time.Duration
	// NoRegister makes a direct-IP account: no REGISTER, ready at once.
	NoRegister bool
	// DTMF is DTMFRFC4733 (default) or DTMFInfo.
	DTMF string
	// Codecs is the preference passed to media.
	Codecs []string
}

func (a Account) aor() string { return "sip:" + sip.EscapeUser(a.User) + "@" + a.Domain }

// Config configures an Agent. Only Accounts and Media are required.
type Config struct {
	Accounts []Account

	// Listen are listen specs "udp:IP:port", "tcp:IP:port", "tls:IP:port"
	// (port 0 picks one). Used when no pre-made sockets are given; the
	// default is "udp:0.0.0.0:0".
	Listen []string
	// PacketConns, Listeners and TLSListeners are pre-made sockets (tests
	// pass siptest conns); the agent owns them from Start.
	PacketConns  []net.PacketConn
	Listeners    []net.Listener
	TLSListeners []net.Listener
	// Dial opens outbound streams (siptest: a closure over Network.Dial).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLS client settings.
	TLSCAFile   string
	TLSInsecure bool
	TLSConfig   *tls.Config
	// TLSCertFile and TLSKeyFile are our certificate for "tls:" Listen
	// specs (pre-made TLSListeners must already speak TLS).
	TLSCertFile, TLSKeyFile string

	// Resolver resolves host names in URIs (RFC 3263); nil makes one from
	// /etc/resolv.conf on the first name seen.
	Resolver *resolve.Resolver

	// Transaction timers (zero: RFC defaults).
	T1, T2, T4 time.Duration

	AutoAnswer      bool
	AutoAnswerDelay time.Duration
	DND             bool
	// NoCallWaiting makes a second incoming call get 486 while a call is up.
	NoCallWaiting bool
	// RTPTimeout hangs up a call when media reports no RTP for this long;
	// 0 disables.
	RTPTimeout time.Duration
	// MaxRedirects bounds 3xx hops for one call; 0 means 5, negative
	// means 3xx responses end the call instead of being followed.
	MaxRedirects int
	// CallTimeout bounds an outgoing call from INVITE to answer; 0 means
	// 120 s.
	CallTimeout time.Duration
	// StatsInterval is the period of MediaStatsEvents; 0 means 1 s,
	// negative disables them.
	StatsInterval time.Duration
	// SubscribeExpires and PublishExpires: 0 means 3600 s.
	SubscribeExpires time.Duration
	PublishExpires   time.Duration

	UserAgent string
	Media     MediaFactory
	Logger    *slog.Logger
	// Rand supplies randomness for the registration back-off jitter; nil
	// uses math/rand/v2. (The §14.1 glare back-off is sipcore/dialog's.)
	Rand func() float64
}

func (c *Config) validate() error {
	if c.Media == nil {
		return fmt.Errorf("%w: a media factory is required", ErrBadConfig)
	}
	if len(c.Accounts) == 0 {
		return fmt.Errorf("%w: no account", ErrBadConfig)
	}
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if a.User == "" || a.Domain == "" {
			return fmt.Errorf("%w: account %d: user and domain are required", ErrBadConfig, i+1)
		}
		if a.Name == "" {
			a.Name = a.User + "@" + a.Domain
		}
		if seen[a.Name] {
			return fmt.Errorf("%w: duplicate account %q", ErrBadConfig, a.Name)
		}
		seen[a.Name] = true
		if _, err := sip.ParseURI(a.aor()); err != nil {
			return fmt.Errorf("%w: account %q: address %s: %v", ErrBadConfig, a.Name, a.aor(), err)
		}
		a.Transport = strings.ToLower(a.Transport)
		switch a.Transport {
		case "":
			a.Transport = "udp"
		case "udp", "tcp", "tls":
		default:
			return fmt.Errorf("%w: account %q: unknown transport %q", ErrBadConfig, a.Name, a.Transport)
		}
		if a.Expires <= 0 {
			a.Expires = time.Hour
		}
		if a.AuthUser == "" {
			a.AuthUser = a.User
		}
		switch strings.ToLower(a.DTMF) {
		case "", DTMFRFC4733:
			a.DTMF = DTMFRFC4733
		case DTMFInfo:
			a.DTMF = DTMFInfo
		default:
			return fmt.Errorf("%w: account %q: unknown dtmf mode %q", ErrBadConfig, a.Name, a.DTMF)
		}
		if !a.NoRegister {
			if a.Registrar == "" {
				a.Registrar = "sip:" + a.Domain
			}
			if !strings.Contains(a.Registrar, ":") || !(strings.HasPrefix(a.Registrar, "sip:") || strings.HasPrefix(a.Registrar, "sips:")) {
				a.Registrar = "sip:" + a.Registrar
			}
			if _, err := sip.ParseURI(a.Registrar); err != nil {
				return fmt.Errorf("%w: account %q: registrar: %v", ErrBadConfig, a.Name, err)
			}
		}
		if a.OutboundProxy != "" {
			if !strings.HasPrefix(a.OutboundProxy, "sip:") && !strings.HasPrefix(a.OutboundProxy, "sips:") {
				a.OutboundProxy = "sip:" + a.OutboundProxy
			}
			if _, err := sip.ParseURI(a.OutboundProxy); err != nil {
				return fmt.Errorf("%w: account %q: outbound proxy: %v", ErrBadConfig, a.Name, err)
			}
		}
	}
	switch {
	case c.MaxRedirects < 0:
		c.MaxRedirects = 0
	case c.MaxRedirects == 0:
		c.MaxRedirects = 5
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 120 * time.Second
	}
	if c.StatsInterval == 0 {
		c.StatsInterval = time.Second
	}
	if c.SubscribeExpires <= 0 {
		c.SubscribeExpires = time.Hour
	}
	if c.PublishExpires <= 0 {
		c.PublishExpires = time.Hour
	}
	if c.UserAgent == "" {
		c.UserAgent = "teaphone"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if len(c.PacketConns) == 0 && len(c.Listeners) == 0 && len(c.TLSListeners) == 0 && len(c.Listen) == 0 {
		c.Listen = []string{"udp:0.0.0.0:0"}
	}
	return nil
}
