package transaction_test

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// serverFixture is a layer fed by hand, recording what it sends and what
// reaches the TU.
type serverFixture struct {
	tp      *recTransport
	l       *transaction.Layer
	servers chan *transaction.Server
	mu      sync.Mutex
	acks    []*sip.Request
	errs    []error
	errSrv  []*transaction.Server // the handles OnServerError got
}

func newServerFixture(t *testing.T, cfg transaction.Config) *serverFixture {
	f := &serverFixture{tp: newRec(), servers: make(chan *transaction.Server, 16)}
	cfg.Handler = func(s *transaction.Server) { f.servers <- s }
	cfg.OnACK = func(ack *sip.Request, _ transaction.Target) {
		f.mu.Lock()
		f.acks = append(f.acks, ack)
		f.mu.Unlock()
	}
	cfg.OnServerError = func(s *transaction.Server, err error) {
		f.mu.Lock()
		f.errs = append(f.errs, err)
		f.errSrv = append(f.errSrv, s)
		f.mu.Unlock()
	}
	f.l = transaction.NewLayer(f.tp, cfg)
	t.Cleanup(func() { f.l.Close() })
	return f
}

func (f *serverFixture) onlyServer(t *testing.T) *transaction.Server {
	t.Helper()
	select {
	case s := <-f.servers:
		return s
	default:
		t.Fatal("no server transaction reached the handler")
		return nil
	}
}

func (f *serverFixture) noServer(t *testing.T) {
	t.Helper()
	select {
	case s := <-f.servers:
		t.Fatalf("unexpected server transaction for %s", s.Request().Method)
	default:
	}
}

// ackFor builds the ACK a UAC sends for a non-2xx response (same branch).
func ackFor(inv *sip.Request, resp *sip.Response) *sip.Request {
	return sip.NewAck(inv, resp)
}

// TestInviteServerTimersGH: a non-2xx final response is retransmitted on
// Timer G (T1 doubling to T2) until Timer H (64·T1) gives up and the TU is
// told (ErrTimeout).
func TestInviteServerTimersGH(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		inv := siptest.Invite(t, "sip:bob@192.0.2.2")
		f.l.HandleMessage(inv, udpPeer)
		s := f.onlyServer(t)
		if err := s.Respond(sip.NewResponse(inv, 486, "")); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		<-s.Done()
		if d := time.Since(start); d != 32*time.Second {
			t.Errorf("Timer H after %v, want 32s", d)
		}
		if !errors.Is(s.Err(), transaction.ErrTimeout) {
			t.Errorf("Err = %v, want ErrTimeout", s.Err())
		}
		want := secs(0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5)
		if got := f.tp.times("SIP/2.0 486"); !equalDurations(got, want) {
			t.Errorf("486 sent at %v, want %v", got, want)
		}
		synctest.Wait() // the OnServerError hook runs just after Done closes
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.errs) != 1 || !errors.Is(f.errs[0], transaction.ErrTimeout) {
			t.Errorf("OnServerError got %v, want one ErrTimeout", f.errs)
		}
		if _, n := f.l.Count(); n != 0 {
			t.Errorf("live servers = %d, want 0", n)
		}
	})
}

// TestInviteServerTimerI: the ACK moves the transaction to Confirmed, stops
// Timer G, ACK retransmissions are absorbed (not passed to the TU) until
// Timer I (T4 on UDP, 0 on TCP).
func TestInviteServerTimerI(t *testing.T) {
	for _, tc := range []struct {
		name  string
		from  transaction.Target
		wantI time.Duration
	}{{"udp", udpPeer, 5 * time.Second}, {"tcp", tcpPeer, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newServerFixture(t, transaction.Config{})
				inv := siptest.Invite(t, "sip:bob@192.0.2.2")
				f.l.HandleMessage(inv, tc.from)
				s := f.onlyServer(t)
				resp := sip.NewResponse(inv, 603, "")
				if err := s.Respond(resp); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Second) // Timer G fired once at 0.5 s on UDP
				ack := ackFor(inv, resp)
				f.l.HandleMessage(ack, tc.from)
				start := time.Now()
				if tc.wantI > 0 {
					if got, want := s.State(), transaction.StateConfirmed; got != want {
						t.Errorf("state %v, want %v", got, want)
					}
					f.l.HandleMessage(ackFor(inv, resp), tc.from)
				}
				<-s.Done()
				if d := time.Since(start); d != tc.wantI {
					t.Errorf("Timer I = %v, want %v", d, tc.wantI)
				}
				if s.Err() != nil {
					t.Errorf("Err = %v, want nil", s.Err())
				}
				wantSends := 2 // the response and one Timer G retransmission
				if tc.wantI == 0 {
					wantSends = 1
				}
				if got := len(f.tp.times("SIP/2.0 603")); got != wantSends {
					t.Errorf("603 sent %d times, want %d", got, wantSends)
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				if len(f.acks) != 0 {
					t.Errorf("%d ACKs reached the TU, want 0 (absorbed)", len(f.acks))
				}
			})
		})
	}
}

