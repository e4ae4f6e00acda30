package dialog

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// ID identifies a dialog (§12): Call-ID, local tag and remote tag.
type ID struct {
	CallID    string
	LocalTag  string
	RemoteTag string
}

func (id ID) String() string { return id.CallID + ";local=" + id.LocalTag + ";remote=" + id.RemoteTag }

// State is a dialog state (§12).
type State int

// Dialog states.
const (
	StateEarly      State = iota + 1 // created by a provisional response with a To tag
	StateConfirmed                   // created or confirmed by a 2xx
	StateTerminated                  // ended
)

func (s State) String() string {
	switch s {
	case StateEarly:
		return "early"
	case StateConfirmed:
		return "confirmed"
	case StateTerminated:
		return "terminated"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Dialog is one dialog (§12): its ID, route set, remote target, local
// and remote CSeq, and the INVITE session duties of §13.
type Dialog struct {
	m          *Manager
	id         ID
	uac        bool // we sent the dialog-creating request
	ownsCallID bool // §14.1: we generated the Call-ID
	secure     bool // §12.1.1: sips Request-URI over TLS

	mu           sync.Mutex
	state        State
	localAddr    sip.Address // From (ours) / To (theirs) without tags
	remoteAddr   sip.Address
	remoteTarget sip.URI       // §12.1.1/§12.1.2: from Contact
	routeSet     []sip.Address // in the order used for requests
	localSeq     uint32
	localSeqSet  bool
	remoteSeq    uint32
	remoteSeqSet bool

	// INVITE sessions.
	inviteSeq      uint32       // CSeq of the INVITE whose 2xx we ACK / expect the ACK for
	ack            *sip.Request // UAC: the ACK sent for inviteSeq's 2xx (§13.2.2.4)
	ackTarget      transaction.Target
	pendingInvite  bool // UAC: our re-INVITE is in progress (§14.1)
	incomingInvite bool // UAS: a re-INVITE from the peer is in progress (§14.2)

	// UAS 2xx retransmission (§13.3.1.4).
	okResp     *sip.Response
	okSrv      *transaction.Server
	okTimer    *time.Timer
	okInterval time.Duration
	okDeadline time.Time
	okGen      uint32

	// resolve overrides Config.Resolve for this dialog (SetResolve).
	resolve func(ctx context.Context, next sip.URI) (transaction.Target, error)

	done chan struct{}
}

// ID returns the dialog ID.
func (d *Dialog) ID() ID { return d.id }

// IsUAC reports whether we sent the dialog-creating request.
func (d *Dialog) IsUAC() bool { return d.uac }

// OwnsCallID reports whether we generated the Call-ID (the UAC of the
// dialog-creating request), which selects the §14.1 back-off range.
func (d *Dialog) OwnsCallID() bool { return d.ownsCallID }

// Secure reports whether the dialog is secure (§12.1.1: sips
// Request-URI over TLS); requests in it must use sips.
func (d *Dialog) Secure() bool { return d.secure }

// GlareBackoff returns the §14.1 back-off for this dialog.
func (d *Dialog) GlareBackoff() time.Duration { return GlareBackoff(d.ownsCallID) }

// State returns the dialog state.
func (d *Dialog) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}

// Done is closed when the dialog terminates.
func (d *Dialog) Done() <-chan struct{} { return d.done }

// RemoteTarget returns the remote target URI.
func (d *Dialog) RemoteTarget() sip.URI {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.remoteTarget.Clone()
}

// RouteSet returns the route set in request order.
func (d *Dialog) RouteSet() []sip.Address {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]sip.Address, len(d.routeSet))
	for i, r := range d.routeSet {
		out[i] = r.Clone()
	}
	return out
}

// LocalSeq returns the local CSeq number and whether it is set.
func (d *Dialog) LocalSeq() (uint32, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.localSeq, d.localSeqSet
}

