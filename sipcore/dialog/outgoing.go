package dialog

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// Response is a response to our INVITE with the dialog it belongs to: the
// early dialog for a 101-199 with a To tag, the confirmed dialog for the
// 2xx, nil otherwise.
type Response struct {
	Msg    *sip.Response
	Dialog *Dialog
}

// Outgoing is an INVITE we sent outside any dialog (§13.2): it creates an
// early dialog per To tag of the provisional responses (forking, §12.1.2),
// confirms the dialog of the first 2xx, ACKs every 2xx (§13.2.2.4), and
// ACKs then BYEs the 2xx of any other fork.
type Outgoing struct {
	m   *Manager
	tx  *transaction.Client
	req *sip.Request
	to  transaction.Target
	ctx context.Context
	out chan Response

	mu        sync.Mutex
	early     map[string]*Dialog // by remote tag
	forks     map[string]*Dialog // other forks' 2xx, ACKed and BYEd
	confirmed *Dialog
	final     *sip.Response
	err       error
	done      chan struct{}
}

// Invite sends an initial INVITE (it must carry a From tag and no To tag)
// to `to` and returns at once; follow it with Responses. ctx bounds the
// first send and the wait for the first final response (see
// transaction.Layer.Request).
func (m *Manager) Invite(ctx context.Context, req *sip.Request, to transaction.Target) (*Outgoing, error) {
	if req.Method != sip.MethodInvite {
		return nil, fmt.Errorf("dialog: Invite needs an INVITE, not %s", req.Method)
	}
	if req.FromTag() == "" || req.ToTag() != "" {
		return nil, fmt.Errorf("dialog: an initial INVITE needs a From tag and no To tag")
	}
	tx, err := m.tl.Request(ctx, req, to)
	if err != nil {
		return nil, err
	}
	o := &Outgoing{m: m, tx: tx, req: req, to: to, ctx: context.WithoutCancel(ctx),
		out: make(chan Response), early: map[string]*Dialog{}, forks: map[string]*Dialog{}, done: make(chan struct{})}
	if !m.goOwned(o.run) {
		close(o.out)
		close(o.done)
	}
	return o, nil
}

// Responses delivers every provisional response and the final response
// (the first 2xx, or the non-2xx), in order, then closes. Later 2xx
// retransmissions and other forks' 2xx are handled internally.
func (o *Outgoing) Responses() <-chan Response { return o.out }

// Cancel cancels the INVITE (§9.1; see transaction.Client.Cancel).
func (o *Outgoing) Cancel() error { return o.tx.Cancel() }

// Dialog returns the confirmed dialog, nil before a 2xx.
func (o *Outgoing) Dialog() *Dialog {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.confirmed
}

// Done is closed when the INVITE transaction has ended (after Timer M for
// a 2xx) and every 2xx has been ACKed.
func (o *Outgoing) Done() <-chan struct{} { return o.done }

// Err returns the transaction's error (ErrTimeout, ErrTransport, ...) once
// Done is closed.
func (o *Outgoing) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

func (o *Outgoing) run() {
	defer close(o.done)
	in := o.tx.Responses()
	var q []Response
	finalQueued, outClosed := false, false
	for in != nil || (len(q) > 0 && !outClosed) {
		var out chan Response
		var head Response
		if len(q) > 0 && !outClosed {
			out, head = o.out, q[0]
		}
		select {
		case r, ok := <-in:
			if !ok {
				in = nil
				break
			}
			if ev, deliver, final := o.handle(r); deliver && !finalQueued {
				q = append(q, ev)
				finalQueued = final
			}
		case out <- head:
			q = q[1:]
			if len(q) == 0 && finalQueued {
				close(o.out)
				outClosed = true
			}
		case <-o.m.done:
			in = nil
			q = nil
		}
	}
	if !outClosed {
		close(o.out)
	}
	o.mu.Lock()
	o.err = o.tx.Err()
	early := o.early
	o.early = nil
	o.mu.Unlock()
	// §12.3 / §13.2.2.4: early dialogs that were never confirmed end with
	// the transaction.
	for _, d := range early {
		d.terminate(fmt.Errorf("%w: invite ended without confirming it", ErrTerminated), true)
	}
}

// handle processes one response; it returns the event to deliver, whether
// to deliver it, and whether it is the final one.
func (o *Outgoing) handle(r *sip.Response) (Response, bool, bool) {
	tag := r.ToTag()
	switch {
	case r.StatusCode < 200:
		if tag == "" || r.StatusCode == 100 {
			return Response{Msg: r}, true, false
		}
		return Response{Msg: r, Dialog: o.earlyDialog(r)}, true, false
	case r.IsSuccess():
		o.mu.Lock()
		confirmed := o.confirmed
		o.mu.Unlock()
		if confirmed != nil {
			if confirmed.id.RemoteTag == tag {
				confirmed.reACK(r) // §13.2.2.4: retransmission: ACK again
				return Response{}, false, false
			}
			o.forkedOK(r)
			return Response{}, false, false
		}
		d := o.confirm(r)
		return Response{Msg: r, Dialog: d}, true, true
	}
	// 300-699: the transaction ACKed it; every early dialog ends (§12.3).
	o.mu.Lock()
	early := o.early
	o.early = map[string]*Dialog{}
	o.mu.Unlock()
	for _, d := range early {
		d.terminate(fmt.Errorf("%w: %d %s", ErrRejected, r.StatusCode, r.Reason), true)
	}
	return Response{Msg: r}, true, true
}

