package transaction

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// Server is the TU's handle on a server transaction (RFC 3261 §17.2):
// INVITE (Figure 7 with RFC 6026's Accepted state) or non-INVITE (Figure
// 8). The TU answers with Respond; retransmitted requests are absorbed and
// answered with the last response; the ACK for a non-2xx final response is
// absorbed.
//
// The handle carries the request for the TU. The transaction itself (what
// the layer keeps to absorb retransmissions until Timer J or L, 32 s on
// UDP) lets go of it at the final response, so a request the TU no longer
// holds is not kept alive for that time.
type Server struct {
	*serverTxn
	req *sip.Request
}

// Request returns the request that created the transaction.
func (s *Server) Request() *sip.Request { return s.req }

// serverTxn is the state machine of a server transaction: what the layer
// matches requests against.
type serverTxn struct {
	l         *Layer
	key       string
	req       *sip.Request // nil once a final response was sent
	handle    weak.Pointer[Server]
	from      Target
	reqToTag  string                 // RFC 2543 matching only (a copy: it would keep the request)
	respToTag atomic.Pointer[string] // To tag of the responses sent (§9.2, §17.2.3)
	legacy    bool                   // matched with the RFC 2543 rules
	invite    bool
	reliable  bool
	passUp    bool // under mu, with result and notifyTU below (next to the flags: 16 bytes less)

	mu          sync.Mutex
	state       State
	fn          serverStateFn
	retrans     timerSlot // Timer G, or the 100 Trying delay
	timeout     timerSlot // Timer H, I, J or L
	interval    time.Duration
	last        *sip.Response // most recent response sent
	cancelReq   *sip.Request
	cancelledCh chan struct{}
	onCancel    []func()
	err         error
	done        chan struct{}

	// Set by state functions, read by the caller of step.
	result   error // returned by Respond
	notifyTU error // report through OnServerError after unlocking
}

// serverStateFn is one state of a server transaction.
type serverStateFn func(s *serverTxn, ev event) serverStateFn

// newServer returns the TU's handle on a new transaction; the layer keeps
// its serverTxn.
func newServer(l *Layer, req *sip.Request, from Target, key string, legacy bool) *Server {
	st := &serverTxn{
		l:        l,
		key:      key,
		legacy:   legacy,
		req:      req,
		from:     from,
		invite:   req.Method == sip.MethodInvite,
		reliable: from.Reliable(),
	}
	if legacy {
		st.reqToTag = strings.Clone(req.ToTag())
	}
	h := &Server{serverTxn: st, req: req}
	st.handle = weak.Make(h)
	return h
}

// start enters the initial state: Proceeding for INVITE (with the 100
// Trying delay running, §17.2.1), Trying otherwise (§17.2.2).
func (s *serverTxn) start() {
	s.mu.Lock()
	if s.state != 0 {
		s.mu.Unlock()
		return
	}
	s.interval = s.l.cfg.T1
	if !s.invite {
		s.state, s.fn = StateTrying, serverNonInviteTrying
		s.mu.Unlock()
		return
	}
	s.state, s.fn = StateProceeding, serverInviteProceeding
	if d := s.l.cfg.TryingDelay; d < 0 {
		s.sendTrying()
	} else {
		s.arm(&s.retrans, d, evTrying)
	}
	s.unlock()
}

// Source returns where the request came from (where responses go).
func (s *serverTxn) Source() Target { return s.from }

// State returns the current state.
func (s *serverTxn) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Respond sends resp (built with sip.NewResponse from Request()) and
// advances the state machine: a provisional keeps the transaction
// proceeding, a final response completes it (an INVITE 2xx moves it to
// RFC 6026's Accepted state, where further 2xx retransmissions from the TU
// are sent too). resp must not be modified afterwards: it is retransmitted
// as is. Errors wrap ErrTransport (the transaction then terminates),
// ErrState (a response not allowed now) or ErrTerminated.
func (s *serverTxn) Respond(resp *sip.Response) error {
	s.mu.Lock()
	if s.state == StateTerminated {
		s.mu.Unlock()
		return fmt.Errorf("%w: cannot send %d", ErrTerminated, resp.StatusCode)
	}
	s.result = nil
	s.step(event{kind: evTUResponse, resp: resp})
	err := s.result
	s.unlock()
	return err
}

