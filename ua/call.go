package ua

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// call is one call, loop-owned.
type call struct {
	a     *Agent
	acc   *account
	info  CallInfo
	cid   string // SIP Call-ID
	media MediaSession
	// dlg is the call's dialog in the dialog layer (RFC 3261 §12): early
	// from a 1xx with a tag, confirmed by the 2xx; contact is our Contact
	// for it (target refresh requests and responses carry it).
	dlg     *dialog.Dialog
	contact sip.Address

	// outgoing
	out        *outReq
	client     *transaction.Client
	cancelling bool
	cancelHeld bool
	redirects  int
	visited    map[string]bool
	earlySDP   []byte
	answered   bool // the far end's SDP answer was accepted
	acked      bool // the 2xx was ACKed (the dialog layer re-ACKs retransmissions)
	timeout    *time.Timer
	ctx        context.Context // the INVITE transactions' context
	abandon    context.CancelFunc
	giveUp     *time.Timer

	// incoming
	srv       *transaction.Server
	invite    *sip.Request
	offerless bool
	auto      *time.Timer

	// a 2xx of ours awaits its ACK (the dialog layer retransmits it,
	// §13.3.1.4)
	awaitACK  bool
	okOffered bool // our 200 carried an offer: the answer comes in the ACK

	// re-INVITE
	reinv    bool  // ours is in flight
	theirs   bool  // theirs awaits its ACK
	wantHold *bool // a hold change to make once the current one ends
	glare    *time.Timer

	dtmfQ    []rune
	dtmfBusy bool
	held     bool // holds Close (a BYE or CANCEL in flight)
}

func (a *Agent) newCall(acc *account, dir Direction) *call {
	c := &call{a: a, acc: acc, visited: map[string]bool{}}
	c.info = CallInfo{ID: a.newID("c"), Account: acc.cfg.Name, Direction: dir, Started: time.Now()}
	return c
}

func (a *Agent) callList() []*call {
	out := make([]*call, 0, len(a.calls))
	for _, c := range a.calls {
		out = append(out, c)
	}
	return out
}

func (c *call) emit() {
	c.a.updateSnap(c.info)
	c.a.emit(CallEvent{Call: c.info})
}

func (c *call) setState(s CallState) {
	if c.info.State == s {
		return
	}
	c.info.State = s
	if s == CallActive && c.info.Answered.IsZero() {
		c.info.Answered = time.Now()
		c.info.Waiting = false
		c.a.scheduleStats()
	}
	c.emit()
}

func (c *call) stopTimers() {
	for _, t := range []*time.Timer{c.timeout, c.auto, c.glare} {
		if t != nil {
			t.Stop()
		}
	}
}

// endCall ends c and reports it. code 0 keeps whatever the caller knows.
func (a *Agent) endCall(c *call, code int, reason string, kind FailureKind) {
	if c.info.State == CallEnded {
		return
	}
	c.stopTimers()
	if c.dlg != nil {
		c.dlg.Terminate()
	}
	if c.media != nil {
		if info := c.media.Info(); info.Codec != "" {
			c.info.Codec = info.Codec
		}
		c.media.Close()
	}
	c.info.State = CallEnded
	c.info.Ended = time.Now()
	if c.abandon != nil && !c.cancelling {
		c.abandon() // the INVITE transaction is over (or never mattered)
	}
	c.info.Code = code
	c.info.Reason = reason
	if kind != FailNone {
		a.cfg.Logger.Debug("call failed", "call", c.info.ID, "code", code, "reason", reason, "kind", kind.String())
	}
	delete(a.calls, c.info.ID)
	if a.byCID[c.cid] == c {
		delete(a.byCID, c.cid)
	}
	if len(a.calls) == 0 && len(a.byCID) == 0 {
		// Maps keep their buckets after a burst of calls; start afresh.
		a.calls, a.byCID = map[string]*call{}, map[string]*call{}
	}
	c.emit()
}

func (a *Agent) findCall(id string) (*call, error) {
	if c, ok := a.calls[id]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoSuchCall, id)
}

// notifier queues media notifications into the loop.
type notifier struct {
	a  *Agent
	id string
}

func (n notifier) DTMF(digit rune, d time.Duration) {
	n.a.post(func() {
		if _, ok := n.a.calls[n.id]; ok {
			n.a.emit(DTMFEvent{CallID: n.id, Digit: digit, Duration: d, Method: "rfc4733"})
		}
	})
}

func (n notifier) Inactive(since time.Duration) {
	n.a.post(func() {
		c, ok := n.a.calls[n.id]
		if !ok || n.a.cfg.RTPTimeout <= 0 || since < n.a.cfg.RTPTimeout || c.info.State != CallActive {
			return
		}
		if c.info.LocalHold || c.info.RemoteHold {
			return // no RTP is expected while held
		}
		n.a.bye(c, `SIP;cause=408;text="RTP timeout"`)
		n.a.endCall(c, 408, "RTP timeout", FailNetwork)
	})
}

