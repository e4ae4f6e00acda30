package transaction

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// eventKind is an input to a state machine.
type eventKind uint8

const (
	evResponse   eventKind = iota + 1 // client: a response arrived
	evRequest                         // server: a retransmission of the request arrived
	evACK                             // server: an ACK matched
	evTUResponse                      // server: the TU sent a response
	evTimerA
	evTimerB
	evTimerD
	evTimerE
	evTimerF
	evTimerK
	evTimerM // RFC 6026 §8.4
	evTimerG
	evTimerH
	evTimerI
	evTimerJ
	evTimerL // RFC 6026 §8.7
	evTrying // server: the 100 Trying delay expired (§17.2.1)
	evAbort  // client: context done; any: layer closed
)

type event struct {
	kind eventKind
	resp *sip.Response
	req  *sip.Request
	from Target
	err  error
}

// timerSlot holds one running timer: an entry of the layer's scheduler,
// or a time.AfterFunc timer for callbacks that may block. gen tells a
// stale callback (one that fired while the timer was being stopped or
// re-armed) from the current one.
type timerSlot struct {
	l   *Layer
	e   *schedEntry
	t   *time.Timer
	gen uint32
}

func (s *timerSlot) stop() {
	if s.e != nil {
		s.l.sched.stop(s.e)
		s.e = nil
	}
	if s.t != nil {
		s.t.Stop()
		s.t = nil
	}
	s.gen++
}

// arm starts the slot's timer for owner; own selects a goroutine of its
// own (time.AfterFunc) for callbacks that may block on a reliable
// transport, otherwise the layer's scheduler runs it.
func (s *timerSlot) arm(l *Layer, owner timerOwner, d time.Duration, kind eventKind, own bool) {
	s.stop()
	s.l = l
	g := s.gen
	if own {
		s.t = time.AfterFunc(d, func() { owner.fire(s, g, kind) })
		return
	}
	s.e = l.sched.after(d, owner, s, g, kind)
}

// fired marks the slot idle when its timer ran.
func (s *timerSlot) fired() { s.e, s.t = nil, nil }

// Client is a client transaction (RFC 3261 §17.1): INVITE (Figure 5 with
// RFC 6026's Accepted state) or non-INVITE (Figure 6).
type Client struct {
	l         *Layer
	key       string
	req       *sip.Request // as the TU gave it; never modified
	sent      *sip.Request // private copy handed to the transport; nil after the final response
	to        Target
	invite    bool
	reliable  bool
	responses *mailbox[*sip.Response]
	stopCtx   func() bool

	mu            sync.Mutex
	state         State
	fn            clientStateFn
	retrans       timerSlot // Timer A or E
	timeout       timerSlot // Timer B, D, F, K or M
	interval      time.Duration
	ack           *sip.Request // §17.1.1.3 ACK for a non-2xx final response
	final         bool         // a final response was received
	cancelPending bool         // Cancel called before any provisional (§9.1)
	cancelled     bool
	err           error
	done          chan struct{}
}

// clientStateFn is one state of a client transaction: it consumes an
// event and returns the next state (nil once terminated).
type clientStateFn func(c *Client, ev event) clientStateFn

// Request starts a client transaction for req towards to (§17.1). The
// layer sends a private copy of req: a Via with a fresh branch is added
// when req has none (§8.1.1.7) and the transport may fill in sent-by, so
// build CANCELs with Client.Cancel, not from req. ACK cannot be sent this
// way (it is not a transaction; see Send).
//
// ctx covers the first send; if ctx ends before a final response arrives
// the transaction is abandoned (retransmissions stop, Err wraps the
// context's cause). To give up on an INVITE politely, Cancel it instead.
// A failing first send is returned as an error wrapping ErrTransport.
func (l *Layer) Request(ctx context.Context, req *sip.Request, to Target) (*Client, error) {
	return l.request(ctx, req, to, false)
}

// Do sends req in a client transaction and returns the first final
// response (provisionals are skipped), or the transaction's error
// (ErrTimeout, ErrTransport, ...). For an INVITE, later 2xx responses are
// not seen; use Request for that.
func (l *Layer) Do(ctx context.Context, req *sip.Request, to Target) (*sip.Response, error) {
	c, err := l.Request(ctx, req, to)
	if err != nil {
		return nil, err
	}
	for resp := range c.Responses() {
		if resp.StatusCode >= 200 {
			if c.invite && resp.IsSuccess() {
				// RFC 6026: more 2xx may follow until Timer M; nobody
				// wants them here, so keep the channel drained.
				l.goPump(func() {
					for range c.Responses() {
					}
				})
			}
			return resp, nil
		}
	}
	<-c.Done()
	if err := c.Err(); err != nil {
		return nil, err
	}
	return nil, ErrTerminated
}

