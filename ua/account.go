package ua

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/teaphone/teaphone/sipcore/digest"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// account is one configured identity and its registration (RFC 3261 §10).
// Loop-owned.
type account struct {
	a      *Agent
	cfg    *Account
	digest *digest.Client

	state    RegState
	callID   string
	fromTag  string
	cseq     uint32
	expires  time.Duration // asked for; raised by 423
	granted  time.Duration
	public   netip.AddrPort // learned from received/rport (RFC 3581)
	regd     sip.Address    // the Contact the registrar holds
	stale    sip.Address    // a binding to remove with the next REGISTER
	timer    *time.Timer
	failures int
	gen      int // ignores responses to superseded REGISTERs
	tries423 int
	shut     bool

	presence Presence
	hasPres  bool
	pub      *publication
}

func newAccount(a *Agent, cfg *Account) *account {
	return &account{
		a:       a,
		cfg:     cfg,
		digest:  digest.NewClient(digest.ClientConfig{Username: cfg.AuthUser, Password: cfg.Password}),
		expires: cfg.Expires,
		presence: Presence{
			Basic: BasicOpen,
		},
	}
}

func (acc *account) aor() sip.Address {
	return sip.Address{DisplayName: acc.cfg.DisplayName, URI: mustURI(acc.cfg.aor())}
}

// serverURI is the registrar (or the domain) of the account.
func (acc *account) serverURI() string {
	if acc.cfg.Registrar != "" {
		return acc.cfg.Registrar
	}
	return "sip:" + acc.cfg.Domain
}

// contact is our Contact: the learned public address when there is one
// (RFC 3581), else the local socket address of the account's transport.
func (acc *account) contact() sip.Address {
	tr := strings.ToUpper(acc.cfg.Transport)
	ap, ok := acc.a.locals[tr]
	if !ok {
		for _, v := range acc.a.locals {
			ap = v
			break
		}
	}
	if acc.public.IsValid() {
		ap = acc.public
	}
	u := sip.URI{Scheme: "sip", User: sip.EscapeUser(acc.cfg.User), Host: hostOf(ap.Addr()), Port: int(ap.Port())}
	if acc.cfg.Transport == "tls" {
		u.Scheme = "sips"
	} else if acc.cfg.Transport == "tcp" {
		u.Params = u.Params.Set("transport", "tcp")
	}
	return sip.Address{URI: u}
}

func hostOf(ip netip.Addr) string {
	if ip.Is6() && !ip.Is4In6() {
		return "[" + ip.String() + "]"
	}
	return ip.Unmap().String()
}

// outboundRoute pre-loads the outbound proxy as a loose route (§8.1.2).
func (acc *account) outboundRoute(req *sip.Request) {
	if acc.cfg.OutboundProxy == "" {
		return
	}
	u := mustURI(acc.cfg.OutboundProxy)
	if !u.Params.Has("lr") {
		u.Params = u.Params.Set("lr", "")
	}
	req.SetRoutes([]sip.Address{{URI: u}})
}

// newRequest builds an out-of-dialog request from the account (§8.1.1).
func (acc *account) newRequest(method string, to sip.Address) *sip.Request {
	req := sip.NewRequest(method, to.URI.Clone())
	from := acc.aor()
	from.Params = from.Params.Set("tag", sip.NewTag())
	req.SetFrom(from)
	to.Params = to.Params.Del("tag")
	req.SetTo(to)
	req.SetCallID(sip.NewCallID(""))
	req.SetCSeq(sip.CSeq{Seq: 1, Method: method})
	req.SetHeader("User-Agent", acc.a.cfg.UserAgent)
	acc.outboundRoute(req)
	return req
}

func (acc *account) startup() {
	if acc.cfg.NoRegister {
		acc.state = RegDirect
		acc.a.emit(RegistrationEvent{Account: acc.cfg.Name, AOR: acc.cfg.aor(), State: RegDirect, Contact: acc.contact().String()})
		return
	}
	acc.callID = sip.NewCallID("")
	acc.fromTag = sip.NewTag()
	acc.register(false)
}

func (a *Agent) startAccounts() {
	for _, acc := range a.accounts {
		acc.startup()
	}
	a.scheduleStats()
}

func (acc *account) stopTimers() {
	if acc.timer != nil {
		acc.timer.Stop()
		acc.timer = nil
	}
	if acc.pub != nil && acc.pub.timer != nil {
		acc.pub.timer.Stop()
	}
}

func (acc *account) emitReg(code int, reason string, kind FailureKind) {
	ev := RegistrationEvent{Account: acc.cfg.Name, AOR: acc.cfg.aor(), State: acc.state, Code: code, Reason: reason, Kind: kind}
	if acc.state == RegRegistered {
		ev.Expires = acc.granted
		ev.Contact = acc.regd.String()
	}
	acc.a.emit(ev)
}