// TestInviteServerRetransmissions: INVITE retransmissions are absorbed and
// answered with the last provisional (Proceeding) or final (Completed)
// response; the TU sees one server transaction.
func TestInviteServerRetransmissions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		inv := siptest.Invite(t, "sip:bob@192.0.2.2")
		f.l.HandleMessage(inv, udpPeer)
		s := f.onlyServer(t)
		ringing := sip.NewResponse(inv, 180, "")
		if err := s.Respond(ringing); err != nil {
			t.Fatal(err)
		}
		f.l.HandleMessage(inv.Clone(), udpPeer)
		f.noServer(t)
		if got := len(f.tp.times("SIP/2.0 180")); got != 2 {
			t.Errorf("180 sent %d times, want 2", got)
		}
		busy := sip.NewResponse(inv, 486, "")
		busy.SetHeader(sip.HeaderTo, ringing.Header(sip.HeaderTo))
		if err := s.Respond(busy); err != nil {
			t.Fatal(err)
		}
		f.l.HandleMessage(inv.Clone(), udpPeer)
		if got := f.tp.times("SIP/2.0 486"); !equalDurations(got, secs(0, 0)) {
			t.Errorf("486 sent at %v, want twice at 0", got)
		}
		if err := s.Respond(sip.NewResponse(inv, 500, "")); !errors.Is(err, transaction.ErrState) {
			t.Errorf("second final: %v, want ErrState", err)
		}
	})
}

// TestInviteServerTrying: 100 Trying goes out after TryingDelay when the
// TU has not answered, not at all when it answers earlier, and at once for
// a retransmission that arrives first.
func TestInviteServerTrying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		inv := siptest.Invite(t, "sip:bob@192.0.2.2")
		inv.AddHeader(sip.HeaderTimestamp, "54")
		f.l.HandleMessage(inv, udpPeer)
		f.onlyServer(t)
		time.Sleep(time.Second)
		if got := f.tp.times("SIP/2.0 100"); !equalDurations(got, secs(0.2)) {
			t.Errorf("100 sent at %v, want [200ms]", got)
		}
		if ts := mustResponse(t, f.tp.last(t).raw).Header(sip.HeaderTimestamp); ts != "54" {
			t.Errorf("100 Timestamp %q, want 54 (§8.2.6.1)", ts)
		}

		inv2 := siptest.Invite(t, "sip:carol@192.0.2.2")
		f.l.HandleMessage(inv2, udpPeer)
		s2 := f.onlyServer(t)
		time.Sleep(100 * time.Millisecond)
		_ = s2.Respond(sip.NewResponse(inv2, 180, ""))
		time.Sleep(time.Second)
		if got := len(f.tp.times("SIP/2.0 100")); got != 1 {
			t.Errorf("%d 100 Trying in total, want 1 (TU answered in time)", got)
		}

		inv3 := siptest.Invite(t, "sip:dave@192.0.2.2")
		f.l.HandleMessage(inv3, udpPeer)
		f.onlyServer(t)
		time.Sleep(50 * time.Millisecond)
		f.l.HandleMessage(inv3.Clone(), udpPeer)
		time.Sleep(time.Second)
		if got := len(f.tp.times("SIP/2.0 100")); got != 2 {
			t.Errorf("%d 100 Trying in total, want 2 (retransmission answered once)", got)
		}
	})
}

// TestInviteServerTryingImmediate: a negative TryingDelay sends 100 Trying
// on receipt.
func TestInviteServerTryingImmediate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{TryingDelay: -1})
		f.l.HandleMessage(siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer)
		f.onlyServer(t)
		if got := f.tp.times("SIP/2.0 100"); !equalDurations(got, secs(0)) {
			t.Errorf("100 sent at %v, want [0s]", got)
		}
	})
}

