package ua

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
	"github.com/teaphone/teaphone/ua/pidf"
)

// ---- our presence: PUBLISH (RFC 3903) ----

type publication struct {
	etag     string
	timer    *time.Timer
	inflight bool
	dirty    bool // the state changed while a PUBLISH was in flight
	closing  bool
}

func (acc *account) pidfDoc() []byte {
	p := acc.presence
	d := pidf.Document{Entity: "pres:" + acc.cfg.User + "@" + acc.cfg.Domain, Activities: p.Activities, Note: p.Note}
	switch p.Basic {
	case BasicOpen:
		d.Basic = pidf.Open
	case BasicClosed:
		d.Basic = pidf.Closed
	}
	return pidf.Marshal(d, "t"+strconv.Itoa(len(acc.cfg.User)), "p1")
}

// Publish sets our presence for account: it is PUBLISHed to the presence
// server (accounts with a registrar) and NOTIFYed to peer-to-peer watchers.
func (a *Agent) Publish(ctx context.Context, account string, p Presence) error {
	return a.do(ctx, func() error {
		acc, err := a.account(account)
		if err != nil {
			return err
		}
		p.Activities = append([]string(nil), p.Activities...)
		acc.presence, acc.hasPres = p, true
		for _, w := range a.watchers {
			if w.acc == acc {
				a.notifyWatcher(w, "active;expires="+strconv.Itoa(w.remaining()))
			}
		}
		if !acc.cfg.NoRegister {
			acc.publish(true)
		}
		return nil
	})
}

// publish sends a PUBLISH: the initial one or a modification with a body,
// a refresh (RFC 3903 §4.3) without.
func (acc *account) publish(withBody bool) {
	a := acc.a
	if acc.pub == nil {
		acc.pub = &publication{}
	}
	pub := acc.pub
	if pub.inflight {
		if withBody {
			pub.dirty = true
		}
		return
	}
	if pub.timer != nil {
		pub.timer.Stop()
		pub.timer = nil
	}
	req := acc.newRequest("PUBLISH", acc.aor())
	req.SetHeader("Event", "presence")
	secs := int(a.cfg.PublishExpires / time.Second)
	if pub.closing {
		secs = 0
	}
	req.SetExpires(secs)
	if pub.etag != "" {
		req.SetHeader("SIP-If-Match", pub.etag)
	}
	if withBody || pub.etag == "" {
		req.SetContent(pidf.ContentType, acc.pidfDoc())
	}
	pub.inflight = true
	closing := pub.closing
	if closing {
		a.hold()
	}
	o := &outReq{acc: acc, req: req, dest: nextHop(req, acc.cfg.Transport)}
	o.h = func(resp *sip.Response, err error) {
		if resp != nil && resp.IsProvisional() {
			return
		}
		pub.inflight = false
		if closing {
			pub.etag = ""
			a.release()
			return
		}
		switch {
		case err != nil:
			a.errorEvent("publish", err)
			return
		case resp.IsSuccess():
			if et := resp.Header("SIP-ETag"); et != "" {
				pub.etag = et
			}
			exp := a.cfg.PublishExpires
			if n, err := resp.Expires(); err == nil && resp.HasHeader("Expires") && n > 0 {
				exp = time.Duration(n) * time.Second
			}
			if pub.dirty {
				pub.dirty = false
				acc.publish(true)
				return
			}
			pub.timer = a.afterFunc(max(exp/2, exp-30*time.Second), func() { pub.timer = nil; acc.publish(false) })
		case resp.StatusCode == 412:
			// §6: our entity-tag is unknown: start afresh with the body.
			pub.etag = ""
			acc.publish(true)
		default:
			a.errorEvent("publish", &ResponseError{Code: resp.StatusCode, Reason: resp.Reason})
		}
	}
	a.start(o)
}

// unpublish removes our publication (Expires: 0, §4.5) on Close.
func (acc *account) unpublish() {
	if acc.pub == nil || acc.pub.etag == "" || acc.pub.inflight {
		return
	}
	acc.pub.closing = true
	acc.publish(false)
}