func (a *Agent) newMedia(c *call) error {
	local := netip.Addr{}
	if ap, ok := a.locals[strings.ToUpper(c.acc.cfg.Transport)]; ok {
		local = ap.Addr()
	} else {
		for _, ap := range a.locals {
			local = ap.Addr()
			break
		}
	}
	mc := MediaConfig{CallID: c.info.ID, Account: c.acc.cfg.Name, Local: local, Codecs: c.acc.cfg.Codecs}
	if c.acc.public.IsValid() && c.acc.public.Addr() != local {
		mc.Public = c.acc.public.Addr()
	}
	ms, err := a.cfg.Media.NewSession(mc, notifier{a: a, id: c.info.ID})
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	c.media = ms
	return nil
}

// ---- target parsing ----

// targetURI turns what a user typed into a Request-URI: a sip:/sips:/tel:
// URI, user@host, or a bare user or number at the account's domain.
func (acc *account) targetURI(target string) (sip.URI, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return sip.URI{}, fmt.Errorf("%w: empty", ErrBadTarget)
	}
	if strings.Contains(t, "<") {
		if ad, err := sip.ParseAddress(t); err == nil {
			t = ad.URI.String()
		}
	}
	lower := strings.ToLower(t)
	switch {
	case strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:"):
	case strings.HasPrefix(lower, "tel:"):
		num := t[4:]
		if i := strings.IndexByte(num, ';'); i >= 0 {
			num = num[:i]
		}
		t = "sip:" + sip.EscapeUser(num) + "@" + acc.cfg.Domain + ";user=phone"
	case strings.Contains(t, "@"):
		t = "sip:" + t
	default:
		t = "sip:" + sip.EscapeUser(t) + "@" + acc.cfg.Domain
	}
	u, err := sip.ParseURI(t)
	if err != nil || !u.IsSIP() || u.Host == "" {
		return sip.URI{}, fmt.Errorf("%w: %q", ErrBadTarget, target)
	}
	return u, nil
}

// ---- outgoing calls ----

// Dial places a call from account ("" = the first) to target and returns
// the engine's call ID at once; progress comes as CallEvents.
func (a *Agent) Dial(ctx context.Context, account, target string) (string, error) {
	var id string
	err := a.do(ctx, func() error {
		acc, err := a.account(account)
		if err != nil {
			return err
		}
		id, err = a.dial(acc, target)
		return err
	})
	return id, err
}

func (a *Agent) dial(acc *account, target string) (string, error) {
	if !acc.cfg.NoRegister && acc.state == RegFailed {
		return "", fmt.Errorf("%w: account %q", ErrNotRegistered, acc.cfg.Name)
	}
	u, err := acc.targetURI(target)
	if err != nil {
		return "", err
	}
	c := a.newCall(acc, Outgoing)
	c.info.Remote = u.String()
	if err := a.newMedia(c); err != nil {
		return "", err
	}
	offer, err := c.media.Offer()
	if err != nil {
		c.media.Close()
		return "", fmt.Errorf("media offer: %w", err)
	}
	req := acc.newRequest("INVITE", sip.Address{URI: u})
	req.SetContacts(acc.contact())
	req.SetHeader("Allow", allowHeader)
	req.SetContent("application/sdp", offer)
	c.cid = req.CallID()
	c.visited[u.String()] = true
	a.calls[c.info.ID] = c
	a.byCID[c.cid] = c
	c.info.State = CallDialing
	c.emit()
	c.sendInvite(req)
	c.timeout = a.afterFunc(a.cfg.CallTimeout, func() {
		c.timeout = nil
		if c.info.State == CallDialing || c.info.State == CallRinging || c.info.State == CallEarlyMedia {
			c.cancel()
			a.endCall(c, 408, "no answer", FailTimeout)
		}
	})
	return c.info.ID, nil
}

func (c *call) sendInvite(req *sip.Request) {
	if c.ctx == nil {
		c.ctx, c.abandon = context.WithCancel(c.a.ctx)
	}
	c.out = &outReq{acc: c.acc, req: req, dest: nextHop(req, c.acc.cfg.Transport), ctx: c.ctx}
	o := c.out
	o.h = func(resp *sip.Response, err error) {
		if o != c.out {
			// superseded by a redirect: only a late 2xx matters
			if resp == nil || !resp.IsSuccess() {
				return
			}
		}
		c.onInviteResponse(o, resp, err)
	}
	o.onClient = func(cl *transaction.Client) {
		if o != c.out {
			return
		}
		c.client = cl
		if c.cancelling {
			_ = cl.Cancel()
		}
	}
	c.client = nil
	c.a.start(o)
}

// cancel CANCELs our pending INVITE (§9.1); the transaction sends it once a
// provisional response has arrived.
func (c *call) cancel() {
	if c.cancelling {
		return
	}
	c.cancelling = true
	if !c.held {
		c.held = true
		c.cancelHeld = true
		c.a.hold()
	}
	if c.client != nil {
		_ = c.client.Cancel()
	}
	// §9.1: with no final response 64·T1 after the CANCEL, the INVITE
	// transaction is given up.
	c.giveUp = time.AfterFunc(64*c.a.tx.Config().T1, func() { c.abandon() })
}