// TestInviteServerAcceptedTimerL: RFC 6026: after a 2xx the transaction is
// Accepted: INVITE retransmissions are absorbed (not answered, not passed
// up), the TU's 2xx retransmissions are sent, ACKs go to the TU, and Timer
// L (64·T1) ends it.
func TestInviteServerAcceptedTimerL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		inv := siptest.Invite(t, "sip:bob@192.0.2.2")
		f.l.HandleMessage(inv, udpPeer)
		s := f.onlyServer(t)
		ok := sip.NewResponse(inv, 200, "")
		if err := s.Respond(ok); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if got, want := s.State(), transaction.StateAccepted; got != want {
			t.Errorf("state %v, want %v", got, want)
		}
		f.l.HandleMessage(inv.Clone(), udpPeer)
		f.noServer(t)
		if err := s.Respond(ok); err != nil {
			t.Errorf("2xx retransmission: %v", err)
		}
		if got := len(f.tp.times("SIP/2.0 200")); got != 2 {
			t.Errorf("200 sent %d times, want 2 (TU's)", got)
		}
		// The ACK for a 2xx has its own branch.
		ack := sip.NewRequest(sip.MethodAck, inv.URI)
		ack.PrependVia(sip.Via{Transport: "UDP", Host: "192.0.2.1", Port: 5060, Params: sip.Params{{Name: "branch", Value: sip.NewBranch()}}})
		ack.SetHeader(sip.HeaderFrom, inv.Header(sip.HeaderFrom))
		ack.SetHeader(sip.HeaderTo, ok.Header(sip.HeaderTo))
		ack.SetCallID(inv.CallID())
		ack.SetCSeq(sip.CSeq{Seq: 1, Method: sip.MethodAck})
		f.l.HandleMessage(ack, udpPeer)
		<-s.Done()
		if d := time.Since(start); d != 32*time.Second {
			t.Errorf("Timer L = %v, want 32s", d)
		}
		if err := s.Respond(ok); !errors.Is(err, transaction.ErrTerminated) {
			t.Errorf("Respond after Timer L = %v, want ErrTerminated", err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.acks) != 1 {
			t.Errorf("%d ACKs reached the TU, want 1", len(f.acks))
		}
	})
}

// TestNonInviteServerTimerJ: request retransmissions are absorbed in
// Trying, answered with the last provisional in Proceeding and with the
// final response in Completed, until Timer J (64·T1 on UDP, 0 on TCP).
func TestNonInviteServerTimerJ(t *testing.T) {
	for _, tc := range []struct {
		name  string
		from  transaction.Target
		wantJ time.Duration
	}{{"udp", udpPeer, 32 * time.Second}, {"tcp", tcpPeer, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newServerFixture(t, transaction.Config{})
				req := siptest.Request(t, sip.MethodBye, "sip:bob@192.0.2.2")
				f.l.HandleMessage(req, tc.from)
				s := f.onlyServer(t)
				f.l.HandleMessage(req.Clone(), tc.from) // Trying: absorbed
				if n := len(f.tp.all()); n != 0 {
					t.Errorf("%d messages sent in Trying, want 0", n)
				}
				if err := s.Respond(sip.NewResponse(req, 100, "")); err != nil {
					t.Fatal(err)
				}
				f.l.HandleMessage(req.Clone(), tc.from) // Proceeding: 100 again
				if got := len(f.tp.times("SIP/2.0 100")); got != 2 {
					t.Errorf("100 sent %d times, want 2", got)
				}
				if err := s.Respond(sip.NewResponse(req, 200, "")); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if tc.wantJ > 0 {
					time.Sleep(10 * time.Second)
					f.l.HandleMessage(req.Clone(), tc.from) // Completed: 200 again
				}
				<-s.Done()
				if d := time.Since(start); d != tc.wantJ {
					t.Errorf("Timer J = %v, want %v", d, tc.wantJ)
				}
				want := secs(0)
				if tc.wantJ > 0 {
					want = secs(0, 10)
				}
				if got := f.tp.times("SIP/2.0 200"); !equalDurations(got, want) {
					t.Errorf("200 sent at %v, want %v", got, want)
				}
				f.noServer(t)
				if _, n := f.l.Count(); n != 0 {
					t.Errorf("live servers = %d, want 0", n)
				}
			})
		})
	}
}