// ---- buddies: SUBSCRIBE (RFC 6665, RFC 3856) ----

type subscription struct {
	a        *Agent
	acc      *account
	key      string
	target   sip.URI
	callID   string
	localTag string
	cseq     uint32
	out      *outReq        // the initial SUBSCRIBE, as last sent
	dlg      *dialog.Dialog // in the dialog layer (RFC 6665 §4.1.2.4)
	// dlgContact is our Contact for dlg (its SUBSCRIBEs carry it).
	dlgContact sip.Address
	state      SubState
	timer      *time.Timer
	ending     bool
	failures   int
}

// contact is our Contact for requests in the subscription's dialog.
func (s *subscription) contact() sip.Address { return s.dlgContact }

// endDialog leaves the subscription's dialog (no BYE: RFC 6665 dialogs
// end with the subscription).
func (s *subscription) endDialog() {
	if s.dlg != nil {
		s.dlg.Terminate()
		s.dlg = nil
	}
}

func (s *subscription) stopTimers() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

func (s *subscription) event(state SubState, code int, reason string) {
	s.state = state
	s.a.emit(SubscriptionEvent{URI: s.key, Event: "presence", State: state, Code: code, Reason: reason})
}

// Subscribe watches uri's presence; PresenceEvents follow.
func (a *Agent) Subscribe(ctx context.Context, account, uri string) error {
	return a.do(ctx, func() error {
		acc, err := a.account(account)
		if err != nil {
			return err
		}
		u, err := acc.targetURI(uri)
		if err != nil {
			return err
		}
		key := u.String()
		if _, ok := a.subs[key]; ok {
			return nil
		}
		s := &subscription{a: a, acc: acc, key: key, target: u}
		a.subs[key] = s
		s.event(SubPending, 0, "")
		s.subscribe()
		return nil
	})
}

// Unsubscribe ends the subscription to uri (SUBSCRIBE with Expires: 0).
func (a *Agent) Unsubscribe(ctx context.Context, uri string) error {
	return a.do(ctx, func() error {
		s := a.subs[uri]
		if s == nil {
			for _, acc := range a.accounts {
				if u, err := acc.targetURI(uri); err == nil {
					if s = a.subs[u.String()]; s != nil {
						break
					}
				}
			}
		}
		if s == nil {
			return fmt.Errorf("ua: not subscribed to %q", uri)
		}
		a.unsubscribe(s)
		return nil
	})
}

func (a *Agent) unsubscribe(s *subscription) {
	if s.ending {
		return
	}
	s.ending = true
	s.stopTimers()
	delete(a.subs, s.key)
	if s.dlg != nil {
		req := s.dlg.NewRequest("SUBSCRIBE")
		req.SetContacts(s.contact())
		req.SetHeader("Event", "presence")
		req.SetHeader("Accept", pidf.ContentType)
		req.SetExpires(0)
		a.hold()
		o := &outReq{acc: s.acc, req: req, dest: nextHop(req, s.acc.cfg.Transport), nextSeq: s.dlg.NextSeq}
		o.h = func(resp *sip.Response, err error) {
			if resp != nil && resp.IsProvisional() {
				return
			}
			a.release()
		}
		a.start(o)
	}
	s.event(SubTerminated, 0, "unsubscribed")
}

// subscribe sends an initial SUBSCRIBE, creating a new dialog.
func (s *subscription) subscribe() {
	a := s.a
	if s.callID != "" && a.subByCID[s.callID] == s {
		delete(a.subByCID, s.callID)
	}
	s.endDialog()
	req := s.acc.newRequest("SUBSCRIBE", sip.Address{URI: s.target})
	req.SetContacts(s.acc.contact())
	req.SetHeader("Event", "presence")
	req.SetHeader("Accept", pidf.ContentType)
	req.SetExpires(int(a.cfg.SubscribeExpires / time.Second))
	s.callID = req.CallID()
	s.localTag = req.FromTag()
	s.cseq = 1
	a.subByCID[s.callID] = s
	callID := s.callID
	o := &outReq{acc: s.acc, req: req, dest: nextHop(req, s.acc.cfg.Transport), nextSeq: func() uint32 { s.cseq++; return s.cseq }}
	o.h = func(resp *sip.Response, err error) {
		if s.ending || s.callID != callID || (resp != nil && resp.IsProvisional()) {
			return
		}
		s.onResponse(o.req, resp, err)
	}
	s.out = o
	a.start(o)
}