// Cancelled is closed when a CANCEL matched this transaction before a
// final response was sent (§9.2). The layer has already answered the
// CANCEL with 200; the UAS core should now answer the INVITE with 487
// Request Terminated.
func (s *serverTxn) Cancelled() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancelledCh == nil {
		s.cancelledCh = make(chan struct{})
		if s.cancelReq != nil {
			close(s.cancelledCh)
		}
	}
	return s.cancelledCh
}

// OnCancel arranges for f to run once when a CANCEL matches this
// transaction before a final response (§9.2), like Cancelled but without a
// goroutine waiting on a channel for the transaction's lifetime. f runs on
// the goroutine that handles the CANCEL (at once, on the caller's, if the
// transaction is already cancelled); it must not block.
func (s *serverTxn) OnCancel(f func()) {
	s.mu.Lock()
	if s.cancelReq == nil {
		s.onCancel = append(s.onCancel, f)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	f()
}

// CancelRequest returns the CANCEL that cancelled the transaction, nil if
// none did.
func (s *serverTxn) CancelRequest() *sip.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancelReq
}

// Done is closed when the transaction terminates.
func (s *serverTxn) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
		if s.state == StateTerminated {
			close(s.done)
		}
	}
	return s.done
}

// Err is nil while the transaction runs and after a normal end; it wraps
// ErrTimeout when Timer H expired without an ACK, ErrTransport after a send
// failure, ErrClosed when the layer closed.
func (s *serverTxn) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *serverTxn) toTag() string {
	if p := s.respToTag.Load(); p != nil {
		return *p
	}
	return ""
}

// legacyToTagMatches completes the RFC 2543 match of §17.2.3: a
// retransmission carries the request's To tag, an ACK the tag of the
// response we sent. It takes no lock of s.
func (s *serverTxn) legacyToTagMatches(req *sip.Request, isACK bool) bool {
	if isACK {
		return req.ToTag() == s.toTag()
	}
	return req.ToTag() == s.reqToTag
}