// TestServerTransportError: a failing send is returned by Respond,
// terminates the transaction and reaches OnServerError.
func TestServerTransportError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		req := siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2")
		f.l.HandleMessage(req, udpPeer)
		s := f.onlyServer(t)
		f.tp.setFail(errors.New("unreachable"))
		if err := s.Respond(sip.NewResponse(req, 200, "")); !errors.Is(err, transaction.ErrTransport) {
			t.Errorf("Respond = %v, want ErrTransport", err)
		}
		<-s.Done()
		if !errors.Is(s.Err(), transaction.ErrTransport) {
			t.Errorf("Err = %v", s.Err())
		}
		synctest.Wait()
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.errs) != 1 {
			t.Errorf("OnServerError called %d times, want 1", len(f.errs))
		}
	})
}

// TestCancelMatchesInvite: §9.2: the CANCEL is answered 200 by the layer,
// the INVITE server transaction's Cancelled closes, the TU answers 487
// and the ACK for it is absorbed. A CANCEL matching nothing gets 481.
func TestCancelMatchesInvite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		inv := siptest.Invite(t, "sip:bob@192.0.2.2")
		f.l.HandleMessage(inv, udpPeer)
		s := f.onlyServer(t)
		ringing := sip.NewResponse(inv, 180, "")
		_ = s.Respond(ringing)
		early := 0
		s.OnCancel(func() { early++ })
		cancel := sip.NewCancel(inv)
		f.l.HandleMessage(cancel, udpPeer)
		f.noServer(t)
		select {
		case <-s.Cancelled():
		default:
			t.Fatal("Cancelled not closed")
		}
		late := 0
		s.OnCancel(func() { late++ }) // registered after the CANCEL: runs at once
		if early != 1 || late != 1 {
			t.Errorf("OnCancel callbacks ran %d (before) and %d (after the CANCEL) times, want 1 and 1", early, late)
		}
		if s.CancelRequest() == nil {
			t.Error("CancelRequest is nil")
		}
		r := mustResponse(t, f.tp.last(t).raw)
		if cs, _ := r.CSeq(); r.StatusCode != 200 || cs.Method != sip.MethodCancel {
			t.Fatalf("CANCEL answered %d %s, want 200 CANCEL", r.StatusCode, cs.Method)
		}
		if r.ToTag() != ringing.ToTag() {
			t.Errorf("200 CANCEL To tag %q, want the INVITE's %q", r.ToTag(), ringing.ToTag())
		}
		// A retransmitted CANCEL is answered by its own transaction.
		f.l.HandleMessage(cancel.Clone(), udpPeer)
		if got := len(f.tp.times("SIP/2.0 200")); got != 2 {
			t.Errorf("200 CANCEL sent %d times, want 2", got)
		}
		term := sip.NewResponse(inv, 487, "")
		term.SetHeader(sip.HeaderTo, ringing.Header(sip.HeaderTo))
		if err := s.Respond(term); err != nil {
			t.Fatal(err)
		}
		f.l.HandleMessage(ackFor(inv, term), udpPeer)
		if got, want := s.State(), transaction.StateConfirmed; got != want {
			t.Errorf("state %v, want %v", got, want)
		}

		stray := sip.NewCancel(siptest.Invite(t, "sip:nobody@192.0.2.2"))
		f.l.HandleMessage(stray, udpPeer)
		if r := mustResponse(t, f.tp.last(t).raw); r.StatusCode != 481 {
			t.Errorf("unmatched CANCEL answered %d, want 481", r.StatusCode)
		}
		time.Sleep(time.Minute)
		if c, n := f.l.Count(); c+n != 0 {
			t.Errorf("live = %d/%d, want 0", c, n)
		}
	})
}

// TestCancelAfterFinalHasNoEffect: §9.2: a CANCEL after the final
// response gets 200 but does not mark the INVITE cancelled.
func TestCancelAfterFinalHasNoEffect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		inv := siptest.Invite(t, "sip:bob@192.0.2.2")
		f.l.HandleMessage(inv, udpPeer)
		s := f.onlyServer(t)
		ran := false
		s.OnCancel(func() { ran = true })
		_ = s.Respond(sip.NewResponse(inv, 200, ""))
		f.l.HandleMessage(sip.NewCancel(inv), udpPeer)
		if ran {
			t.Error("OnCancel ran for a CANCEL after the final response")
		}
		if r := mustResponse(t, f.tp.last(t).raw); r.StatusCode != 200 {
			t.Errorf("CANCEL answered %d, want 200", r.StatusCode)
		}
		if s.CancelRequest() != nil {
			t.Error("INVITE marked cancelled after its final response")
		}
	})
}

