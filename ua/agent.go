package ua

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
	"github.com/teaphone/teaphone/sipcore/transport"
)

// Agent is the SIP user agent. Create it with New, then Start it; Close it
// when done. All methods are safe for concurrent use.
type Agent struct {
	cfg Config

	// inbox: an unbounded queue of closures run by the loop.
	inMu     sync.Mutex
	inQ      []func()
	inSignal chan struct{}
	loopDone chan struct{} // closed when the loop returns

	// events: an unbounded FIFO feeding the Events channel.
	evMu     sync.Mutex
	evQ      []Event
	evClosed bool
	evSignal chan struct{}
	evAbort  chan struct{}
	evDone   chan struct{}
	events   chan Event

	snapMu   sync.Mutex
	snap     map[string]CallInfo
	snapOrd  []string
	startMu  sync.Mutex
	started  bool
	closedCh chan struct{} // closed once Close has begun
	closeMu  sync.Once

	ctx    context.Context // lives until the transport closes
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine but the loop and the event pump

	// Owned by the loop from here on.
	tp       *transport.Layer
	dm       *dialog.Manager
	tx       *transaction.Layer // a.dm's
	stopPump chan struct{}
	locals   map[string]netip.AddrPort // transport (UDP/TCP/TLS) → local contact address
	accounts []*account
	byName   map[string]*account
	calls    map[string]*call // engine ID
	byCID    map[string]*call // SIP Call-ID
	subs     map[string]*subscription
	subByCID map[string]*subscription
	watchers map[string]*watcher // incoming presence subscriptions by Call-ID
	nextID   int
	dnd      bool
	closing  bool
	pending  int           // requests Close waits for
	drained  chan struct{} // closed when pending hits 0 while closing
	stopLoop bool
	stats    *time.Timer
	resMu    sync.Mutex

	respMu     sync.Mutex
	respQ      []queuedResp
	respSignal chan struct{}
}

