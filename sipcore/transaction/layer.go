package transaction

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// Layer is one transaction layer (RFC 3261 §17): it creates client
// transactions for the TU's requests, matches received responses to them
// (§17.1.3), creates server transactions for received requests and matches
// retransmissions, ACKs and CANCELs to them (§17.2.3, §9.2).
//
// There is no goroutine per transaction: each transaction is a
// mutex-guarded state machine driven by received messages, TU calls and
// timers, which one scheduler goroutine per layer runs. Close stops that
// goroutine: a Layer that is not closed keeps it. All methods are safe for
// concurrent use.
type Layer struct {
	tp    Transport
	cfg   Config
	log   *slog.Logger
	done  chan struct{} // closed by Close
	sched *scheduler    // runs the transaction timers

	mu       sync.Mutex
	closed   bool
	clients  map[string]*Client    // §17.1.3 key: branch + CSeq method
	servers  map[string]*serverTxn // §17.2.3 key: branch + sent-by + method
	legacy   map[string]*serverTxn // RFC 2543 key (§17.2.3, no magic cookie)
	peak     [3]int                // high-water marks of the three maps (see shrink)
	inflight int                   // HandleMessage calls, timer callbacks, Requests running
	idle     chan struct{}         // closed when closed && inflight == 0
	pumps    sync.WaitGroup
}

// NewLayer returns a transaction layer sending through tp. It starts the
// layer's timer goroutine: Close the layer when done (inside a
// testing/synctest bubble, create and close it in the bubble).
func NewLayer(tp Transport, cfg Config) *Layer {
	cfg = cfg.withDefaults()
	return &Layer{
		tp:      tp,
		cfg:     cfg,
		log:     cfg.Logger,
		done:    make(chan struct{}),
		sched:   newScheduler(),
		clients: map[string]*Client{},
		servers: map[string]*serverTxn{},
		legacy:  map[string]*serverTxn{},
	}
}

// Config returns the layer's configuration with defaults applied.
func (l *Layer) Config() Config { return l.cfg }

// Count returns the number of live client and server transactions.
func (l *Layer) Count() (clients, servers int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients), len(l.servers) + len(l.legacy)
}

// Close terminates every transaction (their Err becomes ErrClosed and
// their channels close), waits for running callbacks and timers to
// finish, and makes the layer drop further messages. It must not be called
// from Handler or another callback of the layer.
func (l *Layer) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	var wait chan struct{}
	if l.inflight > 0 {
		l.idle = make(chan struct{})
		wait = l.idle
	}
	clients := make([]*Client, 0, len(l.clients))
	for _, c := range l.clients {
		clients = append(clients, c)
	}
	servers := make([]*serverTxn, 0, len(l.servers)+len(l.legacy))
	for _, s := range l.servers {
		servers = append(servers, s)
	}
	for _, s := range l.legacy {
		servers = append(servers, s)
	}
	l.mu.Unlock()
	if wait != nil {
		<-wait
	}
	for _, c := range clients {
		c.abort(ErrClosed)
	}
	for _, s := range servers {
		s.abort(ErrClosed)
	}
	l.sched.close()
	l.pumps.Wait()
	return nil
}

// enter registers a running operation; false when the layer is closed.
func (l *Layer) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.inflight++
	return true
}

func (l *Layer) leave() {
	l.mu.Lock()
	l.inflight--
	if l.closed && l.inflight == 0 && l.idle != nil {
		close(l.idle)
		l.idle = nil
	}
	l.mu.Unlock()
}

// goPump starts an owned goroutine unless the layer is closed.
func (l *Layer) goPump(f func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.pumps.Add(1)
	go func() {
		defer l.pumps.Done()
		f()
	}()
	return true
}

// HandleMessage gives the layer a message received by the transport;
// from is where replies go (for the real transport:
// transaction.Target(inbound.Source.Reply())). Requests reach Handler,
// the matching server transaction, OnACK or the CANCEL logic; responses
// reach their client transaction or OnStrayResponse. Messages missing a
// Via or CSeq are dropped (the transport rejects them earlier).
func (l *Layer) HandleMessage(msg sip.Message, from Target) {
	if !l.enter() {
		return
	}
	defer l.leave()
	switch m := msg.(type) {
	case *sip.Response:
		l.handleResponse(m, from)
	case *sip.Request:
		l.handleRequest(m, from)
	}
}

// clientKey implements the §17.1.3 match: the branch of the top Via and
// the CSeq method (CANCEL shares the INVITE's branch).
func clientKey(branch, method string) string { return branch + "\x00" + method }

