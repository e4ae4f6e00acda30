package dialog

import (
	"context"
	"fmt"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// This file serves UAs that run the client transaction of a
// dialog-creating request themselves (to fail over between targets, retry
// with credentials or follow redirects) instead of through Invite, and
// that send in-dialog requests through their own machinery: the dialog
// state, its ACKs and the UAS duties stay here.

// NewUAC returns the dialog that resp, a 101-299 response with a To tag to
// req (a request we sent outside any dialog), creates (§12.1.2): an early
// dialog for a provisional response, a confirmed one for a 2xx. The route
// set is the Record-Route of resp reversed, the remote target its Contact,
// the local CSeq that of req. If the dialog exists already, a 2xx confirms
// it and recomputes the route set and remote target from the 2xx
// (§13.2.2.4, §12.1.2); a provisional response leaves it alone. For an
// INVITE's 2xx, send the ACK with d.ACK; other forks' 2xx are the caller's
// to ACK and end.
func (m *Manager) NewUAC(req *sip.Request, resp *sip.Response) (*Dialog, error) {
	tag := resp.ToTag()
	switch {
	case tag == "":
		return nil, fmt.Errorf("dialog: response without a to tag creates no dialog")
	case resp.StatusCode <= 100 || resp.StatusCode >= 300:
		return nil, fmt.Errorf("dialog: a %d response creates no dialog", resp.StatusCode)
	case req.FromTag() == "" || req.ToTag() != "":
		return nil, fmt.Errorf("dialog: the request needs a from tag and no to tag")
	}
	state := StateEarly
	if resp.IsSuccess() {
		state = StateConfirmed
	}
	reliable := false
	if v, err := resp.TopVia(); err == nil {
		reliable = v.Reliable()
	}
	d, added := m.add(newUACDialog(m, req, resp, state, reliable))
	if added {
		return d, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.state == StateTerminated || !d.uac {
		return nil, fmt.Errorf("dialog: %w", ErrTerminated)
	}
	if state == StateConfirmed {
		if d.state == StateEarly {
			d.state = StateConfirmed
		}
		d.setRouteFromResponse(resp, req.URI)
	}
	return d, nil
}

// ACK sends the ACK for resp, a 2xx to invite, our INVITE or re-INVITE in
// this dialog (§13.2.2.4): built once per INVITE (its CSeq number with
// method ACK, Request-URI and Route from the dialog, the INVITE's
// credentials, Config.PrepareACK applied), and the same ACK sent again for
// each retransmission of the 2xx. It resolves the next hop and may block
// on the network; a UA with an event loop calls it from another goroutine.
func (d *Dialog) ACK(ctx context.Context, invite *sip.Request, resp *sip.Response) error {
	cs, err := resp.CSeq()
	if err != nil || cs.Method != sip.MethodInvite || !resp.IsSuccess() {
		return fmt.Errorf("dialog: ACK needs a 2xx to an INVITE")
	}
	d.mu.Lock()
	if d.ack != nil && d.inviteSeq == cs.Seq {
		ack, to := d.ack.Clone(), d.ackTarget
		d.mu.Unlock()
		return d.m.tl.Send(ctx, ack, to)
	}
	d.mu.Unlock()
	d.sendACK(ctx, resp, invite)
	return nil
}

// SetResolve overrides Config.Resolve for this dialog's requests and ACKs
// (a UA whose accounts default to different transports).
func (d *Dialog) SetResolve(f func(ctx context.Context, next sip.URI) (transaction.Target, error)) {
	d.mu.Lock()
	d.resolve = f
	d.mu.Unlock()
}

// NextSeq takes the next local CSeq number, for a request the UA sends
// again within the dialog with credentials (§22.2, §8.1.3.5: a new
// request, a new CSeq).
func (d *Dialog) NextSeq() uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.localSeqSet {
		d.localSeq, d.localSeqSet = initialCSeq(), true
	} else {
		d.localSeq++
	}
	return d.localSeq
}

// Update applies the final response to a request the UA sent in the
// dialog without Do or Reinvite: a 2xx to a target refresh request
// replaces the remote target with its Contact (§12.2.1.2); a 481 or 408
// terminates the dialog (§12.2.1.2), reported to OnTerminate.
func (d *Dialog) Update(req *sip.Request, resp *sip.Response) {
	if resp.StatusCode >= 200 {
		d.afterResponse(req, resp)
	}
}

// Terminate ends the dialog without a BYE (the UA sent or answered one
// itself, or the session never came about) and releases it; OnTerminate
// is not called. The 2xx retransmission stops.
func (d *Dialog) Terminate() { d.terminate(ErrTerminated, false) }

// NewNotified returns the dialog a NOTIFY (s's request) creates for our
// subscribe when it arrives before the SUBSCRIBE's 2xx (RFC 6665
// §4.1.2.4): local tag and URI from the SUBSCRIBE's From, remote tag and
// URI from the NOTIFY's From, remote target from its Contact, route set
// from its Record-Route in order (it is a request we receive, §12.1.1),
// local CSeq from the SUBSCRIBE and remote CSeq from the NOTIFY. The
// dialog is confirmed; the SUBSCRIBE's 2xx later refreshes its target
// (Update). If the dialog exists already it is returned as it is.
func (m *Manager) NewNotified(subscribe *sip.Request, s *transaction.Server) (*Dialog, error) {
	notify := s.Request()
	from, err := subscribe.From()
	if err != nil {
		return nil, fmt.Errorf("dialog: subscribe from: %w", err)
	}
	nfrom, err := notify.From()
	if err != nil {
		return nil, fmt.Errorf("dialog: notify from: %w", err)
	}
	cs, err := subscribe.CSeq()
	if err != nil {
		return nil, fmt.Errorf("dialog: subscribe cseq: %w", err)
	}
	ncs, err := notify.CSeq()
	if err != nil {
		return nil, fmt.Errorf("dialog: notify cseq: %w", err)
	}
	rr, err := notify.RecordRoutes()
	if err != nil {
		return nil, fmt.Errorf("dialog: record-route: %w", err)
	}
	if notify.CallID() != subscribe.CallID() || notify.ToTag() == "" || notify.ToTag() != from.Tag() || nfrom.Tag() == "" {
		return nil, fmt.Errorf("dialog: the notify does not belong to the subscribe")
	}
	d := newDialog(m, ID{CallID: subscribe.CallID(), LocalTag: from.Tag(), RemoteTag: nfrom.Tag()}, true)
	d.state = StateConfirmed
	d.localAddr, d.remoteAddr = stripTag(from), stripTag(nfrom)
	if u, ok := contactURI(notify); ok {
		d.remoteTarget = u
	} else {
		d.remoteTarget = subscribe.URI.Clone()
	}
	d.routeSet = rr
	d.localSeq, d.localSeqSet = cs.Seq, true
	d.remoteSeq, d.remoteSeqSet = ncs.Seq, true
	d.secure = subscribe.URI.IsSIPS() && s.Source().Reliable()
	d, _ = m.add(d)
	return d, nil
}