func (s *subscription) onResponse(req *sip.Request, resp *sip.Response, err error) {
	a := s.a
	if err != nil {
		code, reason, _ := classify(err)
		s.fail(code, reason, true)
		return
	}
	if !resp.IsSuccess() {
		transient := resp.StatusCode == 408 || resp.StatusCode == 480 || resp.StatusCode == 503 || resp.StatusCode == 500
		if resp.StatusCode == 481 && s.dlg != nil {
			// refresh of a dialog the notifier forgot: start again
			s.subscribe()
			return
		}
		s.fail(resp.StatusCode, resp.Reason, transient)
		return
	}
	s.failures = 0
	if s.dlg == nil {
		// §12.1.2 (RFC 6665 §4.1.2.1): the 2xx creates the dialog.
		if d, err := a.dm.NewUAC(req, resp); err == nil {
			d.SetResolve(a.dialogResolve(s.acc))
			s.dlg, s.dlgContact = d, s.acc.contact()
		}
	} else {
		s.dlg.Update(req, resp) // §12.2.1.2 target refresh
	}
	exp := a.cfg.SubscribeExpires
	if n, err := resp.Expires(); err == nil && resp.HasHeader("Expires") {
		exp = time.Duration(n) * time.Second
	}
	s.schedule(exp)
}

// schedule the refresh before expiry (RFC 6665 §4.1.2.1).
func (s *subscription) schedule(exp time.Duration) {
	s.stopTimers()
	if exp <= 0 {
		return
	}
	s.timer = s.a.afterFunc(max(exp/2, exp-30*time.Second), func() {
		s.timer = nil
		s.refresh()
	})
}

func (s *subscription) refresh() {
	if s.ending || s.dlg == nil {
		if !s.ending {
			s.subscribe()
		}
		return
	}
	a := s.a
	req := s.dlg.NewRequest("SUBSCRIBE")
	req.SetContacts(s.contact())
	req.SetHeader("Event", "presence")
	req.SetHeader("Accept", pidf.ContentType)
	req.SetExpires(int(a.cfg.SubscribeExpires / time.Second))
	callID := s.callID
	o := &outReq{acc: s.acc, req: req, dest: nextHop(req, s.acc.cfg.Transport), nextSeq: s.dlg.NextSeq}
	o.h = func(resp *sip.Response, err error) {
		if s.ending || s.callID != callID || (resp != nil && resp.IsProvisional()) {
			return
		}
		if err == nil && !resp.IsSuccess() {
			// §4.1.2.2: a failed refresh ends the subscription; try anew
			s.subscribe()
			return
		}
		s.onResponse(req, resp, err)
	}
	a.start(o)
}

// fail reports a failed SUBSCRIBE; transient failures retry with back-off.
func (s *subscription) fail(code int, reason string, transient bool) {
	a := s.a
	s.event(SubFailed, code, strconv.Itoa(code)+" "+reason)
	if !transient {
		delete(a.subs, s.key)
		delete(a.subByCID, s.callID)
		s.ending = true
		return
	}
	d := min(60*time.Second<<min(s.failures, 5), 30*time.Minute)
	s.failures++
	s.stopTimers()
	s.timer = a.afterFunc(d, func() { s.timer = nil; s.subscribe() })
}