// RemoteSeq returns the remote CSeq number and whether it is set.
func (d *Dialog) RemoteSeq() (uint32, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.remoteSeq, d.remoteSeqSet
}

// PendingReinvite reports whether our re-INVITE is in progress.
func (d *Dialog) PendingReinvite() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pendingInvite
}

func newDialog(m *Manager, id ID, uac bool) *Dialog {
	return &Dialog{m: m, id: id, uac: uac, ownsCallID: uac, done: make(chan struct{})}
}

// contactURI returns the first Contact URI of a message.
func contactURI(msg sip.Message) (sip.URI, bool) {
	cs, err := msg.Contacts()
	if err != nil || len(cs) == 0 || cs[0].Wildcard {
		return sip.URI{}, false
	}
	return cs[0].URI, true
}

func stripTag(a sip.Address) sip.Address {
	a = a.Clone()
	a.Params = a.Params.Del("tag")
	return a
}

// ---- UAS side (§12.1.1) ----

// NewUAS creates the dialog a UAS establishes by answering s's request
// (INVITE, SUBSCRIBE, ...) with a 101-299 response: local tag chosen now,
// remote tag and URI from From, remote target from Contact, route set
// from Record-Route in order, remote CSeq from the request (§12.1.1). It
// starts in the early state; Respond with a 2xx confirms it. Build the
// responses with d.NewResponse so they carry the tag, Record-Route and
// Contact.
func (m *Manager) NewUAS(s *transaction.Server) (*Dialog, error) {
	req := s.Request()
	if req.ToTag() != "" {
		return nil, fmt.Errorf("dialog: request already has a to tag")
	}
	from, err := req.From()
	if err != nil {
		return nil, fmt.Errorf("dialog: from: %w", err)
	}
	to, err := req.To()
	if err != nil {
		return nil, fmt.Errorf("dialog: to: %w", err)
	}
	cs, err := req.CSeq()
	if err != nil {
		return nil, fmt.Errorf("dialog: cseq: %w", err)
	}
	rr, err := req.RecordRoutes()
	if err != nil {
		return nil, fmt.Errorf("dialog: record-route: %w", err)
	}
	d := newDialog(m, ID{CallID: req.CallID(), LocalTag: sip.NewTag(), RemoteTag: from.Tag()}, false)
	d.state = StateEarly
	d.localAddr, d.remoteAddr = stripTag(to), stripTag(from)
	d.remoteTarget, _ = contactURI(req)
	d.routeSet = rr
	d.remoteSeq, d.remoteSeqSet = cs.Seq, true
	d.secure = req.URI.IsSIPS() && s.Source().Reliable()
	if req.Method == sip.MethodInvite {
		d.inviteSeq = cs.Seq
	}
	if _, ok := m.add(d); !ok {
		return nil, fmt.Errorf("dialog: %w", ErrTerminated)
	}
	return d, nil
}

// NewResponse builds a response to req within this dialog (§12.1.1,
// §8.2.6): To carries our tag, Record-Route is copied for responses to the
// dialog-creating request, and Contact is added to 101-299 responses to
// INVITE, UPDATE and SUBSCRIBE-like target refresh requests.
func (d *Dialog) NewResponse(req *sip.Request, code int, reason string) *sip.Response {
	r := sip.NewResponse(req, code, reason)
	if code > 100 {
		_ = r.SetToTag(d.id.LocalTag)
	}
	if code > 100 && code < 300 {
		if req.ToTag() == "" {
			r.CopyRecordRoute(req) // §12.1.1
		}
		if isTargetRefresh(req.Method) && !d.m.cfg.Contact.URI.IsZero() {
			r.SetContacts(d.m.cfg.Contact)
		}
	}
	return r
}