// TestAcceptedHoldsNoCall: in Accepted (up to 32 s of Timer L) the
// transaction keeps neither the TU's OnCancel callbacks nor the 2xx, which
// at a few hundred calls a second would keep every ended call alive.
func TestAcceptedHoldsNoCall(t *testing.T) {
	f := newServerFixture(t, transaction.Config{})
	inv := siptest.Invite(t, "sip:bob@192.0.2.2")
	f.l.HandleMessage(inv, udpPeer)
	s := f.onlyServer(t)
	freed := make(chan string, 2)
	call := new([4096]byte)
	runtime.AddCleanup(call, func(what string) { freed <- what }, "the call")
	s.OnCancel(func() { call[0]++ })
	ok := sip.NewResponse(inv, 200, "")
	runtime.AddCleanup(ok, func(what string) { freed <- what }, "the 2xx")
	if err := s.Respond(ok); err != nil {
		t.Fatal(err)
	}
	call, ok = nil, nil
	got := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for len(got) < 2 {
		runtime.GC()
		select {
		case w := <-freed:
			got[w] = true
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("still held in %v after 5 s of GCs: only %v were freed", s.State(), got)
		}
	}
	if s.State() != transaction.StateAccepted {
		t.Errorf("state %v, want Accepted", s.State())
	}
}

// TestCompletedHoldsNoRequest: once the final response is out, the
// transaction no longer keeps the request alive (only the TU's handle
// does), yet it still answers retransmissions until Timer J; a Timer H
// error reaches OnServerError with a handle even after the TU dropped its.
func TestCompletedHoldsNoRequest(t *testing.T) {
	f := newServerFixture(t, transaction.Config{})
	// A parsed in-dialog request: its header values are slices of its
	// text, and the 200 built from it copies some of them.
	built := siptest.Request(t, sip.MethodBye, "sip:bob@192.0.2.2")
	_ = built.SetToTag("bobtag")
	var p sip.Parser
	msg, err := p.ParseRequest([]byte(built.String()))
	if err != nil {
		t.Fatal(err)
	}
	retrans, _ := p.ParseRequest([]byte(built.String())) // a clone would share the text
	freed := make(chan struct{})
	runtime.AddCleanup(unsafe.StringData(msg.Header("Call-ID")), func(ch chan struct{}) { close(ch) }, freed)
	f.l.HandleMessage(msg, udpPeer)
	s := f.onlyServer(t)
	if err := s.Respond(sip.NewResponse(s.Request(), 200, "")); err != nil {
		t.Fatal(err)
	}
	msg, s = nil, nil
	deadline := time.After(5 * time.Second)
	for done := false; !done; {
		runtime.GC()
		select {
		case <-freed:
			done = true
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("request text still held 5 s after the final response")
		}
	}
	if _, servers := f.l.Count(); servers != 1 {
		t.Fatalf("%d server transactions, want the one in Completed", servers)
	}
	f.l.HandleMessage(retrans, udpPeer)
	f.noServer(t)
	f.tp.mu.Lock()
	n := len(f.tp.sent)
	last := ""
	if n > 0 {
		last = f.tp.sent[n-1].raw
	}
	f.tp.mu.Unlock()
	if n != 2 || !strings.HasPrefix(last, "SIP/2.0 200 ") {
		t.Errorf("retransmission answered with %d messages, last %.20q; want the 200 twice", n, last)
	}
}

func TestServerErrorAfterHandleDropped(t *testing.T) {
	f := newServerFixture(t, transaction.Config{T1: 10 * time.Millisecond}) // Timer H: 640 ms
	inv := siptest.Invite(t, "sip:bob@192.0.2.2")
	f.l.HandleMessage(inv, udpPeer)
	s := f.onlyServer(t)
	dropped := make(chan struct{})
	runtime.AddCleanup(s, func(ch chan struct{}) { close(ch) }, dropped)
	_ = s.Respond(sip.NewResponse(inv, 486, ""))
	s = nil
	deadline := time.After(5 * time.Second)
	var got []*transaction.Server
	for len(got) == 0 {
		runtime.GC()
		select {
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("no OnServerError 5 s after a 486 with no ACK")
		}
		f.mu.Lock()
		got = f.errSrv
		f.mu.Unlock()
	}
	select {
	case <-dropped:
	default:
		t.Fatal("the TU's handle was not collected before Timer H: the case is not tested")
	}
	if len(got) != 1 || got[0] == nil {
		t.Fatalf("OnServerError got %v, want one handle", got)
	}
	if got[0].State() != transaction.StateTerminated || !errors.Is(got[0].Err(), transaction.ErrTimeout) || got[0].Request() != nil {
		t.Errorf("handle: state %v, err %v, request %v", got[0].State(), got[0].Err(), got[0].Request())
	}
}