// register sends a REGISTER (§10.2); unregister asks for expires=0.
func (acc *account) register(unregister bool) {
	if acc.cfg.NoRegister {
		return
	}
	if acc.timer != nil {
		acc.timer.Stop()
		acc.timer = nil
	}
	acc.gen++
	gen := acc.gen
	reg := mustURI(acc.cfg.Registrar)
	req := sip.NewRequest("REGISTER", reg)
	from := acc.aor()
	from.Params = from.Params.Set("tag", acc.fromTag)
	req.SetFrom(from)
	req.SetTo(acc.aor())
	req.SetCallID(acc.callID) // §10.2: the same Call-ID for every REGISTER to a registrar
	acc.cseq++
	req.SetCSeq(sip.CSeq{Seq: acc.cseq, Method: "REGISTER"})
	contact := acc.contact()
	if unregister && acc.regd.URI.Host != "" {
		contact = acc.regd
	}
	if !unregister && acc.stale.URI.Host != "" && acc.stale.URI.String() != contact.URI.String() {
		// §10.2.2: remove the binding of our previous address in the same
		// request.
		old := acc.stale
		old.Params = old.Params.Set("expires", "0")
		req.SetContacts(contact, old)
	} else {
		req.SetContacts(contact)
	}
	acc.stale = sip.Address{}
	secs := int(acc.expires / time.Second)
	if unregister {
		secs = 0
	}
	req.SetExpires(secs)
	req.SetHeader("User-Agent", acc.a.cfg.UserAgent)
	req.SetHeader("Allow", allowHeader)
	acc.outboundRoute(req)
	if !unregister && acc.state != RegRegistered && acc.state != RegRegistering {
		acc.state = RegRegistering
		acc.emitReg(0, "", FailNone)
	}
	o := &outReq{acc: acc, req: req, dest: nextHop(req, acc.cfg.Transport), nextSeq: func() uint32 { acc.cseq++; return acc.cseq }}
	// RFC 3261 §22.3: answer the last challenge again so a refresh needs
	// no extra round trip.
	if v, ok := acc.digest.Cached(digest.Request{Method: "REGISTER", URI: req.URI.String()}); ok {
		req.SetHeader("Authorization", v)
		o.preemptive = true
	}
	o.h = func(resp *sip.Response, err error) {
		if gen != acc.gen && !unregister {
			return
		}
		if resp != nil && resp.IsProvisional() {
			return
		}
		if unregister {
			acc.unregistered()
			return
		}
		acc.onRegisterResult(o.req, contact, resp, err)
	}
	acc.a.start(o)
}

func (acc *account) unregistered() {
	if acc.state != RegUnregistered {
		acc.state = RegUnregistered
		acc.emitReg(0, "", FailNone)
	}
	if acc.shut {
		acc.shut = false
		acc.a.release()
	}
}

func (acc *account) onRegisterResult(req *sip.Request, contact sip.Address, resp *sip.Response, err error) {
	if err != nil {
		code, reason, kind := classify(err)
		acc.failed(code, reason, kind)
		return
	}
	switch {
	case resp.IsSuccess():
		acc.failures, acc.tries423 = 0, 0
		// RFC 3581 §4 / §9: the registrar saw us at received:rport; when
		// that differs from our Contact we are behind a NAT: register the
		// public address instead.
		if v, err := resp.TopVia(); err == nil && acc.cfg.Transport == "udp" {
			if pub, ok := v.ReceivedAddrPort(); ok && pub != contactAddrPort(contact) && pub != acc.public {
				acc.public = pub
				acc.stale = contact
				acc.register(false)
				return
			}
		}
		acc.granted = grantedExpires(resp, contact, acc.expires)
		acc.regd = contact
		prev := acc.state
		acc.state = RegRegistered
		if prev != RegRegistered {
			acc.emitReg(resp.StatusCode, "", FailNone)
		}
		if acc.granted <= 0 {
			return
		}
		// Refresh at max(expires/2, expires-30s) (DESIGN.md).
		d := max(acc.granted/2, acc.granted-30*time.Second)
		acc.timer = acc.a.afterFunc(d, func() { acc.timer = nil; acc.register(false) })
	case resp.StatusCode == 423:
		// §10.2.8: retry with at least Min-Expires.
		if me, err := resp.MinExpires(); err == nil && me > 0 && acc.tries423 < 3 {
			acc.tries423++
			acc.expires = max(acc.expires, time.Duration(me)*time.Second)
			acc.register(false)
			return
		}
		acc.failed(resp.StatusCode, resp.Reason, FailRejected)
	default:
		acc.failed(resp.StatusCode, resp.Reason, failKind(resp.StatusCode))
	}
}