func (c *call) releaseHold() {
	if c.giveUp != nil {
		c.giveUp.Stop()
		c.giveUp = nil
	}
	if c.abandon != nil && c.info.State == CallEnded {
		c.abandon()
	}
	if c.held {
		c.held = false
		c.a.release()
	}
}

func (c *call) onInviteResponse(o *outReq, resp *sip.Response, err error) {
	a := c.a
	if err != nil {
		c.releaseHold()
		if c.info.State != CallEnded {
			code, reason, kind := classify(err)
			a.endCall(c, code, reason, kind)
		}
		return
	}
	code := resp.StatusCode
	switch {
	case code < 200:
		if c.info.State == CallEnded || code == 100 {
			return
		}
		if c.dlg == nil && resp.ToTag() != "" {
			c.setUACDialog(o.req, resp)
		}
		if isSDP(resp) && !bytes.Equal(resp.Body(), c.earlySDP) {
			// Early media (RFC 3960): the SDP in a provisional is the answer.
			if err := c.media.Accept(resp.Body()); err == nil {
				c.earlySDP = append([]byte(nil), resp.Body()...)
				c.answered = true
				c.setState(CallEarlyMedia)
				return
			}
		}
		if code == 180 && c.info.State == CallDialing {
			c.setState(CallRinging)
		} else if code == 183 && c.info.State == CallDialing {
			c.setState(CallRinging)
		}
	case code < 300:
		c.on2xx(o, resp)
	case code < 400 && !c.cancelling && c.info.State != CallEnded:
		c.redirect(o, resp)
	default:
		c.releaseHold()
		if c.info.State == CallEnded {
			return
		}
		a.endCall(c, code, strconv.Itoa(code)+" "+resp.Reason, failKind(code))
	}
}

func (c *call) on2xx(o *outReq, resp *sip.Response) {
	a := c.a
	if c.info.State == CallActive && c.dlg != nil && c.dlg.ID().RemoteTag != resp.ToTag() {
		// Another fork answered too (§13.2.2.4): ACK it and end it.
		if d, err := a.dm.NewUAC(o.req, resp); err == nil {
			d.SetResolve(a.dialogResolve(c.acc))
			a.ack(d, o.req, resp)
			bye := d.NewRequest("BYE")
			d.Terminate()
			a.start(&outReq{acc: c.acc, req: bye, dest: nextHop(bye, c.acc.cfg.Transport), h: func(*sip.Response, error) {}})
		}
		return
	}
	if c.dlg == nil || c.dlg.ID().RemoteTag != resp.ToTag() || c.info.State != CallActive {
		c.setUACDialog(o.req, resp)
	}
	if c.dlg == nil {
		return // the dialog layer is closing
	}
	if c.info.State == CallActive && c.acked {
		// a retransmission: the same ACK again (§13.2.2.4)
		a.ack(c.dlg, o.req, resp)
		return
	}
	c.acked = true
	a.ack(c.dlg, o.req, resp)
	if c.info.State == CallEnded || c.cancelling {
		// answered after we gave up: ACK then BYE (§15)
		c.info.State = CallActive
		a.bye(c, "")
		c.info.State = CallEnded
		c.dlg.Terminate()
		c.releaseHold()
		return
	}
	if isSDP(resp) && !bytes.Equal(resp.Body(), c.earlySDP) {
		if err := c.media.Accept(resp.Body()); err != nil {
			a.bye(c, `SIP;cause=488;text="bad SDP"`)
			a.endCall(c, 488, "bad SDP answer: "+err.Error(), FailLocal)
			return
		}
		c.answered = true
	}
	if !c.answered {
		a.bye(c, `SIP;cause=488;text="no SDP answer"`)
		a.endCall(c, 488, "no SDP answer", FailLocal)
		return
	}
	if c.timeout != nil {
		c.timeout.Stop()
		c.timeout = nil
	}
	if pai, err := resp.PAssertedIdentity(); err == nil && len(pai) > 0 {
		c.info.Asserted = pai[0].URI.String()
	}
	c.info.Codec = c.media.Info().Codec
	c.setState(CallActive)
}

// redirect follows a 3xx (§8.1.3.4) to the first Contact not tried yet,
// within the configured number of hops.
func (c *call) redirect(o *outReq, resp *sip.Response) {
	a := c.a
	reason := strconv.Itoa(resp.StatusCode) + " " + resp.Reason
	cs, _ := resp.Contacts()
	var next *sip.URI
	for _, ct := range cs {
		if ct.Wildcard || !ct.URI.IsSIP() {
			continue
		}
		if c.visited[ct.URI.String()] {
			continue
		}
		u := ct.URI.Clone()
		next = &u
		break
	}
	if next == nil {
		a.endCall(c, resp.StatusCode, reason+" (redirect loop)", FailRejected)
		return
	}
	if c.redirects >= a.cfg.MaxRedirects {
		a.endCall(c, resp.StatusCode, reason+" (too many redirects)", FailRejected)
		return
	}
	c.redirects++
	c.visited[next.String()] = true
	req := o.req.Clone()
	req.RemoveHeader("Via")
	req.URI = *next
	to, _ := req.To()
	req.SetTo(sip.Address{DisplayName: to.DisplayName, URI: to.URI, Params: to.Params.Del("tag")})
	seq, _ := req.CSeq()
	seq.Seq++
	req.SetCSeq(seq)
	if c.dlg != nil {
		c.dlg.Terminate()
	}
	c.dlg = nil
	c.info.Remote = next.String()
	c.sendInvite(req)
}