// subNotify handles a NOTIFY for one of our subscriptions (RFC 6665
// §4.1.3, RFC 3856 §6.6). d is its dialog when the dialog layer delivered
// it (CSeq checked, target refreshed), nil when no dialog matched it.
func (a *Agent) subNotify(s *subscription, d *dialog.Dialog, srv *transaction.Server) {
	req := srv.Request()
	ev, err := req.Event()
	if err != nil || !strings.EqualFold(ev.Value, "presence") {
		a.reply(srv, 489, "Bad Event", "Allow-Events", "presence")
		return
	}
	ss, err := req.SubscriptionState()
	if err != nil {
		a.reply(srv, 400, "Bad Subscription-State")
		return
	}
	switch {
	case s.dlg == nil && s.out != nil:
		// The NOTIFY overtook the 2xx: it creates the dialog (§4.1.2.4).
		d, err := a.dm.NewNotified(s.out.req, srv)
		if err != nil {
			a.reply(srv, 481, "")
			return
		}
		d.SetResolve(a.dialogResolve(s.acc))
		s.dlg, s.dlgContact = d, s.acc.contact()
	case s.dlg == nil || d != s.dlg:
		// another notifier (a fork) or a dialog we left
		a.reply(srv, 481, "")
		return
	}
	if len(req.Body()) > 0 && bodyType(req) != pidf.ContentType {
		a.reply(srv, 415, "", "Accept", pidf.ContentType)
		return
	}
	var doc pidf.Document
	if len(req.Body()) > 0 {
		doc, err = pidf.Parse(req.Body())
		if err != nil {
			a.reply(srv, 400, "Bad PIDF")
			return
		}
	}
	a.reply(srv, 200, "")
	if s.ending {
		if strings.EqualFold(ss.Value, "terminated") {
			delete(a.subByCID, s.callID)
			s.endDialog()
		}
		return
	}
	if len(req.Body()) > 0 {
		p := Presence{Activities: doc.Activities, Note: doc.Note}
		switch doc.Basic {
		case pidf.Open:
			p.Basic = BasicOpen
		case pidf.Closed:
			p.Basic = BasicClosed
		}
		a.emit(PresenceEvent{URI: s.key, Presence: p, At: time.Now()})
	}
	switch strings.ToLower(ss.Value) {
	case "active", "pending":
		st := SubActive
		if strings.EqualFold(ss.Value, "pending") {
			st = SubPending
		}
		if s.state != st {
			s.event(st, 0, "")
		}
		if e, err := strconv.Atoi(ss.Param("expires")); err == nil && e > 0 {
			s.schedule(time.Duration(e) * time.Second)
		}
	case "terminated":
		reason := strings.ToLower(ss.Param("reason"))
		s.stopTimers()
		delete(a.subByCID, s.callID)
		s.endDialog()
		s.event(SubTerminated, 0, reason)
		// RFC 6665 §4.1.3: re-subscribe after deactivated/timeout (or no
		// reason); after probation/giveup wait retry-after; never after
		// rejected/noresource/invariant.
		switch reason {
		case "", "deactivated", "timeout":
			s.subscribe()
			s.event(SubPending, 0, "")
		case "probation", "giveup":
			d := 60 * time.Second
			if n, err := strconv.Atoi(ss.Param("retry-after")); err == nil && n >= 0 {
				d = time.Duration(n) * time.Second
			}
			s.timer = a.afterFunc(d, func() { s.timer = nil; s.subscribe(); s.event(SubPending, 0, "") })
		default:
			s.ending = true
			delete(a.subs, s.key)
		}
	default:
		// unknown states are treated as pending (RFC 6665 §8.2.3)
	}
}

// ---- watchers: SUBSCRIBEs for our own address (peer to peer) ----

type watcher struct {
	acc     *account
	dlg     *dialog.Dialog
	contact sip.Address
	timer   *time.Timer
	until   time.Time
	closing bool
}

func (w *watcher) remaining() int {
	return max(0, int(time.Until(w.until)/time.Second))
}

const maxWatchExpires = 3600