// cancel marks the transaction cancelled (§9.2) when no final response
// was sent yet.
func (s *serverTxn) cancel(req *sip.Request) {
	s.mu.Lock()
	if s.cancelReq != nil || (s.state != StateProceeding && s.state != StateTrying) {
		s.mu.Unlock()
		return
	}
	s.cancelReq = req
	if s.cancelledCh != nil {
		close(s.cancelledCh)
	}
	fns := s.onCancel
	s.onCancel = nil
	s.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// receive feeds a retransmitted request or an ACK. It reports false when
// an ACK must go to the TU instead (Accepted state, or the transaction has
// just ended).
func (s *serverTxn) receive(req *sip.Request, from Target) bool {
	s.mu.Lock()
	if s.state == StateTerminated {
		s.mu.Unlock()
		return false
	}
	s.passUp = false
	kind := evRequest
	if req.Method == sip.MethodAck {
		kind = evACK
	}
	s.step(event{kind: kind, req: req, from: from})
	passUp := s.passUp
	s.unlock()
	return !passUp
}

func (s *serverTxn) abort(err error) {
	s.mu.Lock()
	s.terminate(err)
	s.notifyTU = nil
	s.mu.Unlock()
}

// unlock releases s.mu and then runs the OnServerError hook if a state
// function asked for it.
func (s *serverTxn) unlock() {
	notify := s.notifyTU
	s.notifyTU = nil
	s.mu.Unlock()
	if notify != nil {
		if f := s.l.cfg.OnServerError; f != nil {
			f(s.tuHandle(), notify)
		}
	}
}

// tuHandle returns the TU's handle, or a new one without the request if
// the TU no longer holds it (and so cannot need the request).
func (s *serverTxn) tuHandle() *Server {
	if h := s.handle.Value(); h != nil {
		return h
	}
	return &Server{serverTxn: s}
}

func (s *serverTxn) step(ev event) {
	if s.state == StateTerminated || s.fn == nil {
		return
	}
	s.fn = s.fn(s, ev)
}

func (s *serverTxn) arm(slot *timerSlot, d time.Duration, kind eventKind) {
	// The 100 Trying timer may send on a stream, which can block: it gets
	// a goroutine of its own there. Other timers send only over UDP (G)
	// or not at all.
	own := kind == evTrying && s.reliable
	slot.arm(s.l, s, d, kind, own)
}

func (s *serverTxn) fire(slot *timerSlot, g uint32, kind eventKind) {
	if !s.l.enter() {
		return
	}
	defer s.l.leave()
	s.mu.Lock()
	if slot.gen != g || s.state == StateTerminated {
		s.mu.Unlock()
		return
	}
	slot.fired()
	s.step(event{kind: kind})
	s.unlock()
}

// transmit sends resp and remembers it for retransmission; a transport
// failure terminates the transaction and is reported (§17.2.4).
func (s *serverTxn) transmit(resp *sip.Response) bool {
	if s.invite || s.legacy {
		if resp.StatusCode > 100 {
			if tag := resp.ToTag(); tag != "" && tag != s.toTag() {
				tag = strings.Clone(tag) // not the whole To header
				s.respToTag.Store(&tag)
			}
		}
	}
	if resp.StatusCode >= 200 {
		// A CANCEL can no longer apply (§9.2): let go of the TU's
		// callbacks, which may hold a whole call until Timer L or J, and
		// of the request (only the 100 Trying needed it).
		s.onCancel = nil
		s.req = nil
	}
	s.last = resp
	ok := s.resend()
	switch {
	case s.invite && resp.IsSuccess():
		// RFC 6026 §8.5: in Accepted the TU retransmits its 2xx and
		// INVITE retransmissions are absorbed; nothing resends s.last.
		s.last = nil
	case ok && resp.StatusCode >= 200 && !s.reliable:
		// Kept until Timer J or H: a copy that holds nothing else (a
		// BYE's 200 would keep the whole BYE alive).
		s.last = resp.Compact()
	}
	return ok
}

func (s *serverTxn) resend() bool {
	if err := s.l.tp.Send(context.Background(), s.last, s.from); err != nil {
		err = fmt.Errorf("%w: %w", ErrTransport, err)
		s.result = err
		s.notifyTU = err
		s.terminate(err)
		return false
	}
	return true
}

func (s *serverTxn) sendTrying() {
	s.transmit(sip.NewResponse(s.req, sip.StatusTrying, ""))
}

func (s *serverTxn) terminate(err error) {
	if s.state == StateTerminated {
		return
	}
	s.state, s.fn, s.err = StateTerminated, nil, err
	s.retrans.stop()
	s.timeout.stop()
	if s.done != nil {
		close(s.done)
	}
	s.l.removeServer(s.key, s.legacy, s)
}

func (s *serverTxn) wrongState(resp *sip.Response) {
	s.result = fmt.Errorf("%w: cannot send %d in state %v", ErrState, resp.StatusCode, s.state)
}

// ---- INVITE server transaction: RFC 3261 §17.2.1 Figure 7, RFC 6026 §8.5-8.7 ----

// serverInviteProceeding is the Proceeding state: the INVITE was passed to
// the TU; retransmissions get the last provisional response again.
func serverInviteProceeding(s *serverTxn, ev event) serverStateFn {
	switch ev.kind {
	case evTrying:
		// §17.2.1: the TU did not answer within the delay: 100 Trying.
		if s.last == nil && !s.sendTryingOK() {
			return nil
		}
	case evRequest:
		// §17.2.1: a retransmission gets the most recent provisional
		// response (100 Trying if the TU has sent none yet).
		if s.last == nil {
			s.retrans.stop()
			if !s.sendTryingOK() {
				return nil
			}
		} else if !s.resend() {
			return nil
		}
	case evTUResponse:
		s.retrans.stop()
		r := ev.resp
		if !s.transmit(r) {
			return nil
		}
		switch {
		case r.StatusCode < 200:
			return serverInviteProceeding
		case r.StatusCode < 300:
			// RFC 6026 §8.5: 2xx: Accepted, Timer L.
			s.state = StateAccepted
			s.arm(&s.timeout, 64*s.l.cfg.T1, evTimerL)
			return serverInviteAccepted
		}
		// §17.2.1: 300-699: Completed; Timer G (unreliable) and Timer H.
		s.state = StateCompleted
		if !s.reliable {
			s.interval = s.l.cfg.T1
			s.arm(&s.retrans, s.interval, evTimerG)
		}
		s.arm(&s.timeout, 64*s.l.cfg.T1, evTimerH)
		return serverInviteCompleted
	}
	return serverInviteProceeding
}

func (s *serverTxn) sendTryingOK() bool {
	s.sendTrying()
	return s.state != StateTerminated
}

// serverInviteCompleted is the Completed state: the final non-2xx response
// is retransmitted on Timer G and for each INVITE retransmission until the
// ACK arrives; Timer H gives up.
func serverInviteCompleted(s *serverTxn, ev event) serverStateFn {
	switch ev.kind {
	case evRequest:
		if !s.resend() {
			return nil
		}
	case evTimerG:
		if !s.resend() {
			return nil
		}
		s.interval = min(2*s.interval, s.l.cfg.T2)
		s.arm(&s.retrans, s.interval, evTimerG)
	case evTimerH:
		err := fmt.Errorf("%w: timer h fired after %v without ack", ErrTimeout, 64*s.l.cfg.T1)
		s.notifyTU = err
		s.terminate(err)
		return nil
	case evACK:
		// §17.2.1: Confirmed; Timer I absorbs further ACKs (0 on reliable).
		s.retrans.stop()
		s.timeout.stop()
		s.state = StateConfirmed
		if s.reliable {
			s.terminate(nil)
			return nil
		}
		s.arm(&s.timeout, s.l.cfg.T4, evTimerI)
		return serverInviteConfirmed
	case evTUResponse:
		s.wrongState(ev.resp)
	}
	return serverInviteCompleted
}

// serverInviteConfirmed is the Confirmed state: ACK retransmissions are
// absorbed until Timer I.
func serverInviteConfirmed(s *serverTxn, ev event) serverStateFn {
	switch ev.kind {
	case evTimerI:
		s.terminate(nil)
		return nil
	case evTUResponse:
		s.wrongState(ev.resp)
	}
	return serverInviteConfirmed
}

// serverInviteAccepted is RFC 6026's Accepted state: INVITE
// retransmissions are absorbed, 2xx retransmissions from the TU are sent,
// ACKs go to the TU, and Timer L ends it.
func serverInviteAccepted(s *serverTxn, ev event) serverStateFn {
	switch ev.kind {
	case evACK:
		s.passUp = true
	case evTUResponse:
		if !ev.resp.IsSuccess() {
			s.wrongState(ev.resp)
			break
		}
		if !s.transmit(ev.resp) {
			return nil
		}
	case evTimerL:
		s.terminate(nil)
		return nil
	}
	return serverInviteAccepted
}

// ---- non-INVITE server transaction: RFC 3261 §17.2.2 Figure 8 ----

// serverNonInviteTrying is the Trying state: retransmissions are absorbed
// until the TU responds.
func serverNonInviteTrying(s *serverTxn, ev event) serverStateFn {
	if ev.kind == evTUResponse {
		return s.nonInviteRespond(ev.resp)
	}
	return serverNonInviteTrying
}

// serverNonInviteProceeding is the Proceeding state: retransmissions get
// the last provisional response.
func serverNonInviteProceeding(s *serverTxn, ev event) serverStateFn {
	switch ev.kind {
	case evRequest:
		if !s.resend() {
			return nil
		}
	case evTUResponse:
		return s.nonInviteRespond(ev.resp)
	}
	return serverNonInviteProceeding
}

func (s *serverTxn) nonInviteRespond(r *sip.Response) serverStateFn {
	if !s.transmit(r) {
		return nil
	}
	if r.StatusCode < 200 {
		s.state = StateProceeding
		return serverNonInviteProceeding
	}
	// §17.2.2: Completed; Timer J (64·T1, 0 on reliable transports).
	s.state = StateCompleted
	if s.reliable {
		s.terminate(nil)
		return nil
	}
	s.arm(&s.timeout, 64*s.l.cfg.T1, evTimerJ)
	return serverNonInviteCompleted
}

// serverNonInviteCompleted is the Completed state: retransmissions get the
// final response again until Timer J.
func serverNonInviteCompleted(s *serverTxn, ev event) serverStateFn {
	switch ev.kind {
	case evRequest:
		if !s.resend() {
			return nil
		}
	case evTimerJ:
		s.terminate(nil)
		return nil
	case evTUResponse:
		s.wrongState(ev.resp)
	}
	return serverNonInviteCompleted
}