// Respond sends resp through the server transaction s and applies its
// effect on the dialog: a 2xx to an INVITE confirms the dialog and starts
// the §13.3.1.4 retransmission until the ACK arrives; a non-2xx final
// response to the dialog-creating request terminates an early dialog
// (§12.3); the final response to a re-INVITE ends the incoming re-INVITE.
func (d *Dialog) Respond(s *transaction.Server, resp *sip.Response) error {
	req := s.Request()
	isInvite := req.Method == sip.MethodInvite
	if resp.IsSuccess() {
		// The dialog must be ready for the ACK before the 2xx is on the
		// wire: a fast peer's ACK may be handled before s.Respond returns.
		d.mu.Lock()
		prevState, prevIncoming := d.state, d.incomingInvite
		if isInvite {
			d.incomingInvite = false
		}
		if d.state == StateEarly {
			d.state = StateConfirmed
		}
		if isInvite {
			cs, _ := req.CSeq()
			d.inviteSeq = cs.Seq
			d.startOKRetransmission(s, resp)
		}
		d.mu.Unlock()
		if err := s.Respond(resp); err != nil {
			d.mu.Lock()
			if isInvite {
				d.stopOKRetransmission()
			}
			d.state, d.incomingInvite = prevState, prevIncoming
			d.mu.Unlock()
			return err
		}
		return nil
	}
	if err := s.Respond(resp); err != nil {
		return err
	}
	if resp.StatusCode < 200 {
		return nil
	}
	d.mu.Lock()
	if isInvite {
		d.incomingInvite = false
	}
	switch {
	case d.state == StateEarly && req.ToTag() == "":
		d.mu.Unlock()
		d.terminate(fmt.Errorf("%w: %d", ErrRejected, resp.StatusCode), true)
	default:
		d.mu.Unlock()
	}
	return nil
}

// startOKRetransmission implements §13.3.1.4: the 2xx is retransmitted
// at T1, doubling up to T2, until the ACK arrives; after 64·T1 the UAS
// gives up and reports ErrNoACK. Caller holds d.mu.
func (d *Dialog) startOKRetransmission(s *transaction.Server, resp *sip.Response) {
	d.stopOKRetransmission()
	d.okResp, d.okSrv = resp, s
	d.okInterval = d.m.t1
	d.okDeadline = time.Now().Add(64 * d.m.t1)
	d.armOK(d.okInterval)
}

func (d *Dialog) armOK(after time.Duration) {
	g := d.okGen
	d.okTimer = time.AfterFunc(after, func() { d.okFired(g) })
}

func (d *Dialog) stopOKRetransmission() {
	if d.okTimer != nil {
		d.okTimer.Stop()
		d.okTimer = nil
	}
	d.okGen++
	d.okResp, d.okSrv = nil, nil
}

func (d *Dialog) okFired(g uint32) {
	d.mu.Lock()
	if g != d.okGen || d.okResp == nil || d.state == StateTerminated {
		d.mu.Unlock()
		return
	}
	now := time.Now()
	if !now.Before(d.okDeadline) {
		// §13.3.1.4: no ACK after 64·T1: the session should end with BYE.
		d.stopOKRetransmission()
		d.mu.Unlock()
		d.terminate(ErrNoACK, true)
		return
	}
	resp, s := d.okResp, d.okSrv
	// RFC 6026: the 2xx goes through the Accepted server transaction; if
	// it is gone, send it directly.
	if err := s.Respond(resp); err != nil {
		_ = d.m.tl.Send(context.Background(), resp, s.Source())
	}
	d.okInterval = min(2*d.okInterval, d.m.t2)
	d.armOK(min(d.okInterval, d.okDeadline.Sub(now)))
	d.mu.Unlock()
}

// receiveACK handles the ACK for our 2xx.
func (d *Dialog) receiveACK(ack *sip.Request) {
	cs, err := ack.CSeq()
	if err != nil {
		return
	}
	d.mu.Lock()
	if d.state == StateTerminated || cs.Seq != d.inviteSeq {
		d.mu.Unlock()
		return
	}
	first := d.okResp != nil
	d.stopOKRetransmission()
	d.mu.Unlock()
	if first && d.m.cfg.OnACK != nil {
		d.m.cfg.OnACK(d, ack)
	}
}