// newUAC builds the dialog a UAC gets from a response with a To tag
// (§12.1.2): route set = Record-Route reversed, remote target = Contact,
// local CSeq = the INVITE's.
func (o *Outgoing) newUAC(r *sip.Response, state State) *Dialog {
	return newUACDialog(o.m, o.req, r, state, o.to.Reliable())
}

// newUACDialog builds the dialog a response with a To tag to req creates
// (§12.1.2); reliable tells whether req went over a reliable transport
// (§12.1.1 secure dialogs).
func newUACDialog(m *Manager, req *sip.Request, r *sip.Response, state State, reliable bool) *Dialog {
	from, _ := req.From()
	to, err := r.To()
	if err != nil {
		to, _ = req.To()
	}
	cs, _ := req.CSeq()
	d := newDialog(m, ID{CallID: req.CallID(), LocalTag: from.Tag(), RemoteTag: r.ToTag()}, true)
	d.state = state
	d.localAddr, d.remoteAddr = stripTag(from), stripTag(to)
	d.setRouteFromResponse(r, req.URI)
	d.localSeq, d.localSeqSet = cs.Seq, true
	if req.Method == sip.MethodInvite {
		d.inviteSeq = cs.Seq
	}
	d.secure = req.URI.IsSIPS() && reliable
	return d
}

// setRouteFromResponse sets the route set (Record-Route reversed) and
// the remote target (Contact; the Request-URI when the response lacks
// one) from a response, §12.1.2.
func (d *Dialog) setRouteFromResponse(r *sip.Response, fallback sip.URI) {
	rr, _ := r.RecordRoutes()
	slices.Reverse(rr)
	d.routeSet = rr
	if u, ok := contactURI(r); ok {
		d.remoteTarget = u
	} else if d.remoteTarget.IsZero() {
		d.remoteTarget = fallback.Clone()
	}
}

func (o *Outgoing) earlyDialog(r *sip.Response) *Dialog {
	tag := r.ToTag()
	o.mu.Lock()
	defer o.mu.Unlock()
	if d := o.early[tag]; d != nil {
		return d
	}
	d, _ := o.m.add(o.newUAC(r, StateEarly))
	if o.early != nil {
		o.early[tag] = d
	}
	return d
}

// confirm turns the 2xx's early dialog (or a new one) into the confirmed
// dialog, recomputing the route set from the 2xx (§13.2.2.4), and ACKs.
func (o *Outgoing) confirm(r *sip.Response) *Dialog {
	tag := r.ToTag()
	o.mu.Lock()
	d := o.early[tag]
	delete(o.early, tag)
	o.mu.Unlock()
	if d == nil {
		d, _ = o.m.add(o.newUAC(r, StateConfirmed))
	}
	d.mu.Lock()
	d.state = StateConfirmed
	d.setRouteFromResponse(r, o.req.URI)
	d.mu.Unlock()
	o.mu.Lock()
	o.confirmed = d
	o.final = r
	o.mu.Unlock()
	d.sendACK(o.ctx, r, o.req)
	return d
}

// forkedOK handles a 2xx from another fork after one was confirmed
// (§13.2.2.4): its dialog is created, ACKed, and ended with BYE.
func (o *Outgoing) forkedOK(r *sip.Response) {
	tag := r.ToTag()
	o.mu.Lock()
	if d := o.forks[tag]; d != nil {
		o.mu.Unlock()
		d.reACK(r) // a retransmission of a fork we already ACKed
		return
	}
	d := o.early[tag]
	delete(o.early, tag)
	if d == nil {
		d, _ = o.m.add(o.newUAC(r, StateConfirmed))
	}
	o.forks[tag] = d
	o.mu.Unlock()
	d.mu.Lock()
	d.state = StateConfirmed
	d.setRouteFromResponse(r, o.req.URI)
	d.mu.Unlock()
	d.sendACK(o.ctx, r, o.req)
	o.m.goOwned(func() { _, _ = d.Bye(o.ctx) })
}

// forkFrom builds the confirmed dialog of another fork's 2xx to the same
// INVITE as d (§12.1.2 with the 2xx's tag, Record-Route and Contact).
func (d *Dialog) forkFrom(r *sip.Response, id ID) *Dialog {
	cs, _ := r.CSeq()
	n := newDialog(d.m, id, true)
	n.state = StateConfirmed
	d.mu.Lock()
	n.localAddr, n.remoteAddr, n.secure, n.resolve = d.localAddr, d.remoteAddr, d.secure, d.resolve
	fallback := d.remoteTarget
	d.mu.Unlock()
	n.setRouteFromResponse(r, fallback)
	n.localSeq, n.localSeqSet, n.inviteSeq = cs.Seq, true, cs.Seq
	return n
}