// failed reports the failure and schedules a retry: 30 s·2ⁿ, at most
// 30 min, with jitter.
func (acc *account) failed(code int, reason string, kind FailureKind) {
	acc.state = RegFailed
	msg := reason
	if code > 0 {
		msg = strconv.Itoa(code) + " " + reason
	}
	if kind == FailAuth {
		msg += ": " + kind.String()
	}
	acc.emitReg(code, msg, kind)
	d := 30 * time.Second << min(acc.failures, 6)
	d = min(d, 30*time.Minute)
	d = time.Duration(float64(d) * (0.75 + 0.25*acc.a.random()))
	acc.failures++
	acc.timer = acc.a.afterFunc(d, func() { acc.timer = nil; acc.register(false) })
}

func (acc *account) shutdown() {
	acc.stopTimers()
	acc.unpublish()
	if acc.cfg.NoRegister {
		return
	}
	if acc.state == RegRegistered || acc.state == RegRegistering {
		acc.shut = true
		acc.a.hold()
		acc.register(true)
	}
}

func contactAddrPort(c sip.Address) netip.AddrPort {
	ip, err := netip.ParseAddr(c.URI.Hostname())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(c.URI.Port))
}

// grantedExpires reads the lifetime the registrar granted our binding
// (§10.2.4): the Contact's expires parameter, else Expires, else ours.
func grantedExpires(resp *sip.Response, ours sip.Address, asked time.Duration) time.Duration {
	if cs, err := resp.Contacts(); err == nil {
		for _, c := range cs {
			if c.URI.User == ours.URI.User && strings.EqualFold(c.URI.Hostname(), ours.URI.Hostname()) && c.URI.Port == ours.URI.Port {
				if v, ok := c.Params.Get("expires"); ok {
					if n, err := strconv.Atoi(v); err == nil {
						return time.Duration(n) * time.Second
					}
				}
			}
		}
	}
	if n, err := resp.Expires(); err == nil && resp.HasHeader("Expires") {
		return time.Duration(n) * time.Second
	}
	return asked
}

// ---- requests with authentication ----

// outReq is one request we send, resent with credentials when challenged
// (RFC 3261 §22.2, §22.3).
type outReq struct {
	acc      *account
	req      *sip.Request // as last sent (credentials included)
	dest     destination
	nextSeq  func() uint32 // nil → CSeq+1
	h        txHandler
	onClient func(*transaction.Client)
	ctx      context.Context // nil: the agent's; ending it abandons the transaction
	tries    int
	// preemptive: the first credentials came from digest.Client.Cached, so
	// a challenge to them is not a wrong password.
	preemptive bool
}

func (a *Agent) start(o *outReq) {
	var used transaction.Target
	a.send(o.ctx, o.req, o.dest, func(resp *sip.Response, err error) {
		if resp != nil && (resp.StatusCode == 401 || resp.StatusCode == 407) && o.tries < 4 {
			o.dest.pinned = &used
			if next, aerr := o.authorize(resp); aerr == nil {
				o.tries++
				o.req = next
				a.start(o)
				return
			}
		}
		o.h(resp, err)
	}, func(c *transaction.Client, tgt transaction.Target) {
		used = tgt
		if o.onClient != nil {
			o.onClient(c)
		}
	})
}

// authorize answers a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)
// and returns the request to send again, with a new CSeq.
func (o *outReq) authorize(resp *sip.Response) (*sip.Request, error) {
	chName, credName := "WWW-Authenticate", "Authorization"
	if resp.StatusCode == 407 {
		chName, credName = "Proxy-Authenticate", "Proxy-Authorization"
	}
	chs, err := digest.ParseChallenges(resp.HeaderValues(chName)...)
	if err != nil {
		return nil, err
	}
	next := o.req.Clone()
	next.RemoveHeader("Via")
	dr := digest.Request{Method: next.Method, URI: next.URI.String(), Body: next.Body()}
	prev := o.req.Header(credName)
	if o.preemptive && o.tries == 0 {
		prev = ""
	}
	val, err := o.acc.digest.Answer(chs, dr, prev)
	if err != nil {
		if errors.Is(err, digest.ErrRejected) {
			return nil, fmt.Errorf("credentials rejected: %w", err)
		}
		return nil, err
	}
	next.SetHeader(credName, val)
	cs, _ := next.CSeq()
	if o.nextSeq != nil {
		cs.Seq = o.nextSeq()
	} else {
		cs.Seq++
	}
	next.SetCSeq(cs)
	return next, nil
}