// receive applies §12.2.2 to an in-dialog request and hands it on.
func (d *Dialog) receive(s *transaction.Server) {
	req := s.Request()
	cs, err := req.CSeq()
	if err != nil {
		d.m.respond(s, sip.NewResponse(req, sip.StatusBadRequest, "Bad CSeq"))
		return
	}
	d.mu.Lock()
	if d.state == StateTerminated {
		d.mu.Unlock()
		d.m.respond(s, sip.NewResponse(req, sip.StatusCallTransactionDoesNotExist, ""))
		return
	}
	// §12.2.2: a lower CSeq than the remote sequence number is out of
	// order: 500.
	if d.remoteSeqSet && cs.Seq < d.remoteSeq {
		d.mu.Unlock()
		d.m.respond(s, sip.NewResponse(req, sip.StatusServerInternalError, "CSeq Out Of Order"))
		return
	}
	d.remoteSeq, d.remoteSeqSet = cs.Seq, true
	if req.Method == sip.MethodInvite {
		switch {
		case d.pendingInvite:
			// §14.2: our own re-INVITE is pending: 491.
			d.mu.Unlock()
			d.m.respond(s, d.NewResponse(req, sip.StatusRequestPending, ""))
			return
		case d.incomingInvite:
			// §14.2: a previous re-INVITE from the peer is still being
			// answered: 500 with Retry-After 0-10 s.
			d.mu.Unlock()
			r := d.NewResponse(req, sip.StatusServerInternalError, "")
			r.SetHeader(sip.HeaderRetryAfter, itoa(uint32(GlareBackoff(false)/time.Second)))
			d.m.respond(s, r)
			return
		}
		d.incomingInvite = true
	}
	// §12.2.2: a target refresh request replaces the remote target.
	if isTargetRefresh(req.Method) {
		if u, ok := contactURI(req); ok {
			d.remoteTarget = u
		}
	}
	d.mu.Unlock()

	if req.Method == sip.MethodBye {
		// §15.1.2: answer 200 and end the dialog.
		d.m.respond(s, d.NewResponse(req, sip.StatusOK, ""))
		d.terminate(ErrRemoteBye, true)
		return
	}
	if f := d.m.cfg.OnRequest; f != nil {
		f(d, s)
		return
	}
	d.m.respond(s, d.NewResponse(req, sip.StatusNotImplemented, ""))
}

// isTargetRefresh reports the methods that refresh the remote target
// (§12.2, RFC 3311 UPDATE, RFC 6665 SUBSCRIBE/NOTIFY, RFC 3515 REFER).
func isTargetRefresh(method string) bool {
	switch method {
	case sip.MethodInvite, sip.MethodUpdate, sip.MethodSubscribe, sip.MethodNotify, sip.MethodRefer:
		return true
	}
	return false
}

// terminate ends the dialog (§12.3) and releases it.
func (d *Dialog) terminate(reason error, notify bool) {
	d.mu.Lock()
	if d.state == StateTerminated {
		d.mu.Unlock()
		return
	}
	d.state = StateTerminated
	d.stopOKRetransmission()
	close(d.done)
	d.mu.Unlock()
	d.m.remove(d)
	if notify && d.m.cfg.OnTerminate != nil {
		d.m.cfg.OnTerminate(d, reason)
	}
}

// ---- requests within the dialog (§12.2.1) ----

