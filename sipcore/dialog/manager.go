package dialog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// Sentinel errors and termination reasons.
var (
	// ErrNoDialog: no dialog matches (the request got 481, §12.2.2).
	ErrNoDialog = errors.New("dialog does not exist")
	// ErrTerminated: the dialog is terminated.
	ErrTerminated = errors.New("dialog terminated")
	// ErrRemoteBye: the peer ended the dialog with BYE (§15.1.2).
	ErrRemoteBye = errors.New("dialog ended by remote bye")
	// ErrLocalBye: we ended the dialog with BYE (§15.1.1).
	ErrLocalBye = errors.New("dialog ended by local bye")
	// ErrNoACK: the 2xx was retransmitted for 64·T1 without an ACK
	// (§13.3.1.4); the session should be ended with BYE.
	ErrNoACK = errors.New("no ack for 2xx")
	// ErrRejected: the INVITE got a non-2xx final response; its early
	// dialogs end (§12.3).
	ErrRejected = errors.New("invite rejected")
	// ErrNoTarget: the next hop could not be turned into a destination.
	ErrNoTarget = errors.New("cannot resolve next hop")
	// ErrPending: a re-INVITE is already in progress in this dialog (§14.1).
	ErrPending = errors.New("re-invite pending")
)

// Config configures a Manager. Zero fields take defaults.
type Config struct {
	// Transaction configures the transaction layer the Manager creates.
	// Its Handler receives out-of-dialog requests (no To tag); its OnACK
	// and OnStrayResponse receive what the dialog layer does not consume.
	Transaction transaction.Config
	// Contact is our Contact, put into dialog-creating and target refresh
	// requests and responses (§12.1.1, §12.2.1.1).
	Contact sip.Address
	// Resolve turns a next-hop URI (first Route or remote target,
	// §12.2.1.1) into a destination. The default accepts IP literals only:
	// port from the URI (5060, 5061 for sips), transport from the
	// transport parameter (UDP by default). The UA plugs RFC 3263 here.
	Resolve func(ctx context.Context, next sip.URI) (transaction.Target, error)
	// OnRequest receives in-dialog requests that passed the §12.2.2 checks
	// (CSeq order, 491/500 for overlapping re-INVITEs), BYE excepted: the
	// Manager answers BYE 200 and reports it through OnTerminate. The
	// handler must answer with d.Respond (or s.Respond). It runs on the
	// transport's reading goroutine and should not block.
	OnRequest func(d *Dialog, s *transaction.Server)
	// OnACK receives the ACK for a 2xx we sent (§13.3.1.4); it may carry
	// the session answer.
	OnACK func(d *Dialog, ack *sip.Request)
	// PrepareACK, if set, may add a body to the ACK for a 2xx (§13.2.2.4,
	// offer in the 2xx) before it is sent the first time.
	PrepareACK func(d *Dialog, ack *sip.Request, resp *sip.Response)
	// OnTerminate is told when a dialog ends, with the reason (ErrRemoteBye,
	// ErrLocalBye, ErrRejected, ErrNoACK, ...).
	OnTerminate func(d *Dialog, reason error)
	// Logger receives debug diagnostics; nil discards.
	Logger *slog.Logger

	// Unrouted, when true, leaves routing to the UA: the Manager does not
	// wrap Transaction.Handler, OnACK and OnStrayResponse, so they receive
	// every request, unmatched ACK and stray response, and the UA calls
	// Deliver (or HandleRequest), HandleACK and HandleStrayResponse itself,
	// after checks of its own and on a goroutine of its choice (an event
	// loop). OnRequest, OnACK and the OnTerminate for ErrRemoteBye then run
	// on that goroutine.
	Unrouted bool
	// Respond, if set, sends the responses the Manager builds itself (481,
	// 500, 491, the 200 to BYE, 501, 400) instead of s.Respond: a UA can
	// queue them behind its own responses or stamp a User-Agent header.
	Respond func(s *transaction.Server, resp *sip.Response)
}