// serverKey implements the §17.2.3 match for RFC 3261 branches: branch,
// sent-by of the top Via, and the method (ACK matches INVITE).
func serverKey(v sip.Via, method string) string {
	if method == sip.MethodAck {
		method = sip.MethodInvite
	}
	port := v.Port
	if port == 0 {
		port = 5060
	}
	return v.Branch() + "\x00" + strings.ToLower(v.Host) + ":" + strconv.Itoa(port) + "\x00" + method
}

// legacyKey implements the RFC 2543 fallback of §17.2.3 (no magic cookie):
// Request-URI, From tag, Call-ID, CSeq number and method (ACK matches
// INVITE) and the whole top Via. The To tag is compared separately: the
// request's own for retransmissions, the tag of the response sent for ACK.
func legacyKey(req *sip.Request, v sip.Via, cs sip.CSeq) string {
	method := cs.Method
	if method == sip.MethodAck {
		method = sip.MethodInvite
	}
	return req.URI.String() + "\x00" + req.FromTag() + "\x00" + req.CallID() + "\x00" +
		strconv.FormatUint(uint64(cs.Seq), 10) + "\x00" + method + "\x00" + v.String()
}

func (l *Layer) handleResponse(resp *sip.Response, from Target) {
	v, err := resp.TopVia()
	if err != nil {
		l.log.Debug("transaction: response without via dropped", "err", err)
		return
	}
	cs, err := resp.CSeq()
	if err != nil {
		l.log.Debug("transaction: response without cseq dropped", "err", err)
		return
	}
	l.mu.Lock()
	c := l.clients[clientKey(v.Branch(), cs.Method)]
	l.mu.Unlock()
	if c != nil && c.receive(resp) {
		return
	}
	if f := l.cfg.OnStrayResponse; f != nil {
		f(resp, from)
	}
}

func (l *Layer) handleRequest(req *sip.Request, from Target) {
	v, err := req.TopVia()
	if err != nil {
		l.log.Debug("transaction: request without via dropped", "err", err)
		return
	}
	cs, err := req.CSeq()
	if err != nil {
		l.log.Debug("transaction: request without cseq dropped", "err", err)
		return
	}
	isACK := req.Method == sip.MethodAck
	rfc3261 := v.IsRFC3261Branch()
	var key string
	if rfc3261 {
		key = serverKey(v, req.Method)
	} else {
		key = legacyKey(req, v, cs)
	}

	l.mu.Lock()
	var s *serverTxn
	if rfc3261 {
		s = l.servers[key]
	} else if s = l.legacy[key]; s != nil && !s.legacyToTagMatches(req, isACK) {
		s = nil
	}
	if s != nil {
		l.mu.Unlock()
		if !s.receive(req, from) && isACK {
			l.strayACK(req, from)
		}
		return
	}
	if isACK {
		// §17.2.3 / §17.1.1.3: an ACK for a 2xx is its own transaction and
		// goes to the TU; so does any ACK that matches nothing.
		l.mu.Unlock()
		l.strayACK(req, from)
		return
	}
	h := newServer(l, req, from, key, !rfc3261)
	if rfc3261 {
		l.servers[key] = h.serverTxn
		l.peak[1] = max(l.peak[1], len(l.servers))
	} else {
		l.legacy[key] = h.serverTxn
		l.peak[2] = max(l.peak[2], len(l.legacy))
	}
	l.mu.Unlock()

	if req.Method == sip.MethodCancel {
		l.handleCancel(h.serverTxn, req, v, cs)
		return
	}
	h.start()
	if f := l.cfg.Handler; f != nil {
		f(h)
		return
	}
	_ = h.Respond(sip.NewResponse(req, sip.StatusNotImplemented, ""))
}

func (l *Layer) strayACK(ack *sip.Request, from Target) {
	if f := l.cfg.OnACK; f != nil {
		f(ack, from)
	}
}