// NewRequest builds a request within the dialog per §12.2.1.1: To with the
// remote tag, From with the local tag, the Call-ID, a CSeq one above the
// local sequence number (ACK and CANCEL reuse it), and the Request-URI and
// Route from the remote target and route set: with a loose-routing first
// hop (lr) the Request-URI is the remote target and Route the route set;
// with a strict router the Request-URI is the first route's URI and the
// remote target is appended as the last Route. Target refresh requests get
// our Contact. The Via is added when the request is sent.
func (d *Dialog) NewRequest(method string) *sip.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	if method != sip.MethodAck && method != sip.MethodCancel {
		if !d.localSeqSet {
			d.localSeq, d.localSeqSet = initialCSeq(), true
		} else {
			d.localSeq++
		}
	}
	return d.buildLocked(method, d.localSeq)
}

func (d *Dialog) buildLocked(method string, seq uint32) *sip.Request {
	ruri := d.remoteTarget.Clone()
	var routes []sip.Address
	if len(d.routeSet) > 0 {
		first := d.routeSet[0]
		if _, lr := first.URI.Param("lr"); lr {
			routes = append(routes, d.routeSet...)
		} else {
			// §12.2.1.1 strict routing: the first route becomes the
			// Request-URI (minus parameters not allowed there: URI
			// headers), the remote target goes last.
			ruri = first.URI.Clone()
			ruri.Headers = nil
			routes = append(routes, d.routeSet[1:]...)
			routes = append(routes, sip.Address{URI: d.remoteTarget.Clone()})
		}
	}
	req := sip.NewRequest(method, ruri)
	req.SetFrom(d.localAddr.WithTag(d.id.LocalTag))
	to := d.remoteAddr.Clone()
	if d.id.RemoteTag != "" {
		to = to.WithTag(d.id.RemoteTag)
	}
	req.SetTo(to)
	req.SetCallID(d.id.CallID)
	req.SetCSeq(sip.CSeq{Seq: seq, Method: method})
	if len(routes) > 0 {
		req.SetRoutes(routes)
	}
	if isTargetRefresh(method) && !d.m.cfg.Contact.URI.IsZero() {
		req.SetContacts(d.m.cfg.Contact)
	}
	return req
}

// nextHop returns the URI the request goes to: the first Route, else the
// Request-URI (§12.2.1.1 with §8.1.2).
func nextHop(req *sip.Request) sip.URI {
	if rs, err := req.Routes(); err == nil && len(rs) > 0 {
		return rs[0].URI
	}
	return req.URI
}

// Target resolves where an in-dialog request goes.
func (d *Dialog) Target(ctx context.Context, req *sip.Request) (transaction.Target, error) {
	d.mu.Lock()
	resolve := d.resolve
	d.mu.Unlock()
	if resolve == nil {
		resolve = d.m.cfg.Resolve
	}
	return resolve(ctx, nextHop(req))
}

// Do sends a non-INVITE request built with NewRequest and returns its
// final response. A 2xx to a target refresh request (UPDATE, ...) updates
// the remote target from its Contact (§12.2.1.2); a 481 or 408 ends the
// dialog (§12.2.1.2).
func (d *Dialog) Do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	if req.Method == sip.MethodInvite {
		return nil, fmt.Errorf("dialog: use Reinvite for INVITE")
	}
	to, err := d.Target(ctx, req)
	if err != nil {
		return nil, err
	}
	resp, err := d.m.tl.Do(ctx, req, to)
	if err != nil {
		return nil, err
	}
	d.afterResponse(req, resp)
	return resp, nil
}

func (d *Dialog) afterResponse(req *sip.Request, resp *sip.Response) {
	switch {
	case resp.IsSuccess() && isTargetRefresh(req.Method):
		if u, ok := contactURI(resp); ok {
			d.mu.Lock()
			d.remoteTarget = u
			d.mu.Unlock()
		}
	case resp.StatusCode == sip.StatusCallTransactionDoesNotExist || resp.StatusCode == sip.StatusRequestTimeout:
		d.terminate(fmt.Errorf("%w: %d to %s", ErrTerminated, resp.StatusCode, req.Method), true)
	}
}