func (a *Agent) incomingSubscribe(acc *account, s *transaction.Server) {
	req := s.Request()
	ev, err := req.Event()
	if err != nil || !strings.EqualFold(ev.Value, "presence") {
		// RFC 6665 §4.2.1.1: 489 with the packages we know
		a.reply(s, 489, "Bad Event", "Allow-Events", "presence")
		return
	}
	exp := maxWatchExpires
	if n, err := req.Expires(); err == nil && req.HasHeader("Expires") {
		exp = min(n, maxWatchExpires)
	}
	dlg, err := a.dm.NewUAS(s) // §12.1.1
	if err != nil {
		a.reply(s, 500, "Server Internal Error")
		return
	}
	dlg.SetResolve(a.dialogResolve(acc))
	w := &watcher{acc: acc, dlg: dlg, contact: acc.contact()}
	resp := sip.NewResponse(req, 200, "")
	_ = resp.SetToTag(dlg.ID().LocalTag)
	resp.SetContacts(w.contact)
	resp.SetExpires(exp)
	a.respondIn(dlg, s, resp)
	if exp == 0 {
		// a fetch (§4.4.3): one NOTIFY, terminated
		a.sendWatcherNotify(w, "terminated;reason=timeout")
		dlg.Terminate()
		return
	}
	a.watchers[dlg.ID().CallID] = w
	a.armWatcher(w, exp)
	a.notifyWatcher(w, "active;expires="+strconv.Itoa(exp))
}

func (a *Agent) armWatcher(w *watcher, exp int) {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.until = time.Now().Add(time.Duration(exp) * time.Second)
	w.timer = a.afterFunc(time.Duration(exp)*time.Second, func() {
		w.timer = nil
		a.terminateWatcher(w, "timeout")
	})
}

// watcherSubscribe handles a refresh or un-SUBSCRIBE in a watcher's
// dialog (the dialog layer checked its CSeq and refreshed the target).
func (a *Agent) watcherSubscribe(w *watcher, s *transaction.Server) {
	req := s.Request()
	exp := maxWatchExpires
	if n, err := req.Expires(); err == nil && req.HasHeader("Expires") {
		exp = min(n, maxWatchExpires)
	}
	resp := sip.NewResponse(req, 200, "")
	resp.SetContacts(w.contact)
	resp.SetExpires(exp)
	a.respond(s, resp)
	if exp == 0 {
		a.terminateWatcher(w, "timeout")
		return
	}
	a.armWatcher(w, exp)
	a.notifyWatcher(w, "active;expires="+strconv.Itoa(exp))
}

func (a *Agent) notifyWatcher(w *watcher, state string) {
	if w.closing {
		return
	}
	a.sendWatcherNotify(w, state)
}

// terminateWatcher ends a watcher's subscription with a final NOTIFY.
func (a *Agent) terminateWatcher(w *watcher, reason string) {
	if w.closing {
		return
	}
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	a.sendWatcherNotify(w, "terminated;reason="+reason)
	w.closing = true
	delete(a.watchers, w.dlg.ID().CallID)
	w.dlg.Terminate()
}

func (a *Agent) sendWatcherNotify(w *watcher, state string) {
	req := w.dlg.NewRequest("NOTIFY")
	req.SetContacts(w.contact)
	req.SetHeader("Event", "presence")
	req.SetHeader("Subscription-State", state)
	req.SetContent(pidf.ContentType, w.acc.pidfDoc())
	a.hold()
	o := &outReq{acc: w.acc, req: req, dest: nextHop(req, w.acc.cfg.Transport), nextSeq: w.dlg.NextSeq}
	o.h = func(resp *sip.Response, err error) {
		if resp != nil && resp.IsProvisional() {
			return
		}
		a.release()
		if (resp != nil && (resp.StatusCode == 481 || resp.StatusCode >= 400)) || errors.Is(err, transaction.ErrTimeout) {
			// §4.2.2: the subscriber is gone
			if !w.closing {
				w.closing = true
				if w.timer != nil {
					w.timer.Stop()
				}
				delete(a.watchers, w.dlg.ID().CallID)
				w.dlg.Terminate()
			}
		}
	}
	a.start(o)
}