func (l *Layer) request(ctx context.Context, req *sip.Request, to Target, internal bool) (*Client, error) {
	if req.Method == sip.MethodAck {
		return nil, fmt.Errorf("%w: ack is not a transaction", ErrInvalidMessage)
	}
	if !l.enter() {
		return nil, ErrClosed
	}
	defer l.leave()
	sent := req.Clone()
	v, err := l.prepareRequest(sent, to)
	if err != nil {
		return nil, err
	}
	cs, err := sent.CSeq()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	if cs.Method != sent.Method {
		return nil, fmt.Errorf("%w: cseq method %q differs from %q", ErrInvalidMessage, cs.Method, sent.Method)
	}
	c := &Client{
		l:         l,
		key:       clientKey(v.Branch(), sent.Method),
		req:       req,
		sent:      sent,
		to:        to,
		invite:    sent.Method == sip.MethodInvite,
		reliable:  to.Reliable(),
		responses: newMailbox[*sip.Response](internal),
	}
	l.mu.Lock()
	if _, dup := l.clients[c.key]; dup {
		l.mu.Unlock()
		return nil, fmt.Errorf("%w: branch %q already in use", ErrInvalidMessage, v.Branch())
	}
	l.clients[c.key] = c
	l.peak[0] = max(l.peak[0], len(l.clients))
	l.mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	c.interval = l.cfg.T1
	if c.invite {
		c.state, c.fn = StateCalling, inviteCalling
	} else {
		c.state, c.fn = StateTrying, nonInviteTrying
	}
	if err := l.tp.Send(ctx, c.sent, to); err != nil {
		err = fmt.Errorf("%w: %w", ErrTransport, err)
		c.terminate(err)
		return nil, err
	}
	if c.state == StateTerminated {
		return c, nil // a response raced the send; impossible while we hold mu, kept for safety
	}
	if c.invite {
		// §17.1.1.2: Timer A (unreliable only) and Timer B.
		if !c.reliable {
			c.arm(&c.retrans, c.interval, evTimerA)
		}
		c.arm(&c.timeout, 64*l.cfg.T1, evTimerB)
	} else {
		// §17.1.2.2: Timer E (unreliable only) and Timer F.
		if !c.reliable {
			c.arm(&c.retrans, c.interval, evTimerE)
		}
		c.arm(&c.timeout, 64*l.cfg.T1, evTimerF)
	}
	if ctx.Done() != nil {
		c.stopCtx = context.AfterFunc(ctx, func() {
			c.event(event{kind: evAbort, err: fmt.Errorf("transaction abandoned: %w", context.Cause(ctx))})
		})
	}
	return c, nil
}

// Request returns the request as the TU passed it.
func (c *Client) Request() *sip.Request { return c.req }

// Target returns where the request is sent.
func (c *Client) Target() Target { return c.to }

// Responses delivers the responses the TU must see, in order: every
// provisional and the final response; for an INVITE, every 2xx received
// in the Accepted state as well (retransmissions and other forks, RFC 6026
// §8.4). It is closed when the transaction terminates. Delivery never
// blocks the transaction and never drops a response.
func (c *Client) Responses() <-chan *sip.Response { return c.responses.ch }

// Done is closed when the transaction terminates.
func (c *Client) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.state == StateTerminated {
			close(c.done)
		}
	}
	return c.done
}

// Err is nil while the transaction runs and after it ended normally (a
// final response arrived); otherwise an error wrapping ErrTimeout,
// ErrTransport, ErrClosed or the context's cause.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// State returns the current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Cancel cancels an INVITE (§9.1): the CANCEL, built from the INVITE as
// sent, goes out in its own client transaction at once if a provisional
// response was received, or as soon as one arrives (a CANCEL must not be
// sent before). It returns ErrState when the INVITE already has a final
// response or is not an INVITE. The outcome shows on the INVITE: a 487,
// or a 2xx if the UAS answered first.
func (c *Client) Cancel() error {
	if !c.invite {
		return fmt.Errorf("%w: only an invite can be cancelled", ErrState)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case StateCalling:
		c.cancelPending = true
		return nil
	case StateProceeding:
		return c.sendCancel()
	}
	return fmt.Errorf("%w: invite is %v", ErrState, c.state)
}