// Bye ends the dialog (§15.1.1): the dialog is terminated at once and the
// BYE's final response returned.
func (d *Dialog) Bye(ctx context.Context) (*sip.Response, error) {
	req := d.NewRequest(sip.MethodBye)
	to, err := d.Target(ctx, req)
	d.terminate(ErrLocalBye, true)
	if err != nil {
		return nil, err
	}
	return d.m.tl.Do(ctx, req, to)
}

// Reinvite sends a re-INVITE built with NewRequest(INVITE) (§14.1) and
// returns its final response. While it runs the dialog's pending flag is
// set, so a re-INVITE from the peer gets 491; if ours gets 491 the caller
// waits d.GlareBackoff() and retries. A 2xx refreshes the remote target
// and is ACKed (and re-ACKed on retransmission); ErrPending when another
// re-INVITE of ours is in progress.
func (d *Dialog) Reinvite(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	d.mu.Lock()
	if d.pendingInvite {
		d.mu.Unlock()
		return nil, ErrPending
	}
	d.pendingInvite = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.pendingInvite = false
		d.mu.Unlock()
	}()
	to, err := d.Target(ctx, req)
	if err != nil {
		return nil, err
	}
	c, err := d.m.tl.Request(ctx, req, to)
	if err != nil {
		return nil, err
	}
	for resp := range c.Responses() {
		if resp.StatusCode < 200 {
			continue
		}
		if resp.IsSuccess() {
			d.afterResponse(req, resp)
			d.sendACK(ctx, resp, req)
			// Keep ACKing 2xx retransmissions until Timer M.
			d.m.goOwned(func() {
				for r := range c.Responses() {
					if r.IsSuccess() {
						d.reACK(r)
					}
				}
			})
		} else {
			d.afterResponse(req, resp)
		}
		return resp, nil
	}
	return nil, c.Err()
}

// sendACK builds, records and sends the ACK for a 2xx to our INVITE
// (§13.2.2.4): the INVITE's CSeq number with method ACK, Request-URI and
// Route from the dialog, a new branch. It is retransmitted for each
// retransmission of the 2xx (reACK).
//
// §13.2.2.4: the ACK carries the same credentials as the INVITE (its
// Authorization and Proxy-Authorization values), when invite is known.
func (d *Dialog) sendACK(ctx context.Context, resp *sip.Response, invite *sip.Request) {
	cs, _ := resp.CSeq()
	d.mu.Lock()
	ack := d.buildLocked(sip.MethodAck, cs.Seq)
	if ack.HasHeader(sip.HeaderContact) {
		ack.RemoveHeader(sip.HeaderContact)
	}
	d.mu.Unlock()
	if invite != nil {
		for _, h := range []string{sip.HeaderAuthorization, sip.HeaderProxyAuthorization} {
			for _, v := range invite.HeaderValues(h) {
				ack.AddHeader(h, v)
			}
		}
	}
	if f := d.m.cfg.PrepareACK; f != nil {
		f(d, ack, resp)
	}
	to, err := d.Target(ctx, ack)
	if err != nil {
		d.m.log.Debug("dialog: cannot resolve ack target", "dialog", d.id, "err", err)
		return
	}
	if err := d.m.tl.Send(ctx, ack, to); err != nil {
		d.m.log.Debug("dialog: ack send failed", "dialog", d.id, "err", err)
	}
	d.mu.Lock()
	d.inviteSeq, d.ack, d.ackTarget = cs.Seq, ack, to
	d.mu.Unlock()
}

// reACK retransmits the ACK for a retransmitted 2xx (§13.2.2.4).
func (d *Dialog) reACK(resp *sip.Response) {
	cs, _ := resp.CSeq()
	d.mu.Lock()
	if d.ack == nil || cs.Seq != d.inviteSeq {
		d.mu.Unlock()
		return
	}
	// Send a copy: the transport may touch the Via of what it sends.
	ack, to := d.ack.Clone(), d.ackTarget
	d.mu.Unlock()
	_ = d.m.tl.Send(context.Background(), ack, to)
}