// New validates cfg and returns an Agent that is not yet listening.
func New(cfg Config) (*Agent, error) {
	cfg.Accounts = append([]Account(nil), cfg.Accounts...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &Agent{
		cfg:      cfg,
		inSignal: make(chan struct{}, 1),
		loopDone: make(chan struct{}),
		evSignal: make(chan struct{}, 1),
		evAbort:  make(chan struct{}),
		evDone:   make(chan struct{}),
		events:   make(chan Event),
		snap:     map[string]CallInfo{},
		closedCh: make(chan struct{}),
		byName:   map[string]*account{},
		calls:    map[string]*call{},
		byCID:    map[string]*call{},
		subs:     map[string]*subscription{},
		subByCID: map[string]*subscription{},
		watchers: map[string]*watcher{},
		dnd:      cfg.DND,
	}
	for i := range a.cfg.Accounts {
		acc := newAccount(a, &a.cfg.Accounts[i])
		a.accounts = append(a.accounts, acc)
		a.byName[acc.cfg.Name] = acc
	}
	return a, nil
}

// Events delivers the engine's events in order; it is closed by Close.
func (a *Agent) Events() <-chan Event { return a.events }

// Start opens the sockets, starts the loop and the registrations.
func (a *Agent) Start(ctx context.Context) error {
	a.startMu.Lock()
	defer a.startMu.Unlock()
	if a.started {
		return errors.New("ua: already started")
	}
	select {
	case <-a.closedCh:
		return ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	pcs, lns, tlns, err := a.openListeners()
	if err != nil {
		return err
	}
	opts := transport.Options{
		Logger:    a.cfg.Logger,
		Tracer:    transport.TracerFunc(a.trace),
		FillVia:   true,
		CAFile:    a.cfg.TLSCAFile,
		TLSConfig: a.cfg.TLSConfig,
	}
	if a.cfg.TLSInsecure {
		if opts.TLSConfig == nil {
			opts.TLSConfig = &tls.Config{}
		} else {
			opts.TLSConfig = opts.TLSConfig.Clone()
		}
		opts.TLSConfig.InsecureSkipVerify = true
	}
	if a.cfg.Dial != nil {
		opts.Dial = a.cfg.Dial
	}
	a.locals = map[string]netip.AddrPort{}
	guess := netip.Addr{}
	addLocal := func(tr string, addr net.Addr) {
		ap := addrPortOf(addr)
		if ap.Addr().IsUnspecified() {
			if !guess.IsValid() {
				guess = a.guessLocalIP()
			}
			ap = netip.AddrPortFrom(guess, ap.Port())
		}
		if _, ok := a.locals[tr]; !ok {
			a.locals[tr] = ap
		}
	}
	for _, pc := range pcs {
		addLocal(transport.UDP, pc.LocalAddr())
	}
	for _, ln := range lns {
		addLocal(transport.TCP, ln.Addr())
	}
	for _, ln := range tlns {
		addLocal(transport.TLS, ln.Addr())
	}
	if guess.IsValid() {
		opts.ViaHost = guess.String()
	}
	tp, err := transport.New(opts)
	if err != nil {
		closeAll(pcs, lns, tlns)
		return fmt.Errorf("ua: transport: %w", err)
	}
	for _, pc := range pcs {
		if err := tp.ServePacket(pc); err != nil {
			tp.Close()
			return fmt.Errorf("ua: serve udp: %w", err)
		}
	}
	for _, ln := range lns {
		if err := tp.ServeTCP(ln); err != nil {
			tp.Close()
			return fmt.Errorf("ua: serve tcp: %w", err)
		}
	}
	for _, ln := range tlns {
		if err := tp.ServeTLS(ln, nil); err != nil {
			tp.Close()
			return fmt.Errorf("ua: serve tls: %w", err)
		}
	}
	a.tp = tp
	a.ctx, a.cancel = context.WithCancel(context.Background())
	// The dialog layer owns the transaction layer (it must see the ACKs
	// for our 2xx and stray 2xx retransmissions); routing stays with the
	// loop, which hands in-dialog requests, ACKs and stray responses to it.
	a.dm = dialog.NewManager(transaction.TransportFunc(func(ctx context.Context, msg sip.Message, to transaction.Target) error {
		return tp.Send(ctx, msg, transport.Target(to))
	}), dialog.Config{
		Transaction: transaction.Config{
			T1: a.cfg.T1, T2: a.cfg.T2, T4: a.cfg.T4,
			Handler: func(s *transaction.Server) { a.post(func() { a.onRequest(s) }) },
			OnACK: func(ack *sip.Request, from transaction.Target) {
				a.post(func() { a.onACK(ack) })
			},
			OnStrayResponse: func(resp *sip.Response, from transaction.Target) {
				a.dm.HandleStrayResponse(resp)
			},
			Logger: a.cfg.Logger,
		},
		Unrouted:    true,
		Respond:     a.respond,
		OnRequest:   a.onDialogRequest,
		OnACK:       a.onDialogACK,
		OnTerminate: a.onDialogEnd,
		Logger:      a.cfg.Logger,
	})
	a.tx = a.dm.Layer()
	a.stopPump = make(chan struct{})
	a.respSignal = make(chan struct{}, 1)
	a.wg.Add(2)
	go a.pump()
	go a.responder()
	go a.eventPump()
	a.started = true
	go a.loop()
	a.post(a.startAccounts)
	return nil
}

func closeAll(pcs []net.PacketConn, lns, tlns []net.Listener) {
	for _, pc := range pcs {
		pc.Close()
	}
	for _, l := range lns {
		l.Close()
	}
	for _, l := range tlns {
		l.Close()
	}
}

func addrPortOf(addr net.Addr) netip.AddrPort {
	switch v := addr.(type) {
	case *net.UDPAddr:
		return v.AddrPort()
	case *net.TCPAddr:
		return v.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(addr.String())
	return ap
}

// Listening returns the addresses the agent serves, as listen specs
// ("udp:127.0.0.1:5060", "tcp:…", "tls:…"), once Start has returned; the
// ports are the real ones when the configuration asked for port 0.
func (a *Agent) Listening() []string {
	if a.tp == nil {
		return nil
	}
	var out []string
	for _, t := range a.tp.LocalAddrs() {
		out = append(out, strings.ToLower(orUDP(t.Transport))+":"+t.Addr.String())
	}
	return out
}

func orUDP(tr string) string {
	if tr == "" {
		return "udp"
	}
	return tr
}

// guessLocalIP finds the interface address towards the first registrar
// (a connected UDP socket sends nothing).
func (a *Agent) guessLocalIP() netip.Addr {
	for _, acc := range a.accounts {
		u, err := sip.ParseURI(acc.serverURI())
		if err != nil {
			continue
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
			if c, err := net.Dial("udp", netip.AddrPortFrom(ip, 5060).String()); err == nil {
				ap := addrPortOf(c.LocalAddr())
				c.Close()
				return ap.Addr().Unmap()
			}
		}
	}
	if c, err := net.Dial("udp", "192.0.2.1:5060"); err == nil {
		ap := addrPortOf(c.LocalAddr())
		c.Close()
		return ap.Addr().Unmap()
	}
	return netip.MustParseAddr("127.0.0.1")
}

func (a *Agent) openListeners() (pcs []net.PacketConn, lns, tlns []net.Listener, err error) {
	pcs = append(pcs, a.cfg.PacketConns...)
	lns = append(lns, a.cfg.Listeners...)
	tlns = append(tlns, a.cfg.TLSListeners...)
	if len(pcs)+len(lns)+len(tlns) > 0 {
		return pcs, lns, tlns, nil
	}
	for _, spec := range a.cfg.Listen {
		tr, addr, ok := strings.Cut(spec, ":")
		if !ok {
			tr, addr = "udp", spec
		}
		switch strings.ToLower(tr) {
		case "udp":
			pc, e := net.ListenPacket("udp", addr)
			if e != nil {
				err = e
				break
			}
			pcs = append(pcs, pc)
		case "tcp":
			ln, e := net.Listen("tcp", addr)
			if e != nil {
				err = e
				break
			}
			lns = append(lns, ln)
		case "tls":
			// A TLS listener needs our certificate; without one it would
			// accept plain TCP under a TLS label.
			if a.cfg.TLSCertFile == "" || a.cfg.TLSKeyFile == "" {
				err = fmt.Errorf("%w: a tls listener needs TLSCertFile and TLSKeyFile", ErrBadConfig)
				break
			}
			cert, e := tls.LoadX509KeyPair(a.cfg.TLSCertFile, a.cfg.TLSKeyFile)
			if e != nil {
				err = fmt.Errorf("%w: tls certificate: %v", ErrBadConfig, e)
				break
			}
			ln, e := net.Listen("tcp", addr)
			if e != nil {
				err = e
				break
			}
			tlns = append(tlns, tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
		default:
			err = fmt.Errorf("%w: listen %q: unknown transport", ErrBadConfig, spec)
		}
		if err != nil {
			closeAll(pcs, lns, tlns)
			return nil, nil, nil, fmt.Errorf("ua: listen %s: %w", spec, err)
		}
	}
	return pcs, lns, tlns, nil
}

// pump moves received messages into the transaction layer.
func (a *Agent) pump() {
	defer a.wg.Done()
	for {
		select {
		case <-a.stopPump:
			return
		case in := <-a.tp.Messages():
			a.tx.HandleMessage(in.Msg, transaction.Target(in.Source.Reply()))
		case ce := <-a.tp.ConnErrors():
			a.post(func() { a.onConnError(ce) })
		}
	}
}

// post queues fn for the loop; it never blocks.
func (a *Agent) post(fn func()) {
	a.inMu.Lock()
	a.inQ = append(a.inQ, fn)
	a.inMu.Unlock()
	select {
	case a.inSignal <- struct{}{}:
	default:
	}
}

func (a *Agent) loop() {
	defer close(a.loopDone)
	for range a.inSignal {
		for {
			a.inMu.Lock()
			q := a.inQ
			a.inQ = nil
			a.inMu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, fn := range q {
				fn()
				if a.stopLoop {
					return
				}
			}
		}
	}
}

// do runs fn in the loop and waits for its result.
func (a *Agent) do(ctx context.Context, fn func() error) error {
	a.startMu.Lock()
	started := a.started
	a.startMu.Unlock()
	if !started {
		return ErrNotStarted
	}
	reply := make(chan error, 1)
	a.post(func() {
		if a.closing {
			reply <- ErrClosed
			return
		}
		reply <- fn()
	})
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-a.loopDone:
		return ErrClosed
	}
}

// afterFunc runs fn in the loop after d.
func (a *Agent) afterFunc(d time.Duration, fn func()) *time.Timer {
	return time.AfterFunc(d, func() { a.post(fn) })
}

func (a *Agent) random() float64 {
	if a.cfg.Rand != nil {
		return a.cfg.Rand()
	}
	return rand.Float64()
}

func (a *Agent) newID(prefix string) string {
	a.nextID++
	return prefix + strconv.Itoa(a.nextID)
}

// ---- events ----

func (a *Agent) emit(ev Event) {
	a.evMu.Lock()
	if a.evClosed {
		a.evMu.Unlock()
		return
	}
	a.evQ = append(a.evQ, ev)
	a.evMu.Unlock()
	select {
	case a.evSignal <- struct{}{}:
	default:
	}
}

// eventPump feeds Events from the queue; it closes the channel once the
// queue is closed and drained (or Close gave up waiting for the reader).
func (a *Agent) eventPump() {
	defer close(a.evDone)
	defer close(a.events)
	for {
		a.evMu.Lock()
		q := a.evQ
		a.evQ = nil
		closed := a.evClosed
		a.evMu.Unlock()
		for _, ev := range q {
			select {
			case a.events <- ev:
			case <-a.evAbort:
				return
			}
		}
		if len(q) == 0 {
			if closed {
				return
			}
			select {
			case <-a.evSignal:
			case <-a.evAbort:
				return
			}
		}
	}
}

func (a *Agent) closeEvents() {
	a.evMu.Lock()
	a.evClosed = true
	a.evMu.Unlock()
	select {
	case a.evSignal <- struct{}{}:
	default:
	}
}

func (a *Agent) errorEvent(op string, err error) {
	a.emit(ErrorEvent{Op: op, Err: err.Error()})
}

// ---- close ----

// Close hangs up every call, un-registers, ends subscriptions, waits for
// the goroutines and closes Events. ctx bounds the polite part (waiting
// for responses); the rest always happens.
func (a *Agent) Close(ctx context.Context) error {
	first := false
	a.closeMu.Do(func() { first = true; close(a.closedCh) })
	a.startMu.Lock()
	started := a.started
	a.startMu.Unlock()
	if !started {
		if first {
			a.closeEvents()
			go a.eventPump()
			closeAll(a.cfg.PacketConns, a.cfg.Listeners, a.cfg.TLSListeners)
		}
		return nil
	}
	if !first {
		<-a.evDone
		return nil
	}
	drained := make(chan struct{})
	a.post(func() { a.beginClose(drained) })
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = fmt.Errorf("ua: close: gave up waiting for responses: %w", ctx.Err())
	}
	// Stop the loop, then everything below it.
	stopped := make(chan struct{})
	a.post(func() {
		a.finalClose()
		a.stopLoop = true
		close(stopped)
	})
	<-stopped
	<-a.loopDone
	a.cancel()
	a.dm.Close()
	close(a.stopPump)
	a.tp.Close()
	a.wg.Wait()
	a.closeEvents()
	select {
	case <-a.evDone:
	case <-ctx.Done():
		close(a.evAbort)
		<-a.evDone
	}
	return err
}

func (a *Agent) beginClose(drained chan struct{}) {
	a.closing = true
	a.drained = drained
	for _, c := range a.callList() {
		a.hangup(c, "agent closing")
	}
	for _, w := range a.watchers {
		a.terminateWatcher(w, "probation;retry-after=60")
	}
	for _, s := range a.subs {
		a.unsubscribe(s)
	}
	for _, acc := range a.accounts {
		acc.shutdown()
	}
	a.checkDrained()
}

// hold/release count requests Close waits for.
func (a *Agent) hold()    { a.pending++ }
func (a *Agent) release() { a.pending--; a.checkDrained() }
func (a *Agent) checkDrained() {
	if a.closing && a.pending <= 0 && a.drained != nil {
		close(a.drained)
		a.drained = nil
	}
}

func (a *Agent) finalClose() {
	if a.stats != nil {
		a.stats.Stop()
	}
	for _, c := range a.callList() {
		if c.info.State != CallEnded {
			a.endCall(c, 0, "agent closed", FailNone)
		}
		c.stopTimers()
	}
	for _, s := range a.subs {
		s.stopTimers()
	}
	for _, acc := range a.accounts {
		acc.stopTimers()
	}
}

// quietTransactions is how many transactions Quiet tolerates: a registered
// agent always has a few, such as a proxy's keep-alive OPTIONS (each waits
// out Timer J, 32 s, so pings every 30 s never leave it at zero).
const quietTransactions = 8

// Quiet reports whether the engine is idle: no call that is not over and at
// most quietTransactions SIP transactions, counting those that only wait out
// Timer J or L. The process uses it to give memory back once a burst of
// calls has drained.
func (a *Agent) Quiet() bool {
	a.snapMu.Lock()
	calls := len(a.snap)
	a.snapMu.Unlock()
	a.startMu.Lock()
	tx := a.tx
	a.startMu.Unlock()
	if calls > 0 || tx == nil {
		return false
	}
	clients, servers := tx.Count()
	return clients+servers <= quietTransactions
}

// ---- calls snapshot (Calls has no ctx: it reads a copy) ----

// Calls returns a snapshot of the calls that are not over, oldest first.
func (a *Agent) Calls() []CallInfo {
	a.snapMu.Lock()
	defer a.snapMu.Unlock()
	out := make([]CallInfo, 0, len(a.snapOrd))
	for _, id := range a.snapOrd {
		out = append(out, a.snap[id])
	}
	return out
}

func (a *Agent) updateSnap(ci CallInfo) {
	a.snapMu.Lock()
	defer a.snapMu.Unlock()
	if ci.State == CallEnded {
		if _, ok := a.snap[ci.ID]; ok {
			delete(a.snap, ci.ID)
			if len(a.snap) == 0 {
				a.snap = map[string]CallInfo{} // let go of a burst's buckets
			}
			for i, id := range a.snapOrd {
				if id == ci.ID {
					a.snapOrd = append(a.snapOrd[:i:i], a.snapOrd[i+1:]...)
					break
				}
			}
		}
		return
	}
	if _, ok := a.snap[ci.ID]; !ok {
		a.snapOrd = append(a.snapOrd, ci.ID)
	}
	a.snap[ci.ID] = ci
}

// SetDND turns do-not-disturb on or off: incoming calls get 486.
func (a *Agent) SetDND(ctx context.Context, on bool) error {
	return a.do(ctx, func() error { a.dnd = on; return nil })
}

func (a *Agent) account(name string) (*account, error) {
	if name == "" {
		return a.accounts[0], nil
	}
	if acc, ok := a.byName[name]; ok {
		return acc, nil
	}
	for _, acc := range a.accounts {
		if acc.cfg.User+"@"+acc.cfg.Domain == name || acc.cfg.User == name {
			return acc, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNoSuchAccount, name)
}