func (c *Client) sendCancel() error {
	if c.cancelled {
		return nil
	}
	c.cancelled = true
	_, err := c.l.request(context.Background(), sip.NewCancel(c.sent), c.to, true)
	return err
}

// event runs a state function for an event coming from outside a lock.
func (c *Client) event(ev event) {
	if !c.l.enter() {
		return
	}
	defer c.l.leave()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step(ev)
}

// receive feeds a matched response; false when the transaction is gone
// (the response is then stray).
func (c *Client) receive(resp *sip.Response) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateTerminated {
		return false
	}
	c.step(event{kind: evResponse, resp: resp})
	return true
}

// abort terminates the transaction when the layer closes.
func (c *Client) abort(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step(event{kind: evAbort, err: err})
}

func (c *Client) step(ev event) {
	if c.state == StateTerminated {
		return
	}
	if ev.kind == evAbort {
		if c.final {
			if ev.err == ErrClosed {
				c.terminate(nil)
			}
			return
		}
		c.terminate(ev.err)
		return
	}
	if c.fn != nil {
		c.fn = c.fn(c, ev)
	}
}

func (c *Client) arm(slot *timerSlot, d time.Duration, kind eventKind) {
	// Client timers send only on unreliable transports (A, E) or not at
	// all: the scheduler goroutine runs them.
	slot.arm(c.l, c, d, kind, false)
}

func (c *Client) fire(slot *timerSlot, g uint32, kind eventKind) {
	if !c.l.enter() {
		return
	}
	defer c.l.leave()
	c.mu.Lock()
	defer c.mu.Unlock()
	if slot.gen != g || c.state == StateTerminated {
		return
	}
	slot.fired()
	c.step(event{kind: kind})
}

// send passes a message to the transport; a failure terminates the
// transaction (§17.1.4) and reports false.
func (c *Client) send(m sip.Message) bool {
	if err := c.l.tp.Send(context.Background(), m, c.to); err != nil {
		c.terminate(fmt.Errorf("%w: %w", ErrTransport, err))
		return false
	}
	return true
}

func (c *Client) deliver(resp *sip.Response) { c.responses.put(c.l, resp) }

func (c *Client) terminate(err error) {
	if c.state == StateTerminated {
		return
	}
	c.state, c.fn, c.err = StateTerminated, nil, err
	c.retrans.stop()
	c.timeout.stop()
	if c.stopCtx != nil {
		c.stopCtx()
	}
	c.responses.close()
	if c.done != nil {
		close(c.done)
	}
	c.l.removeClient(c.key, c)
}

// ---- INVITE client transaction: RFC 3261 §17.1.1.2 Figure 5, RFC 6026 §8.4 ----

// inviteCalling is the Calling state: the INVITE was sent, Timer A
// retransmits it (unreliable transports) and Timer B bounds the wait.
func inviteCalling(c *Client, ev event) clientStateFn {
	switch ev.kind {
	case evTimerA:
		// §17.1.1.2: retransmit, double Timer A (no T2 cap for INVITE).
		if !c.send(c.sent) {
			return nil
		}
		c.interval *= 2
		c.arm(&c.retrans, c.interval, evTimerA)
	case evTimerB:
		// §17.1.1.2: still Calling when Timer B fires: timeout.
		c.terminate(fmt.Errorf("%w: timer b fired after %v", ErrTimeout, 64*c.l.cfg.T1))
		return nil
	case evResponse:
		return c.inviteResponse(ev.resp)
	}
	return inviteCalling
}

// inviteProceeding is the Proceeding state: a provisional response was
// received; no more retransmissions, no Timer B.
func inviteProceeding(c *Client, ev event) clientStateFn {
	if ev.kind == evResponse {
		return c.inviteResponse(ev.resp)
	}
	return inviteProceeding
}

