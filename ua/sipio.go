package ua

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/digest"
	"github.com/teaphone/teaphone/sipcore/resolve"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
	"github.com/teaphone/teaphone/sipcore/transport"
)

// allowedMethods lists the methods we accept (RFC 3261 §8.2.1; Allow).
func allowedMethods() []string {
	return []string{"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "MESSAGE", "INFO", "UPDATE", "SUBSCRIBE", "NOTIFY"}
}

const allowHeader = "INVITE, ACK, CANCEL, BYE, OPTIONS, MESSAGE, INFO, UPDATE, SUBSCRIBE, NOTIFY"

// ---- tracing ----

func (a *Agent) trace(ev transport.TraceEvent) {
	raw := redact(string(ev.Data))
	line, _, _ := strings.Cut(raw, "\r\n")
	a.emit(TraceEvent{
		At:        ev.Time,
		Sent:      ev.Dir == transport.Sent,
		Transport: strings.ToLower(ev.Transport),
		Local:     ev.Local.String(),
		Remote:    ev.Remote.String(),
		CallID:    headerLine(raw, "call-id", "i"),
		Summary:   summary(line),
		Raw:       raw,
	})
}

func summary(startLine string) string {
	if rest, ok := strings.CutPrefix(startLine, "SIP/2.0 "); ok {
		return rest
	}
	if i := strings.LastIndex(startLine, " SIP/"); i > 0 {
		return startLine[:i]
	}
	return startLine
}

// headerLine returns the value of the first header named name (or its
// compact form) in a raw message.
func headerLine(raw, name, compact string) string {
	head, _, _ := strings.Cut(raw, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n")[1:] {
		n, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		n = strings.ToLower(strings.TrimSpace(n))
		if n == name || (compact != "" && n == compact) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// redact hides digest responses in Authorization and Proxy-Authorization
// header lines of a raw message (digest.Redact: the user name, realm, uri,
// algorithm and qop stay, the rest becomes "[redacted]").
func redact(raw string) string {
	head, body, hasBody := strings.Cut(raw, "\r\n\r\n")
	if !strings.Contains(strings.ToLower(head), "authorization") {
		return raw
	}
	lines := strings.Split(head, "\r\n")
	for i, l := range lines {
		n, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		ln := strings.ToLower(strings.TrimSpace(n))
		if ln != "authorization" && ln != "proxy-authorization" {
			continue
		}
		lines[i] = n + ": " + digest.Redact(v)
	}
	out := strings.Join(lines, "\r\n")
	if hasBody {
		out += "\r\n\r\n" + body
	}
	return out
}

// ---- destinations ----

// destination is where a request goes before resolution.
type destination struct {
	uri       sip.URI
	transport string // "" → from the URI or the account
	// pinned, when set, is the target that answered an earlier attempt of
	// the same request (a resend with credentials goes there too).
	pinned *transaction.Target
}

// nextHop applies RFC 3261 §8.1.2 / §16.12 loose routing: the first Route,
// else the Request-URI.
func nextHop(req *sip.Request, tr string) destination {
	if rs, err := req.Routes(); err == nil && len(rs) > 0 {
		return destination{uri: rs[0].URI, transport: tr}
	}
	return destination{uri: req.URI, transport: tr}
}

// resolve turns a destination into transaction targets, in the order
// RFC 3263 §4 gives them (one for a numeric host).
func (a *Agent) resolve(ctx context.Context, d destination) ([]transaction.Target, error) {
	if d.pinned != nil {
		return []transaction.Target{*d.pinned}, nil
	}
	u := d.uri
	if !u.IsSIP() {
		return nil, fmt.Errorf("%w: cannot route to %s", ErrBadTarget, u.String())
	}
	tr := strings.ToUpper(d.transport)
	if p, ok := u.Param("transport"); ok && p != "" {
		tr = strings.ToUpper(p)
	}
	if u.IsSIPS() {
		tr = transport.TLS
	}
	if tr == "" {
		tr = transport.UDP
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		port := u.Port
		if port == 0 {
			port = int(transport.DefaultPort(tr))
		}
		return []transaction.Target{{Transport: tr, Addr: netip.AddrPortFrom(ip.Unmap(), uint16(port))}}, nil
	}
	r, err := a.resolver()
	if err != nil {
		return nil, err
	}
	q := resolve.Query{Host: u.Hostname(), Port: u.Port, Secure: u.IsSIPS()}
	if p, ok := u.Param("transport"); ok {
		q.Transport = strings.ToLower(p)
	} else if d.transport != "" && !u.IsSIPS() {
		q.Transport = strings.ToLower(d.transport)
	}
	ts, err := r.Resolve(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", u.Hostname(), err)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("resolve %s: %w", u.Hostname(), resolve.ErrNoTargets)
	}
	out := make([]transaction.Target, 0, len(ts))
	for _, t := range ts {
		out = append(out, transaction.Target{Transport: strings.ToUpper(t.Transport), Addr: t.AddrPort(), Host: u.Hostname()})
	}
	return out, nil
}

// resolver is created lazily (the only state touched off the loop, hence
// the lock).
func (a *Agent) resolver() (*resolve.Resolver, error) {
	a.resMu.Lock()
	defer a.resMu.Unlock()
	if a.cfg.Resolver == nil {
		r, err := resolve.New(resolve.Config{})
		if err != nil {
			return nil, err
		}
		a.cfg.Resolver = r
	}
	return a.cfg.Resolver, nil
}

// ---- client transactions ----

// txHandler receives the responses of one client transaction in the loop:
// every provisional and final response (and 2xx retransmissions for an
// INVITE), or err when the transaction failed (timeout, transport, resolve).
type txHandler func(resp *sip.Response, err error)

// send starts a client transaction for req in its own goroutine; onClient,
// when not nil, receives the transaction handle in the loop (to CANCEL).
// When the first targets fail before any response (transport error,
// timeout) or answer 503, the next resolved target is tried (RFC 3263
// §4.3).
func (a *Agent) send(ctx context.Context, req *sip.Request, d destination, h txHandler, onClient func(*transaction.Client, transaction.Target)) {
	if ctx == nil {
		ctx = a.ctx
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		tgts, err := a.resolve(ctx, d)
		if err != nil {
			a.post(func() { h(nil, err) })
			return
		}
		for i, tgt := range tgts {
			if a.attempt(ctx, req, tgt, h, onClient, i < len(tgts)-1) {
				return
			}
		}
	}()
}

// attempt runs one client transaction towards tgt; it returns false when
// the caller should fail over to the next target (only when more is set).
func (a *Agent) attempt(ctx context.Context, req *sip.Request, tgt transaction.Target, h txHandler, onClient func(*transaction.Client, transaction.Target), more bool) bool {
	c, err := a.tx.Request(ctx, req, tgt)
	if err != nil {
		if more && ctx.Err() == nil {
			return false
		}
		a.post(func() { h(nil, err) })
		return true
	}
	if onClient != nil {
		a.post(func() { onClient(c, tgt) })
	}
	heard := false
	for r := range c.Responses() {
		if more && !heard && r.StatusCode == 503 {
			return false
		}
		heard = true
		a.post(func() { h(r, nil) })
	}
	if err := c.Err(); err != nil {
		if more && !heard && ctx.Err() == nil {
			return false
		}
		a.post(func() { h(nil, err) })
	}
	return true
}

// respond queues resp for s. Responses are sent in order by one goroutine
// (the responder), so the loop never waits on the network: a response over
// TCP/TLS may need a connection first (RFC 3261 §18.2.2).
func (a *Agent) respond(s *transaction.Server, resp *sip.Response) {
	a.respondIn(nil, s, resp)
}

// respondIn queues resp for s, a request in dialog d: the responder sends
// it through d.Respond, so the dialog sees it (a 2xx to an INVITE is
// retransmitted until the ACK, §13.3.1.4; a final response ends a
// re-INVITE or, non-2xx to the INVITE, the early dialog).
func (a *Agent) respondIn(d *dialog.Dialog, s *transaction.Server, resp *sip.Response) {
	if !resp.HasHeader("User-Agent") {
		resp.SetHeader("User-Agent", a.cfg.UserAgent)
	}
	a.respMu.Lock()
	a.respQ = append(a.respQ, queuedResp{s, resp, d})
	a.respMu.Unlock()
	select {
	case a.respSignal <- struct{}{}:
	default:
	}
}

type queuedResp struct {
	s    *transaction.Server
	resp *sip.Response
	d    *dialog.Dialog // nil outside a dialog
}

func (a *Agent) responder() {
	defer a.wg.Done()
	for {
		a.respMu.Lock()
		q := a.respQ
		a.respQ = nil
		a.respMu.Unlock()
		for _, r := range q {
			respond := r.s.Respond
			if r.d != nil {
				respond = func(resp *sip.Response) error { return r.d.Respond(r.s, resp) }
			}
			if err := respond(r.resp); err != nil && !errors.Is(err, transaction.ErrTerminated) && !errors.Is(err, transaction.ErrClosed) {
				a.cfg.Logger.Debug("respond failed", "err", err)
			}
		}
		if len(q) > 0 {
			continue
		}
		select {
		case <-a.respSignal:
		case <-a.stopPump:
			return
		}
	}
}

func (a *Agent) reply(s *transaction.Server, code int, reason string, hdrs ...string) *sip.Response {
	return a.replyIn(nil, s, code, reason, hdrs...)
}

// replyIn is reply for a request in dialog d (see respondIn).
func (a *Agent) replyIn(d *dialog.Dialog, s *transaction.Server, code int, reason string, hdrs ...string) *sip.Response {
	resp := sip.NewResponse(s.Request(), code, reason)
	for i := 0; i+1 < len(hdrs); i += 2 {
		resp.SetHeader(hdrs[i], hdrs[i+1])
	}
	a.respondIn(d, s, resp)
	return resp
}

// classify turns a failed transaction into a SIP code, reason and kind.
func classify(err error) (int, string, FailureKind) {
	var ce *transport.CertificateError
	switch {
	case errors.As(err, &ce):
		return 503, "TLS: certificate of " + ce.Host + " " + ce.Problem, FailTLS
	case errors.Is(err, transaction.ErrTimeout):
		return 408, "Request Timeout", FailTimeout
	case errors.Is(err, context.DeadlineExceeded):
		return 408, "Request Timeout", FailTimeout
	case errors.Is(err, ErrBadTarget):
		return 0, err.Error(), FailBadConfig
	case strings.Contains(strings.ToLower(err.Error()), "tls") || strings.Contains(err.Error(), "x509"):
		return 503, "TLS: " + err.Error(), FailTLS
	}
	return 503, "Service Unavailable: " + err.Error(), FailNetwork
}

func failKind(code int) FailureKind {
	switch code {
	case 401, 407:
		return FailAuth
	case 403:
		return FailForbidden
	case 408:
		return FailTimeout
	}
	return FailRejected
}

// ---- incoming requests ----

func (a *Agent) onRequest(s *transaction.Server) {
	req := s.Request()
	if a.stopLoop {
		return
	}
	if se := sip.ValidateRequest(req, sip.ValidateOptions{Allowed: allowedMethods()}); se != nil {
		resp := se.Response(req)
		a.respond(s, resp)
		return
	}
	if a.closing && req.Method != "BYE" && req.Method != "NOTIFY" {
		a.reply(s, 503, "Shutting Down")
		return
	}
	if req.ToTag() != "" {
		a.inDialog(s)
		return
	}
	switch req.Method {
	case "OPTIONS":
		a.reply(s, 200, "", "Allow", allowHeader, "Accept", "application/sdp, text/plain, application/pidf+xml", "Allow-Events", "presence")
	case "INVITE":
		acc := a.matchAccount(req.URI)
		if acc == nil {
			a.reply(s, 404, "Not Found")
			return
		}
		a.incomingInvite(acc, s)
	case "MESSAGE":
		acc := a.matchAccount(req.URI)
		if acc == nil {
			a.reply(s, 404, "Not Found")
			return
		}
		a.incomingMessage(acc, s)
	case "SUBSCRIBE":
		acc := a.matchAccount(req.URI)
		if acc == nil {
			a.reply(s, 404, "Not Found")
			return
		}
		a.incomingSubscribe(acc, s)
	case "NOTIFY":
		// A NOTIFY without To tag cannot match our subscriptions (our
		// SUBSCRIBE always carries a From tag).
		a.reply(s, 481, "Subscription Does Not Exist")
	default:
		a.reply(s, 481, "Call/Transaction Does Not Exist")
	}
}

// matchAccount finds the account a Request-URI addresses: the user part
// of an account (any host: the Request-URI is our registered Contact or
// our AOR) — RFC 3261 §8.2.2.1.
func (a *Agent) matchAccount(u sip.URI) *account {
	if !u.IsSIP() || u.User == "" {
		return nil
	}
	user := sip.Unescape(u.User)
	var byUser *account
	for _, acc := range a.accounts {
		if acc.cfg.User != user {
			continue
		}
		if strings.EqualFold(u.Hostname(), acc.cfg.Domain) {
			return acc
		}
		if byUser == nil {
			byUser = acc
		}
	}
	if byUser != nil && !a.isOurHost(u) && !a.knownDomain(u.Hostname()) {
		return nil
	}
	return byUser
}

func (a *Agent) knownDomain(h string) bool {
	for _, acc := range a.accounts {
		if strings.EqualFold(h, acc.cfg.Domain) {
			return true
		}
	}
	return false
}

func (a *Agent) isOurHost(u sip.URI) bool {
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, ap := range a.locals {
		if ap.Addr() == ip {
			return true
		}
	}
	for _, acc := range a.accounts {
		if acc.public.IsValid() && acc.public.Addr() == ip {
			return true
		}
	}
	return false
}

func (a *Agent) inDialog(s *transaction.Server) {
	// Calls' and subscriptions' dialogs live in the dialog layer: §12.2.2
	// checks there, then onDialogRequest.
	if a.dm.Deliver(s) {
		return
	}
	req := s.Request()
	if sub, ok := a.subByCID[req.CallID()]; ok && req.Method == "NOTIFY" && req.ToTag() == sub.localTag {
		// a NOTIFY for our SUBSCRIBE from a notifier we have no dialog
		// with (yet: RFC 6665 §4.1.2.4)
		a.subNotify(sub, nil, s)
		return
	}
	a.noDialog(s)
}

// noDialog answers an in-dialog request that belongs to nothing we have:
// OPTIONS (a keep-alive) gets 200, the rest 481 (§12.2.2).
func (a *Agent) noDialog(s *transaction.Server) {
	if s.Request().Method == "OPTIONS" {
		a.reply(s, 200, "", "Allow", allowHeader)
		return
	}
	a.reply(s, 481, "Call/Transaction Does Not Exist")
}

// onACK gives an ACK no transaction absorbed (the ACK for our 2xx) to the
// dialog layer.
func (a *Agent) onACK(ack *sip.Request) {
	a.dm.HandleACK(ack)
}

func (a *Agent) onConnError(ce *transport.ConnError) {
	a.errorEvent("transport", ce)
	// RFC 5626 §4.4.1 spirit: the flow to the registrar failed; refresh
	// the registrations that used a stream transport.
	for _, acc := range a.accounts {
		if acc.cfg.Transport != "udp" && acc.state == RegRegistered {
			acc.register(false)
		}
	}
}

// ---- helpers ----

func mustURI(s string) sip.URI {
	u, _ := sip.ParseURI(s)
	return u
}

func bodyType(m interface {
	ContentType() (sip.MediaType, error)
	Body() []byte
}) string {
	if len(m.Body()) == 0 {
		return ""
	}
	mt, err := m.ContentType()
	if err != nil {
		return ""
	}
	return strings.ToLower(mt.Name())
}

func isSDP(m interface {
	ContentType() (sip.MediaType, error)
	Body() []byte
}) bool {
	return bodyType(m) == "application/sdp" && len(bytes.TrimSpace(m.Body())) > 0
}