// ---- incoming calls ----

func (a *Agent) activeCalls(except *call) int {
	n := 0
	for _, c := range a.calls {
		if c != except && c.info.State != CallEnded {
			n++
		}
	}
	return n
}

func (a *Agent) incomingInvite(acc *account, s *transaction.Server) {
	req := s.Request()
	if len(req.Body()) > 0 && !isSDP(req) {
		a.reply(s, 415, "", "Accept", "application/sdp")
		return
	}
	busy := a.activeCalls(nil) > 0
	if a.dnd {
		a.reply(s, 486, "Busy Here")
		return
	}
	if busy && a.cfg.NoCallWaiting {
		a.reply(s, 486, "Busy Here")
		return
	}
	c := a.newCall(acc, Incoming)
	c.srv = s
	c.invite = req
	c.cid = req.CallID()
	c.offerless = !isSDP(req)
	from, _ := req.From()
	c.info.Remote = from.URI.String()
	c.info.RemoteName = from.DisplayName
	if pai, err := req.PAssertedIdentity(); err == nil && len(pai) > 0 {
		c.info.Asserted = pai[0].URI.String()
	}
	c.info.Waiting = busy
	d, err := a.dm.NewUAS(s) // §12.1.1
	if err != nil {
		a.reply(s, 500, "Server Internal Error")
		return
	}
	d.SetResolve(a.dialogResolve(acc))
	c.dlg, c.contact = d, acc.contact()
	ring := sip.NewResponse(req, 180, "")
	_ = ring.SetToTag(d.ID().LocalTag)
	ring.SetContacts(c.contact)
	a.respond(s, ring)
	a.calls[c.info.ID] = c
	a.byCID[c.cid] = c
	c.info.State = CallIncoming
	c.emit()
	s.OnCancel(func() { a.post(func() { c.onCancelled() }) })
	// Auto-answer takes every call, waiting ones included: an automated
	// UAS (the headless agent under load) must not leave calls ringing.
	if a.cfg.AutoAnswer {
		c.auto = a.afterFunc(a.cfg.AutoAnswerDelay, func() {
			c.auto = nil
			if c.info.State == CallIncoming {
				_ = a.answer(c)
			}
		})
	}
}

func (c *call) onCancelled() {
	if c.info.State != CallIncoming {
		return
	}
	// §9.2: the INVITE gets 487 once the CANCEL was answered.
	resp := sip.NewResponse(c.invite, 487, "")
	_ = resp.SetToTag(c.dlg.ID().LocalTag)
	c.a.respondIn(c.dlg, c.srv, resp)
	c.a.endCall(c, 487, "cancelled by caller", FailNone)
}

// Answer answers an incoming call.
func (a *Agent) Answer(ctx context.Context, callID string) error {
	return a.do(ctx, func() error {
		c, err := a.findCall(callID)
		if err != nil {
			return err
		}
		return a.answer(c)
	})
}

func (a *Agent) answer(c *call) error {
	if c.info.Direction != Incoming || c.info.State != CallIncoming {
		return fmt.Errorf("%w: call %s is %s", ErrBadState, c.info.ID, c.info.State)
	}
	if c.auto != nil {
		c.auto.Stop()
		c.auto = nil
	}
	if err := a.newMedia(c); err != nil {
		a.rejectWith(c, 500, "Server Internal Error")
		a.endCall(c, 500, err.Error(), FailLocal)
		return err
	}
	var sdp []byte
	var err error
	if c.offerless {
		// §13.2.1: an INVITE without offer gets our offer in the 2xx and
		// the answer in the ACK.
		sdp, err = c.media.Offer()
	} else {
		sdp, err = c.media.Answer(c.invite.Body())
	}
	if err != nil {
		a.rejectWith(c, 488, "Not Acceptable Here")
		a.endCall(c, 488, "488 Not Acceptable Here: "+err.Error(), FailLocal)
		return &ResponseError{Code: 488, Reason: "Not Acceptable Here"}
	}
	resp := sip.NewResponse(c.invite, 200, "")
	_ = resp.SetToTag(c.dlg.ID().LocalTag)
	resp.SetContacts(c.contact)
	resp.CopyRecordRoute(c.invite)
	resp.SetHeader("Allow", allowHeader)
	resp.SetContent("application/sdp", sdp)
	c.send2xx(c.srv, resp, c.offerless)
	c.info.Codec = c.media.Info().Codec
	c.info.RemoteHold = c.media.Info().RemoteHold
	c.setState(CallActive)
	return nil
}

// send2xx sends a 2xx to an INVITE through the dialog, which retransmits
// it until the ACK (§13.3.1.4) and reports ErrNoACK after 64·T1.
func (c *call) send2xx(s *transaction.Server, resp *sip.Response, offered bool) {
	c.a.respondIn(c.dlg, s, resp)
	c.awaitACK, c.okOffered = true, offered
}