// Manager is a dialog layer (RFC 3261 §12): it owns a transaction layer,
// keeps the dialogs by ID, routes in-dialog requests and ACKs to them,
// answers 481 for requests matching none, and runs the UAC and UAS core
// duties of §13 for INVITE: ACKing 2xx responses (retransmissions and other
// forks included) and retransmitting our 2xx until the ACK arrives.
type Manager struct {
	cfg  Config
	tl   *transaction.Layer
	t1   time.Duration
	t2   time.Duration
	log  *slog.Logger
	done chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	dialogs map[ID]*Dialog
}

// NewManager returns a Manager sending through tp, with its own
// transaction layer. Feed received messages to m.Layer().HandleMessage,
// and Close the Manager when done (the layer runs a timer goroutine).
func NewManager(tp transaction.Transport, cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Resolve == nil {
		cfg.Resolve = ResolveLiteral
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, done: make(chan struct{}), dialogs: map[ID]*Dialog{}}
	tc := cfg.Transaction
	if cfg.Unrouted {
		m.tl = transaction.NewLayer(tp, tc)
		c := m.tl.Config()
		m.t1, m.t2 = c.T1, c.T2
		return m
	}
	outOfDialog, ackNext, strayNext := tc.Handler, tc.OnACK, tc.OnStrayResponse
	tc.Handler = func(s *transaction.Server) {
		if m.HandleRequest(s) {
			return
		}
		if outOfDialog != nil {
			outOfDialog(s)
			return
		}
		m.respond(s, sip.NewResponse(s.Request(), sip.StatusNotImplemented, ""))
	}
	tc.OnACK = func(ack *sip.Request, from transaction.Target) {
		if !m.HandleACK(ack) && ackNext != nil {
			ackNext(ack, from)
		}
	}
	tc.OnStrayResponse = func(resp *sip.Response, from transaction.Target) {
		if !m.HandleStrayResponse(resp) && strayNext != nil {
			strayNext(resp, from)
		}
	}
	m.tl = transaction.NewLayer(tp, tc)
	c := m.tl.Config()
	m.t1, m.t2 = c.T1, c.T2
	return m
}

// Layer returns the transaction layer (for out-of-dialog requests and for
// feeding received messages).
func (m *Manager) Layer() *transaction.Layer { return m.tl }

// Count returns the number of live dialogs.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.dialogs)
}

// Dialog returns the dialog with that ID, nil if none.
func (m *Manager) Dialog(id ID) *Dialog {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dialogs[id]
}

// Close terminates every dialog (without sending BYE), closes the
// transaction layer and waits for the Manager's goroutines.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.done)
	ds := make([]*Dialog, 0, len(m.dialogs))
	for _, d := range m.dialogs {
		ds = append(ds, d)
	}
	m.mu.Unlock()
	for _, d := range ds {
		d.terminate(ErrTerminated, false)
	}
	err := m.tl.Close()
	m.wg.Wait()
	return err
}

func (m *Manager) add(d *Dialog) (*Dialog, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.dialogs[d.id]; old != nil {
		return old, false
	}
	if m.closed {
		return d, false
	}
	m.dialogs[d.id] = d
	return d, true
}

func (m *Manager) remove(d *Dialog) {
	m.mu.Lock()
	if m.dialogs[d.id] == d {
		delete(m.dialogs, d.id)
		if len(m.dialogs) == 0 {
			m.dialogs = map[ID]*Dialog{} // let go of a burst's buckets
		}
	}
	m.mu.Unlock()
}

func (m *Manager) goOwned(f func()) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
	return true
}

// HandleRequest routes a new server transaction: a request with a To tag
// is in-dialog (§12.2.2): it goes to its dialog or is answered 481. It
// reports false for out-of-dialog requests, which the caller handles. The
// Manager calls it itself for the layer it created; it is exported for
// UAs that route requests differently.
func (m *Manager) HandleRequest(s *transaction.Server) bool {
	req := s.Request()
	if req.ToTag() == "" {
		return false
	}
	if !m.Deliver(s) {
		// §12.2.2: a request with a To tag matching no dialog: 481.
		m.respond(s, sip.NewResponse(req, sip.StatusCallTransactionDoesNotExist, ""))
	}
	return true
}