// handleCancel implements §9.2: a CANCEL is matched to the transaction it
// cancels with the §17.2.3 rules using the original method; the CANCEL's
// own server transaction is answered 200 when one is found (481 otherwise)
// and the cancelled INVITE's Cancelled channel is closed so that the UAS
// core can answer it 487.
func (l *Layer) handleCancel(cs *serverTxn, cancel *sip.Request, v sip.Via, cseq sip.CSeq) {
	cs.start()
	var target *serverTxn
	l.mu.Lock()
	if v.IsRFC3261Branch() {
		// Only INVITE is looked up: cancelling a non-INVITE request has no
		// effect (§9.1), and its 481 is harmless.
		target = l.servers[serverKey(v, sip.MethodInvite)]
	} else {
		c := cseq
		c.Method = sip.MethodInvite
		if t := l.legacy[legacyKey(cancel, v, c)]; t != nil && t.legacyToTagMatches(cancel, false) {
			target = t
		}
	}
	l.mu.Unlock()
	if target == nil {
		// §9.2: no matching transaction: 481.
		_ = cs.Respond(sip.NewResponse(cancel, sip.StatusCallTransactionDoesNotExist, ""))
		return
	}
	resp := sip.NewResponse(cancel, sip.StatusOK, "")
	if tag := target.toTag(); tag != "" {
		_ = resp.SetToTag(tag) // §9.2: same To tag as the INVITE's responses
	}
	_ = cs.Respond(resp)
	target.cancel(cancel)
}

// remove forgets a terminated client transaction.
func (l *Layer) removeClient(key string, c *Client) {
	l.mu.Lock()
	if l.clients[key] == c {
		delete(l.clients, key)
		l.clients = shrink(l.clients, &l.peak[0])
	}
	l.mu.Unlock()
}

// shrink returns m, or a copy of it when it holds less than a quarter of
// its high-water mark: Go maps never give back their buckets, and a burst
// of transactions must not pin memory forever.
func shrink[V any](m map[string]V, peak *int) map[string]V {
	n := len(m)
	if n > *peak {
		*peak = n
		return m
	}
	if *peak < 1024 || n > *peak/4 {
		return m
	}
	c := make(map[string]V, 2*n)
	for k, v := range m {
		c[k] = v
	}
	*peak = n
	return c
}

func (l *Layer) removeServer(key string, legacy bool, s *serverTxn) {
	l.mu.Lock()
	if legacy {
		if l.legacy[key] == s {
			delete(l.legacy, key)
			l.legacy = shrink(l.legacy, &l.peak[2])
		}
	} else if l.servers[key] == s {
		delete(l.servers, key)
		l.servers = shrink(l.servers, &l.peak[1])
	}
	l.mu.Unlock()
}

// viaFor builds the Via the layer adds to a request that has none
// (§8.1.1.7), with a fresh branch.
func (l *Layer) viaFor(to Target) sip.Via {
	tr := strings.ToUpper(to.Transport)
	if tr == "" {
		tr = "UDP"
	}
	v := sip.Via{Transport: tr, Params: sip.Params{{Name: "branch", Value: sip.NewBranch()}}}
	switch {
	case l.cfg.ViaHost != "":
		host, port := l.cfg.ViaHost, 0
		if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.HasSuffix(host, "]") {
			if p, err := strconv.Atoi(host[i+1:]); err == nil {
				host, port = host[:i], p
			}
		}
		v.Host, v.Port = host, port
	case to.Local.IsValid() && !to.Local.Addr().IsUnspecified():
		a := to.Local.Addr().Unmap()
		if a.Is6() {
			v.Host = "[" + a.String() + "]"
		} else {
			v.Host = a.String()
		}
		v.Port = int(to.Local.Port())
	default:
		v.Host = "0.0.0.0"
	}
	return v
}

// prepareRequest gives req a top Via with an RFC 3261 branch: one is added
// when req has no Via, and a missing or pre-3261 branch is replaced
// (§8.1.1.7). It returns the top Via.
func (l *Layer) prepareRequest(req *sip.Request, to Target) (sip.Via, error) {
	v, err := req.TopVia()
	if err != nil {
		if !req.HasHeader(sip.HeaderVia) {
			v = l.viaFor(to)
			req.PrependVia(v)
			return v, nil
		}
		return v, fmt.Errorf("%w: top via: %w", ErrInvalidMessage, err)
	}
	if !v.IsRFC3261Branch() {
		v.SetBranch(sip.NewBranch())
		req.SetTopVia(v)
	}
	return v, nil
}

// Send sends a message outside any transaction: the ACK for a 2xx
// (§13.2.2.4, a transaction of its own that has no state), or a 2xx
// retransmitted by the UAS core after the INVITE server transaction ended.
// A request without Via gets one with a fresh branch. msg is handed to the
// transport, which may modify its Via; do not use it concurrently.
func (l *Layer) Send(ctx context.Context, msg sip.Message, to Target) error {
	if req, ok := msg.(*sip.Request); ok {
		if _, err := l.prepareRequest(req, to); err != nil {
			return err
		}
	}
	if err := l.tp.Send(ctx, msg, to); err != nil {
		return fmt.Errorf("%w: %w", ErrTransport, err)
	}
	return nil
}