// callACK handles the ACK for our 2xx (the dialog layer matched it and
// stopped the retransmission); it may carry the answer to our offer.
func (a *Agent) callACK(c *call, ack *sip.Request) {
	if !c.awaitACK {
		return
	}
	c.awaitACK = false
	c.theirs = false
	if c.okOffered {
		c.okOffered = false
		if !isSDP(ack) {
			a.bye(c, `SIP;cause=488;text="no SDP answer in ACK"`)
			a.endCall(c, 488, "no SDP answer in ACK", FailLocal)
			return
		}
		if err := c.media.Accept(ack.Body()); err != nil {
			a.bye(c, `SIP;cause=488;text="bad SDP"`)
			a.endCall(c, 488, "bad SDP answer: "+err.Error(), FailLocal)
			return
		}
		c.updateMediaInfo()
	}
	c.afterReinvite()
}

func (c *call) updateMediaInfo() {
	info := c.media.Info()
	changed := info.Codec != c.info.Codec || info.RemoteHold != c.info.RemoteHold
	c.info.Codec = info.Codec
	c.info.RemoteHold = info.RemoteHold
	if changed {
		c.emit()
	}
}

func (a *Agent) rejectWith(c *call, code int, reason string) {
	resp := sip.NewResponse(c.invite, code, reason)
	_ = resp.SetToTag(c.dlg.ID().LocalTag)
	a.respondIn(c.dlg, c.srv, resp)
}

// Reject refuses an incoming call with code (0 → 486 Busy Here; 603 for
// Decline).
func (a *Agent) Reject(ctx context.Context, callID string, code int) error {
	return a.do(ctx, func() error {
		c, err := a.findCall(callID)
		if err != nil {
			return err
		}
		if c.info.Direction != Incoming || c.info.State != CallIncoming {
			return fmt.Errorf("%w: call %s is %s", ErrBadState, c.info.ID, c.info.State)
		}
		if code < 300 || code > 699 {
			code = 486
		}
		reason := sip.StatusText(code)
		a.rejectWith(c, code, reason)
		a.endCall(c, code, strconv.Itoa(code)+" "+reason, FailNone)
		return nil
	})
}

// Hangup ends a call whatever its state: CANCEL, BYE or 486.
func (a *Agent) Hangup(ctx context.Context, callID string) error {
	return a.do(ctx, func() error {
		c, err := a.findCall(callID)
		if err != nil {
			return err
		}
		a.hangup(c, "hung up")
		return nil
	})
}

func (a *Agent) hangup(c *call, reason string) {
	switch c.info.State {
	case CallIncoming:
		a.rejectWith(c, 486, "Busy Here")
		a.endCall(c, 486, reason, FailNone)
	case CallDialing, CallRinging, CallEarlyMedia:
		c.cancel()
		a.endCall(c, 487, reason, FailNone)
	case CallActive:
		a.bye(c, "")
		a.endCall(c, 200, reason, FailNone)
	}
}

// bye sends a BYE in the call's dialog (§15.1.1); Close waits for it.
func (a *Agent) bye(c *call, reasonHdr string) {
	if c.dlg == nil || c.info.State == CallEnded {
		return
	}
	req := c.dlg.NewRequest("BYE")
	if reasonHdr != "" {
		req.SetHeader("Reason", reasonHdr)
	}
	a.hold()
	o := &outReq{acc: c.acc, req: req, dest: nextHop(req, c.acc.cfg.Transport), nextSeq: c.dlg.NextSeq}
	o.h = func(resp *sip.Response, err error) {
		if resp != nil && resp.IsProvisional() {
			return
		}
		a.release()
	}
	a.start(o)
}

// ---- in-dialog requests ----

// callRequest answers a request in a call's dialog; the dialog layer has
// checked its CSeq (§12.2.2), refreshed the remote target of a target
// refresh request, and answered BYE (peerBye).
func (a *Agent) callRequest(c *call, s *transaction.Server) {
	req := s.Request()
	switch req.Method {
	case "INVITE":
		a.reinvited(c, s)
	case "UPDATE":
		// RFC 3311: without SDP it only refreshes; with SDP it is an offer.
		if !isSDP(req) || c.media == nil {
			a.replyIn(c.dlg, s, 200, "")
			return
		}
		ans, err := c.media.Answer(req.Body())
		if err != nil {
			a.replyIn(c.dlg, s, 488, "")
			return
		}
		resp := sip.NewResponse(req, 200, "")
		resp.SetContacts(c.contact)
		resp.SetContent("application/sdp", ans)
		a.respondIn(c.dlg, s, resp)
		c.updateMediaInfo()
	case "INFO":
		a.incomingInfo(c, s)
	case "OPTIONS":
		a.replyIn(c.dlg, s, 200, "", "Allow", allowHeader, "Accept", "application/sdp")
	default:
		a.replyIn(c.dlg, s, 405, "", "Allow", allowHeader)
	}
}