// Deliver gives a request with a To tag to its dialog (§12.2.2 checks,
// then OnRequest, or the BYE handling) and reports true; it reports false,
// answering nothing, when the request has no To tag or matches no dialog
// of this Manager, so a UA keeping other dialogs of its own (subscriptions)
// can look further before answering 481.
func (m *Manager) Deliver(s *transaction.Server) bool {
	req := s.Request()
	toTag := req.ToTag()
	if toTag == "" {
		return false
	}
	d := m.Dialog(ID{CallID: req.CallID(), LocalTag: toTag, RemoteTag: req.FromTag()})
	if d == nil {
		return false
	}
	d.receive(s)
	return true
}

// respond sends a response the Manager built itself (Config.Respond).
func (m *Manager) respond(s *transaction.Server, resp *sip.Response) {
	if m.cfg.Respond != nil {
		m.cfg.Respond(s, resp)
		return
	}
	_ = s.Respond(resp)
}

// HandleACK gives an ACK that no transaction absorbed (the ACK for a 2xx)
// to its dialog; false when it matches none.
func (m *Manager) HandleACK(ack *sip.Request) bool {
	d := m.Dialog(ID{CallID: ack.CallID(), LocalTag: ack.ToTag(), RemoteTag: ack.FromTag()})
	if d == nil {
		return false
	}
	d.receiveACK(ack)
	return true
}

// HandleStrayResponse handles a response no client transaction matched: a
// 2xx to an INVITE after Timer M gets the dialog's ACK again, or, from a
// fork we know nothing about, an ACK and a BYE (§13.2.2.4). It reports
// whether the response was consumed.
func (m *Manager) HandleStrayResponse(resp *sip.Response) bool {
	cs, err := resp.CSeq()
	if err != nil || cs.Method != sip.MethodInvite || !resp.IsSuccess() {
		return false
	}
	id := ID{CallID: resp.CallID(), LocalTag: resp.FromTag(), RemoteTag: resp.ToTag()}
	if d := m.Dialog(id); d != nil {
		d.reACK(resp)
		return true
	}
	// §13.2.2.4: a 2xx from a fork we never heard of, to an INVITE of a
	// dialog we still have (same Call-ID and local tag): ACK it, then BYE.
	sib := m.sibling(id)
	if sib == nil {
		return false
	}
	d := sib.forkFrom(resp, id)
	if _, added := m.add(d); !added {
		return true
	}
	d.sendACK(context.Background(), resp, nil)
	m.goOwned(func() { _, _ = d.Bye(context.Background()) })
	return true
}

// sibling finds a UAC dialog with the same Call-ID and local tag as id.
func (m *Manager) sibling(id ID) *Dialog {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, d := range m.dialogs {
		if k.CallID == id.CallID && k.LocalTag == id.LocalTag && d.uac {
			return d
		}
	}
	return nil
}

// ResolveLiteral is the default Config.Resolve: the URI's host must be an
// IP address; the port defaults to 5060 (5061 for sips) and the transport
// comes from the transport parameter (UDP; TLS for sips).
func ResolveLiteral(_ context.Context, u sip.URI) (transaction.Target, error) {
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return transaction.Target{}, fmt.Errorf("%w: %s is not an ip address", ErrNoTarget, u.Host)
	}
	tr := "UDP"
	port := 5060
	if u.IsSIPS() {
		tr, port = "TLS", 5061
	}
	if p, ok := u.Param("transport"); ok && p != "" {
		tr = strings.ToUpper(p)
	}
	if u.Port != 0 {
		port = u.Port
	}
	return transaction.Target{Transport: tr, Addr: netip.AddrPortFrom(ip.Unmap(), uint16(port)), Host: u.Hostname()}, nil
}

// GlareBackoff returns the RFC 3261 §14.1 wait before retrying a
// re-INVITE that got 491: 2.1–4 s when we own the Call-ID (we sent the
// initial request), 0–2 s otherwise, in units of 10 ms.
func GlareBackoff(ownsCallID bool) time.Duration {
	if ownsCallID {
		return time.Duration(210+rand.IntN(191)) * 10 * time.Millisecond
	}
	return time.Duration(rand.IntN(201)) * 10 * time.Millisecond
}

// initialCSeq picks a first local CSeq number (§8.1.1.5: below 2**31).
func initialCSeq() uint32 { return uint32(rand.IntN(1<<16)) + 1 }

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