// inviteResponse handles a response in Calling or Proceeding.
func (c *Client) inviteResponse(resp *sip.Response) clientStateFn {
	switch {
	case resp.StatusCode < 200:
		c.retrans.stop()
		c.timeout.stop() // Timer B only applies in Calling (Figure 5)
		c.state = StateProceeding
		c.deliver(resp)
		if c.cancelPending {
			c.cancelPending = false
			_ = c.sendCancel()
		}
		return inviteProceeding
	case resp.StatusCode < 300:
		// RFC 6026 §8.4: pass the 2xx up, go to Accepted, start Timer M.
		c.retrans.stop()
		c.final = true
		c.sent = nil // no more retransmissions or CANCEL: let it go
		c.state = StateAccepted
		c.deliver(resp)
		c.arm(&c.timeout, 64*c.l.cfg.T1, evTimerM)
		return inviteAccepted
	}
	// §17.1.1.2: 300-699: Completed, ACK it (§17.1.1.3), pass it up, and
	// start Timer D (0 on reliable transports).
	c.retrans.stop()
	c.timeout.stop()
	c.final = true
	c.state = StateCompleted
	c.ack = sip.NewAck(c.sent, resp)
	c.sent = nil
	c.deliver(resp)
	if !c.send(c.ack) {
		return nil
	}
	if c.reliable {
		c.terminate(nil)
		return nil
	}
	c.arm(&c.timeout, c.l.cfg.TimerD, evTimerD)
	return inviteCompleted
}

// inviteCompleted is the Completed state: retransmissions of the final
// response are answered with the same ACK and absorbed until Timer D.
func inviteCompleted(c *Client, ev event) clientStateFn {
	switch ev.kind {
	case evResponse:
		if ev.resp.StatusCode >= 300 && !c.send(c.ack) {
			return nil
		}
	case evTimerD:
		c.terminate(nil)
		return nil
	}
	return inviteCompleted
}

// inviteAccepted is RFC 6026's Accepted state: every further 2xx
// (retransmissions, other forks) is passed to the TU, which ACKs it;
// anything else is discarded; Timer M ends it.
func inviteAccepted(c *Client, ev event) clientStateFn {
	switch ev.kind {
	case evResponse:
		if ev.resp.IsSuccess() {
			c.deliver(ev.resp)
		}
	case evTimerM:
		c.terminate(nil)
		return nil
	}
	return inviteAccepted
}

// ---- non-INVITE client transaction: RFC 3261 §17.1.2.2 Figure 6 ----

// nonInviteTrying is the Trying state: Timer E retransmits with doubling
// intervals capped at T2, Timer F bounds the transaction.
func nonInviteTrying(c *Client, ev event) clientStateFn {
	switch ev.kind {
	case evTimerE:
		if !c.send(c.sent) {
			return nil
		}
		c.interval = min(2*c.interval, c.l.cfg.T2)
		c.arm(&c.retrans, c.interval, evTimerE)
	case evTimerF:
		c.terminate(fmt.Errorf("%w: timer f fired after %v", ErrTimeout, 64*c.l.cfg.T1))
		return nil
	case evResponse:
		if ev.resp.StatusCode < 200 {
			c.state = StateProceeding
			c.deliver(ev.resp)
			return nonInviteProceeding
		}
		return c.nonInviteFinal(ev.resp)
	}
	return nonInviteTrying
}

// nonInviteProceeding is the Proceeding state: Timer E now retransmits
// every T2.
func nonInviteProceeding(c *Client, ev event) clientStateFn {
	switch ev.kind {
	case evTimerE:
		if !c.send(c.sent) {
			return nil
		}
		c.interval = c.l.cfg.T2
		c.arm(&c.retrans, c.interval, evTimerE)
	case evTimerF:
		c.terminate(fmt.Errorf("%w: timer f fired after %v", ErrTimeout, 64*c.l.cfg.T1))
		return nil
	case evResponse:
		if ev.resp.StatusCode < 200 {
			c.deliver(ev.resp)
			return nonInviteProceeding
		}
		return c.nonInviteFinal(ev.resp)
	}
	return nonInviteProceeding
}

func (c *Client) nonInviteFinal(resp *sip.Response) clientStateFn {
	c.retrans.stop()
	c.timeout.stop()
	c.final = true
	c.sent = nil
	c.state = StateCompleted
	c.deliver(resp)
	if c.reliable {
		c.terminate(nil) // Timer K is 0 on reliable transports
		return nil
	}
	c.arm(&c.timeout, c.l.cfg.T4, evTimerK)
	return nonInviteCompleted
}

// nonInviteCompleted is the Completed state: response retransmissions are
// absorbed until Timer K (T4).
func nonInviteCompleted(c *Client, ev event) clientStateFn {
	if ev.kind == evTimerK {
		c.terminate(nil)
		return nil
	}
	return nonInviteCompleted
}