// peerBye ends a call whose dialog the peer ended with BYE (§15.1.2); the
// dialog layer answered the BYE.
func (a *Agent) peerBye(c *call) {
	if c.info.State == CallIncoming {
		a.rejectWith(c, 487, "Request Terminated")
	}
	c.releaseHold()
	a.endCall(c, 200, "BYE from peer", FailNone)
}

func (a *Agent) reinvited(c *call, s *transaction.Server) {
	req := s.Request()
	if c.info.State != CallActive || c.media == nil {
		a.replyIn(c.dlg, s, 500, "Server Internal Error", "Retry-After", "1")
		return
	}
	if c.reinv || c.theirs || c.awaitACK {
		// §14.2: an offer while ours is pending gets 491.
		a.replyIn(c.dlg, s, 491, "Request Pending")
		return
	}
	var sdp []byte
	var err error
	offered := false
	if isSDP(req) {
		sdp, err = c.media.Answer(req.Body())
	} else {
		sdp, err = c.media.Offer()
		offered = true
	}
	if err != nil {
		a.replyIn(c.dlg, s, 488, "")
		return
	}
	resp := sip.NewResponse(req, 200, "")
	resp.SetContacts(c.contact)
	resp.SetHeader("Allow", allowHeader)
	resp.SetContent("application/sdp", sdp)
	c.theirs = true
	c.send2xx(s, resp, offered)
	if !offered {
		c.updateMediaInfo()
	}
}

func (a *Agent) incomingInfo(c *call, s *transaction.Server) {
	req := s.Request()
	switch bodyType(req) {
	case "":
		a.replyIn(c.dlg, s, 200, "")
	case "application/dtmf-relay", "application/dtmf":
		digit, dur, ok := parseDTMFRelay(string(req.Body()), bodyType(req))
		if !ok {
			a.replyIn(c.dlg, s, 400, "Bad DTMF")
			return
		}
		a.replyIn(c.dlg, s, 200, "")
		a.emit(DTMFEvent{CallID: c.info.ID, Digit: digit, Duration: dur, Method: "info"})
	default:
		a.replyIn(c.dlg, s, 415, "", "Accept", "application/dtmf-relay")
	}
}

// parseDTMFRelay reads "Signal=5\r\nDuration=160" (application/dtmf-relay)
// or a bare digit (application/dtmf).
func parseDTMFRelay(body, typ string) (rune, time.Duration, bool) {
	var digit rune
	dur := 100 * time.Millisecond
	if typ == "application/dtmf" {
		b := strings.TrimSpace(body)
		if len(b) != 1 || !validDigit(rune(b[0])) {
			return 0, 0, false
		}
		return rune(strings.ToUpper(b)[0]), dur, true
	}
	for _, l := range strings.Split(body, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "signal":
			if len(v) == 1 && validDigit(rune(v[0])) {
				digit = rune(strings.ToUpper(v)[0])
			} else if n, err := strconv.Atoi(v); err == nil && n >= 10 && n <= 15 {
				digit = rune("*#ABCD"[n-10])
			}
		case "duration":
			if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 60000 {
				dur = time.Duration(n) * time.Millisecond
			}
		}
	}
	return digit, dur, digit != 0
}

func validDigit(r rune) bool {
	return (r >= '0' && r <= '9') || r == '*' || r == '#' || (r >= 'A' && r <= 'D') || (r >= 'a' && r <= 'd')
}

// ---- hold, mute, DTMF ----

// Hold puts a call on hold (on) or resumes it with a re-INVITE; the result
// shows as a CallEvent with LocalHold.
func (a *Agent) Hold(ctx context.Context, callID string, on bool) error {
	return a.do(ctx, func() error {
		c, err := a.findCall(callID)
		if err != nil {
			return err
		}
		if c.info.State != CallActive {
			return fmt.Errorf("%w: call %s is %s", ErrBadState, c.info.ID, c.info.State)
		}
		if c.reinv || c.theirs || c.glare != nil || c.awaitACK {
			c.wantHold = &on
			return nil
		}
		if c.info.LocalHold == on {
			return nil
		}
		c.reinvite(on)
		return nil
	})
}