// TestRFC2543Matching: without the magic cookie, retransmissions match on
// Request-URI, tags, Call-ID, CSeq and top Via, and the ACK matches with
// the To tag of the response sent.
func TestRFC2543Matching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		inv := siptest.Invite(t, "sip:bob@192.0.2.2")
		inv.SetTopVia(sip.Via{Transport: "UDP", Host: "192.0.2.1", Port: 5060}) // no branch
		f.l.HandleMessage(inv, udpPeer)
		s := f.onlyServer(t)
		f.l.HandleMessage(inv.Clone(), udpPeer)
		f.noServer(t)
		other := inv.Clone()
		other.SetCSeq(sip.CSeq{Seq: 2, Method: sip.MethodInvite})
		f.l.HandleMessage(other, udpPeer)
		f.onlyServer(t) // a different CSeq is a new transaction

		busy := sip.NewResponse(inv, 486, "")
		_ = s.Respond(busy)
		wrong := ackFor(inv, sip.NewResponse(inv, 486, "")) // another To tag
		f.l.HandleMessage(wrong, udpPeer)
		if got := s.State(); got != transaction.StateCompleted {
			t.Errorf("ACK with another To tag matched: state %v", got)
		}
		f.l.HandleMessage(ackFor(inv, busy), udpPeer)
		if got := s.State(); got != transaction.StateConfirmed {
			t.Errorf("state %v, want Confirmed", got)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.acks) != 1 {
			t.Errorf("%d unmatched ACKs to the TU, want 1", len(f.acks))
		}
	})
}

// TestSameBranchDifferentSentBy: §17.2.3: the sent-by is part of the key.
func TestSameBranchDifferentSentBy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		a := siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2")
		b := a.Clone()
		v, _ := b.TopVia()
		v.Host = "192.0.2.99"
		b.SetTopVia(v)
		f.l.HandleMessage(a, udpPeer)
		f.l.HandleMessage(b, udpPeer)
		f.onlyServer(t)
		f.onlyServer(t)
	})
}

// TestNoHandler answers 501.
func TestNoHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		l.HandleMessage(siptest.Request(t, sip.MethodInfo, "sip:bob@192.0.2.2"), udpPeer)
		if !strings.HasPrefix(tp.last(t).raw, "SIP/2.0 501") {
			t.Errorf("sent %q, want 501", tp.last(t).raw)
		}
	})
}

// TestCloseReleasesEverything: Close terminates live transactions with
// ErrClosed, closes their channels and leaves no goroutine.
func TestCloseReleasesEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newServerFixture(t, transaction.Config{})
		c, err := f.l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		f.l.HandleMessage(siptest.Request(t, sip.MethodOptions, "sip:a@b"), udpPeer)
		s := f.onlyServer(t)
		if err := f.l.Close(); err != nil {
			t.Fatal(err)
		}
		drain(c)
		<-s.Done()
		if !errors.Is(c.Err(), transaction.ErrClosed) || !errors.Is(s.Err(), transaction.ErrClosed) {
			t.Errorf("errors %v / %v, want ErrClosed", c.Err(), s.Err())
		}
		if cl, sv := f.l.Count(); cl+sv != 0 {
			t.Errorf("live = %d/%d", cl, sv)
		}
		if _, err := f.l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer); !errors.Is(err, transaction.ErrClosed) {
			t.Errorf("Request after Close = %v", err)
		}
	})
}

// TestSlowReaderNoLoss: many provisional responses with nobody reading
// are queued, not dropped, and delivered in order.
func TestSlowReaderNoLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		c, err := l.Request(t.Context(), siptest.Request(t, sip.MethodSubscribe, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		req := mustRequest(t, tp.last(t).raw)
		for i := range 50 {
			r := sip.NewResponse(req, 100+i, "")
			l.HandleMessage(r, udpPeer)
		}
		l.HandleMessage(sip.NewResponse(req, 202, ""), udpPeer)
		got := codes(drain(c))
		if len(got) != 51 || got[0] != 100 || got[49] != 149 || got[50] != 202 {
			t.Errorf("got %d responses %v", len(got), got)
		}
	})
}