// reinvite sends a re-INVITE with an offer reflecting hold (§14.1).
func (c *call) reinvite(on bool) {
	a := c.a
	c.wantHold = nil
	c.media.SetHold(on)
	offer, err := c.media.Offer()
	if err != nil {
		c.media.SetHold(c.info.LocalHold)
		a.errorEvent("hold", err)
		return
	}
	req := c.dlg.NewRequest("INVITE")
	req.SetContacts(c.contact)
	req.SetHeader("Allow", allowHeader)
	req.SetContent("application/sdp", offer)
	c.reinv = true
	o := &outReq{acc: c.acc, req: req, dest: nextHop(req, c.acc.cfg.Transport), nextSeq: c.dlg.NextSeq}
	o.h = func(resp *sip.Response, err error) {
		if resp != nil && resp.IsProvisional() {
			return
		}
		if resp != nil && resp.IsSuccess() {
			// §12.2.1.2 target refresh, then the ACK (§13.2.2.4; the same
			// ACK again for a retransmitted 2xx).
			c.dlg.Update(o.req, resp)
			a.ack(c.dlg, o.req, resp)
			if !c.reinv {
				return // a retransmitted 2xx
			}
		}
		if !c.reinv || c.info.State == CallEnded {
			return
		}
		c.reinv = false
		switch {
		case err != nil:
			c.media.Rollback()
			c.media.SetHold(c.info.LocalHold)
			code, reason, kind := classify(err)
			if code == 408 {
				// §14.1: a re-INVITE timeout ends the call
				a.bye(c, "")
				a.endCall(c, code, "re-INVITE: "+reason, kind)
				return
			}
			a.errorEvent("hold", err)
		case resp.IsSuccess():
			if isSDP(resp) {
				if err := c.media.Accept(resp.Body()); err != nil {
					a.errorEvent("hold", err)
				}
			}
			c.info.LocalHold = on
			info := c.media.Info()
			c.info.RemoteHold = info.RemoteHold
			c.info.Codec = info.Codec
			c.emit()
		case resp.StatusCode == 491:
			// §14.1 glare: retry after a random time, 2.1–4 s when we own
			// the Call-ID (we placed the call), 0–2 s otherwise.
			c.media.Rollback()
			c.media.SetHold(c.info.LocalHold)
			d := c.dlg.GlareBackoff()
			want := on
			if c.wantHold == nil {
				c.wantHold = &want
			}
			c.glare = a.afterFunc(d, func() {
				c.glare = nil
				c.afterReinvite()
			})
			return
		case resp.StatusCode == 481 || resp.StatusCode == 408:
			c.media.Rollback()
			a.endCall(c, resp.StatusCode, strconv.Itoa(resp.StatusCode)+" "+resp.Reason, FailRejected)
			return
		default:
			c.media.Rollback()
			c.media.SetHold(c.info.LocalHold)
			a.errorEvent("hold", &ResponseError{Code: resp.StatusCode, Reason: resp.Reason})
		}
		c.afterReinvite()
	}
	a.start(o)
}

// afterReinvite starts a hold change that waited for an offer/answer
// exchange to finish.
func (c *call) afterReinvite() {
	if c.wantHold == nil || c.reinv || c.theirs || c.glare != nil || c.awaitACK || c.info.State != CallActive {
		return
	}
	on := *c.wantHold
	c.wantHold = nil
	if on != c.info.LocalHold {
		c.reinvite(on)
	}
}

// Mute stops (or restarts) sending microphone audio.
func (a *Agent) Mute(ctx context.Context, callID string, on bool) error {
	return a.do(ctx, func() error {
		c, err := a.findCall(callID)
		if err != nil {
			return err
		}
		if c.media == nil || c.info.State == CallIncoming {
			return fmt.Errorf("%w: call %s is %s", ErrBadState, c.info.ID, c.info.State)
		}
		c.media.SetMute(on)
		if c.info.Muted != on {
			c.info.Muted = on
			c.emit()
		}
		return nil
	})
}

// SendDTMF sends digits (0-9 * # A-D) by RFC 4733 or SIP INFO, as the
// account says (falling back to INFO when telephone-event was not
// negotiated).
func (a *Agent) SendDTMF(ctx context.Context, callID, digits string) error {
	for _, r := range digits {
		if !validDigit(r) {
			return fmt.Errorf("ua: invalid DTMF digit %q", r)
		}
	}
	return a.do(ctx, func() error {
		c, err := a.findCall(callID)
		if err != nil {
			return err
		}
		if c.media == nil || (c.info.State != CallActive && c.info.State != CallEarlyMedia) {
			return fmt.Errorf("%w: call %s is %s", ErrBadState, c.info.ID, c.info.State)
		}
		for _, r := range strings.ToUpper(digits) {
			if c.acc.cfg.DTMF == DTMFRFC4733 {
				if err := c.media.SendDTMF(r, 100*time.Millisecond); err == nil {
					continue
				}
			}
			c.dtmfQ = append(c.dtmfQ, r)
		}
		c.nextInfo()
		return nil
	})
}

// nextInfo sends the next queued digit by INFO (application/dtmf-relay),
// one at a time so they arrive in order.
func (c *call) nextInfo() {
	if c.dtmfBusy || len(c.dtmfQ) == 0 || c.dlg == nil || c.info.State == CallEnded {
		return
	}
	d := c.dtmfQ[0]
	c.dtmfQ = c.dtmfQ[1:]
	req := c.dlg.NewRequest("INFO")
	req.SetContent("application/dtmf-relay", []byte("Signal="+string(d)+"\r\nDuration=100\r\n"))
	c.dtmfBusy = true
	o := &outReq{acc: c.acc, req: req, dest: nextHop(req, c.acc.cfg.Transport), nextSeq: c.dlg.NextSeq}
	o.h = func(resp *sip.Response, err error) {
		if resp != nil && resp.IsProvisional() {
			return
		}
		c.dtmfBusy = false
		if err != nil {
			c.a.errorEvent("dtmf", err)
		} else if !resp.IsSuccess() {
			c.a.errorEvent("dtmf", &ResponseError{Code: resp.StatusCode, Reason: resp.Reason})
		}
		c.nextInfo()
	}
	c.a.start(o)
}

// ---- media statistics ----

func (a *Agent) scheduleStats() {
	if a.cfg.StatsInterval <= 0 || a.stats != nil || a.closing {
		return
	}
	any := false
	for _, c := range a.calls {
		if c.info.State == CallActive {
			any = true
		}
	}
	if !any {
		return
	}
	a.stats = a.afterFunc(a.cfg.StatsInterval, func() {
		a.stats = nil
		for _, c := range a.calls {
			if c.info.State != CallActive || c.media == nil {
				continue
			}
			i := c.media.Info()
			a.emit(MediaStatsEvent{CallID: c.info.ID, MOS: i.MOS, LossPercent: i.LossPercent, JitterMillis: i.JitterMillis,
				RTTMillis: i.RTTMillis, TxLevel: i.TxLevel, RxLevel: i.RxLevel, PacketsSent: i.PacketsSent, PacketsReceived: i.PacketsReceived})
		}
		a.scheduleStats()
	})
}

// ---- the dialog layer (sipcore/dialog) ----

// setUACDialog makes the dialog resp (a 1xx with a tag or a 2xx to req,
// our INVITE) creates or confirms the call's dialog (§12.1.2); an early
// dialog of another fork is ended.
func (c *call) setUACDialog(req *sip.Request, resp *sip.Response) {
	d, err := c.a.dm.NewUAC(req, resp)
	if err != nil {
		c.a.cfg.Logger.Debug("no dialog", "call", c.info.ID, "err", err)
		return
	}
	if c.dlg != nil && c.dlg != d {
		c.dlg.Terminate()
	}
	if c.dlg != d {
		d.SetResolve(c.a.dialogResolve(c.acc))
		c.dlg, c.contact = d, c.acc.contact()
	}
}

// dialogResolve resolves a dialog's next hop as the account's requests
// are (RFC 3263, the account's transport by default); the first target.
func (a *Agent) dialogResolve(acc *account) func(context.Context, sip.URI) (transaction.Target, error) {
	tr := acc.cfg.Transport
	return func(ctx context.Context, u sip.URI) (transaction.Target, error) {
		ts, err := a.resolve(ctx, destination{uri: u, transport: tr})
		if err != nil {
			return transaction.Target{}, err
		}
		return ts[0], nil
	}
}

// ack sends (or sends again) the ACK for a 2xx to invite in d, off the
// loop: resolving the next hop may wait on DNS.
func (a *Agent) ack(d *dialog.Dialog, invite *sip.Request, resp *sip.Response) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := d.ACK(a.ctx, invite, resp); err != nil {
			a.cfg.Logger.Debug("ack not sent", "err", err)
		}
	}()
}

// dialogCall returns the live call whose dialog is d.
func (a *Agent) dialogCall(d *dialog.Dialog) *call {
	if c, ok := a.byCID[d.ID().CallID]; ok && c.dlg == d && c.info.State != CallEnded {
		return c
	}
	return nil
}

// onDialogRequest receives an in-dialog request the dialog layer accepted
// (dialog.Config.OnRequest) for a call or a subscription; it runs in the
// loop, which called Deliver.
func (a *Agent) onDialogRequest(d *dialog.Dialog, s *transaction.Server) {
	if c := a.dialogCall(d); c != nil {
		a.callRequest(c, s)
		return
	}
	req, cid := s.Request(), d.ID().CallID
	if sub, ok := a.subByCID[cid]; ok && sub.dlg == d && req.Method == "NOTIFY" {
		a.subNotify(sub, d, s)
		return
	}
	if w, ok := a.watchers[cid]; ok && w.dlg == d && req.Method == "SUBSCRIBE" {
		a.watcherSubscribe(w, s)
		return
	}
	a.noDialog(s)
}

// onDialogACK receives the ACK for our 2xx (dialog.Config.OnACK); it runs
// in the loop, which called HandleACK.
func (a *Agent) onDialogACK(d *dialog.Dialog, ack *sip.Request) {
	if c := a.dialogCall(d); c != nil {
		a.callACK(c, ack)
	}
}

// onDialogEnd learns that the dialog layer ended a dialog
// (dialog.Config.OnTerminate). A BYE from the peer is reported in the loop
// (Deliver); the give-up on our 2xx comes from a timer and is posted. The
// other reasons follow what the engine did itself.
func (a *Agent) onDialogEnd(d *dialog.Dialog, reason error) {
	switch {
	case errors.Is(reason, dialog.ErrRemoteBye):
		if c := a.dialogCall(d); c != nil {
			a.peerBye(c)
		}
	case errors.Is(reason, dialog.ErrNoACK):
		a.post(func() {
			c := a.dialogCall(d)
			if c == nil {
				return
			}
			// §13.3.1.4: no ACK for 64·T1: end the session with BYE.
			c.awaitACK = false
			a.bye(c, `SIP;cause=408;text="no ACK"`)
			a.endCall(c, 408, "no ACK", FailTimeout)
		})
	}
}
