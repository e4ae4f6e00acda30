package transaction_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// TestInviteClientTimersAB: Timer A retransmits at T1, 2T1, 4T1, ... (no T2
// cap for INVITE) and Timer B gives up at exactly 64·T1 with ErrTimeout.
func TestInviteClientTimersAB(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		start := time.Now()
		c, err := l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		if got := drain(c); len(got) != 0 {
			t.Errorf("responses = %v, want none", codes(got))
		}
		if got, want := time.Since(start), 64*transaction.DefaultT1; got != want {
			t.Errorf("gave up after %v, want %v (Timer B = 64*T1)", got, want)
		}
		if !errors.Is(c.Err(), transaction.ErrTimeout) {
			t.Errorf("Err = %v, want ErrTimeout", c.Err())
		}
		// Sent at 0, then intervals 0.5, 1, 2, 4, 8, 16 s.
		if got, want := tp.times("INVITE"), secs(0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5); !equalDurations(got, want) {
			t.Errorf("INVITE sent at %v, want %v", got, want)
		}
		if n, _ := l.Count(); n != 0 {
			t.Errorf("live clients = %d, want 0", n)
		}
	})
}

// TestInviteClientTimersCustomT1: timers follow the per-layer T1.
func TestInviteClientTimersCustomT1(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{T1: 100 * time.Millisecond})
		defer l.Close()
		start := time.Now()
		c, err := l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		<-c.Done()
		if got, want := time.Since(start), 6400*time.Millisecond; got != want {
			t.Errorf("Timer B after %v, want %v", got, want)
		}
		if got, want := len(tp.times("INVITE")), 7; got != want {
			t.Errorf("INVITE sent %d times, want %d", got, want)
		}
	})
}

// TestInviteClientReliable: no Timer A on a reliable transport, Timer B
// still 64·T1.
func TestInviteClientReliable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		start := time.Now()
		c, err := l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), tcpPeer)
		if err != nil {
			t.Fatal(err)
		}
		<-c.Done()
		if got, want := time.Since(start), 32*time.Second; got != want {
			t.Errorf("Timer B after %v, want %v", got, want)
		}
		if got := tp.times("INVITE"); !equalDurations(got, secs(0)) {
			t.Errorf("INVITE sent at %v, want once at 0", got)
		}
	})
}

// TestNonInviteClientTimersEF: Timer E doubles up to T2, Timer F at 64·T1.
func TestNonInviteClientTimersEF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		start := time.Now()
		c, err := l.Request(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		drain(c)
		if got, want := time.Since(start), 32*time.Second; got != want {
			t.Errorf("Timer F after %v, want %v", got, want)
		}
		if !errors.Is(c.Err(), transaction.ErrTimeout) {
			t.Errorf("Err = %v, want ErrTimeout", c.Err())
		}
		want := secs(0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5)
		if got := tp.times("OPTIONS"); !equalDurations(got, want) {
			t.Errorf("OPTIONS sent at %v, want %v", got, want)
		}
	})
}

// TestNonInviteClientProceedingUsesT2: after a provisional response, Timer
// E fires every T2.
func TestNonInviteClientProceedingUsesT2(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		c, err := l.Request(t.Context(), siptest.Request(t, sip.MethodRegister, "sip:registrar.example"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		req := mustRequest(t, tp.last(t).raw)
		time.Sleep(200 * time.Millisecond)
		l.HandleMessage(sip.NewResponse(req, 100, ""), udpPeer)
		if r := <-c.Responses(); r.StatusCode != 100 {
			t.Fatalf("got %d, want 100", r.StatusCode)
		}
		if got, want := c.State(), transaction.StateProceeding; got != want {
			t.Errorf("state %v, want %v", got, want)
		}
		time.Sleep(9 * time.Second)
		// The 100 arrived at 0.2 s; Timer E (T1) fires at 0.5 s in
		// Proceeding and is reset to T2 (§17.1.2.2): 4.5 s, 8.5 s.
		if got, want := tp.times("REGISTER"), secs(0, 0.5, 4.5, 8.5); !equalDurations(got, want) {
			t.Errorf("REGISTER sent at %v, want %v", got, want)
		}
		l.HandleMessage(sip.NewResponse(req, 200, ""), udpPeer)
		if r := <-c.Responses(); r.StatusCode != 200 {
			t.Fatalf("got %d, want 200", r.StatusCode)
		}
		drain(c)
		if c.Err() != nil {
			t.Errorf("Err = %v, want nil", c.Err())
		}
	})
}

// TestNonInviteClientTimerK: the final response completes the transaction;
// retransmissions of it are absorbed until Timer K (T4), then it is gone.
func TestNonInviteClientTimerK(t *testing.T) {
	for _, tc := range []struct {
		name  string
		to    transaction.Target
		wantK time.Duration
	}{{"udp", udpPeer, 5 * time.Second}, {"tcp", tcpPeer, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tp := newRec()
				var strays []int
				var mu sync.Mutex
				l := transaction.NewLayer(tp, transaction.Config{OnStrayResponse: func(r *sip.Response, _ transaction.Target) {
					mu.Lock()
					strays = append(strays, r.StatusCode)
					mu.Unlock()
				}})
				defer l.Close()
				c, err := l.Request(t.Context(), siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2"), tc.to)
				if err != nil {
					t.Fatal(err)
				}
				resp := sip.NewResponse(mustRequest(t, tp.last(t).raw), 200, "")
				l.HandleMessage(resp.Clone(), tc.to)
				start := time.Now()
				l.HandleMessage(resp.Clone(), tc.to)
				<-c.Done()
				if got := time.Since(start); got != tc.wantK {
					t.Errorf("terminated after %v, want Timer K = %v", got, tc.wantK)
				}
				if got := codes(drain(c)); !equalInts(got, []int{200}) {
					t.Errorf("responses %v, want [200]", got)
				}
				mu.Lock()
				defer mu.Unlock()
				wantStray := 0
				if tc.wantK == 0 {
					wantStray = 1 // retransmission after termination
				}
				if len(strays) != wantStray {
					t.Errorf("stray responses %v, want %d", strays, wantStray)
				}
				if n, _ := l.Count(); n != 0 {
					t.Errorf("live clients = %d, want 0", n)
				}
			})
		})
	}
}

// TestInviteClientTimerD: a non-2xx final response is ACKed inside the
// transaction (§17.1.1.3); each retransmission of it gets the same ACK
// until Timer D (32 s on UDP, 0 on TCP).
func TestInviteClientTimerD(t *testing.T) {
	for _, tc := range []struct {
		name  string
		to    transaction.Target
		wantD time.Duration
	}{{"udp", udpPeer, 32 * time.Second}, {"tcp", tcpPeer, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tp := newRec()
				l := transaction.NewLayer(tp, transaction.Config{})
				defer l.Close()
				inv := siptest.Invite(t, "sip:bob@192.0.2.2")
				inv.AddHeader(sip.HeaderRoute, "<sip:proxy.example;lr>")
				c, err := l.Request(t.Context(), inv, tc.to)
				if err != nil {
					t.Fatal(err)
				}
				sentInv := mustRequest(t, tp.last(t).raw)
				resp := sip.NewResponse(sentInv, 486, "")
				start := time.Now()
				l.HandleMessage(resp.Clone(), tc.to)
				if tc.wantD > 0 {
					time.Sleep(time.Second)
					l.HandleMessage(resp.Clone(), tc.to)
					time.Sleep(10 * time.Second)
					l.HandleMessage(resp.Clone(), tc.to)
				}
				<-c.Done()
				if got := time.Since(start); got != tc.wantD {
					t.Errorf("terminated after %v, want Timer D = %v", got, tc.wantD)
				}
				if got := codes(drain(c)); !equalInts(got, []int{486}) {
					t.Errorf("responses %v, want [486]", got)
				}
				var acks []string
				for _, s := range tp.all() {
					if strings.HasPrefix(s.raw, "ACK ") {
						acks = append(acks, s.raw)
					}
				}
				wantAcks := 1
				if tc.wantD > 0 {
					wantAcks = 3
				}
				if len(acks) != wantAcks {
					t.Fatalf("%d ACKs sent, want %d", len(acks), wantAcks)
				}
				for _, a := range acks[1:] {
					if a != acks[0] {
						t.Errorf("ACK retransmission differs:\n%s\nvs\n%s", a, acks[0])
					}
				}
				ack := mustRequest(t, acks[0])
				checkACK(t, ack, sentInv, resp)
				if err := c.Err(); err != nil {
					t.Errorf("Err = %v, want nil", err)
				}
			})
		})
	}
}

// checkACK verifies the §17.1.1.3 ACK construction.
func checkACK(t *testing.T, ack, inv *sip.Request, resp *sip.Response) {
	t.Helper()
	if got, want := ack.URI.String(), inv.URI.String(); got != want {
		t.Errorf("ACK Request-URI %q, want %q", got, want)
	}
	vias, _ := ack.Vias()
	iv, _ := inv.TopVia()
	if len(vias) != 1 || vias[0].String() != iv.String() {
		t.Errorf("ACK Via %v, want single %v", vias, iv)
	}
	for _, h := range []string{sip.HeaderFrom, sip.HeaderCallID} {
		if got, want := ack.Header(h), inv.Header(h); got != want {
			t.Errorf("ACK %s %q, want %q", h, got, want)
		}
	}
	if got, want := ack.Header(sip.HeaderTo), resp.Header(sip.HeaderTo); got != want {
		t.Errorf("ACK To %q, want the response's %q", got, want)
	}
	acs, _ := ack.CSeq()
	ics, _ := inv.CSeq()
	if acs.Seq != ics.Seq || acs.Method != sip.MethodAck {
		t.Errorf("ACK CSeq %v, want %d ACK", acs, ics.Seq)
	}
	if got, want := strings.Join(ack.HeaderValues(sip.HeaderRoute), ","), strings.Join(inv.HeaderValues(sip.HeaderRoute), ","); got != want {
		t.Errorf("ACK Route %q, want %q", got, want)
	}
}

// TestInviteClientAcceptedTimerM: RFC 6026: a 2xx moves the transaction to
// Accepted; every 2xx (retransmissions, other forks) is passed up and not
// ACKed by the transaction; after Timer M (64·T1) they are stray.
func TestInviteClientAcceptedTimerM(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		var strays []*sip.Response
		var mu sync.Mutex
		l := transaction.NewLayer(tp, transaction.Config{OnStrayResponse: func(r *sip.Response, _ transaction.Target) {
			mu.Lock()
			strays = append(strays, r)
			mu.Unlock()
		}})
		defer l.Close()
		c, err := l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		inv := mustRequest(t, tp.last(t).raw)
		ok1 := sip.NewResponse(inv, 200, "")
		ok2 := sip.NewResponse(inv, 200, "") // another fork: another To tag
		start := time.Now()
		l.HandleMessage(sip.NewResponse(inv, 180, ""), udpPeer)
		l.HandleMessage(ok1.Clone(), udpPeer)
		if got, want := c.State(), transaction.StateAccepted; got != want {
			t.Errorf("state %v, want %v", got, want)
		}
		l.HandleMessage(sip.NewResponse(inv, 486, ""), udpPeer) // discarded in Accepted
		time.Sleep(time.Second)
		l.HandleMessage(ok1.Clone(), udpPeer)
		l.HandleMessage(ok2.Clone(), udpPeer)
		got := drain(c)
		if d := time.Since(start); d != 32*time.Second {
			t.Errorf("terminated after %v, want Timer M = 32s", d)
		}
		if !equalInts(codes(got), []int{180, 200, 200, 200}) {
			t.Fatalf("responses %v, want [180 200 200 200]", codes(got))
		}
		if got[3].ToTag() != ok2.ToTag() {
			t.Errorf("fork 2xx To tag %q, want %q", got[3].ToTag(), ok2.ToTag())
		}
		if n := len(tp.times("ACK")); n != 0 {
			t.Errorf("transaction sent %d ACKs for 2xx, want 0 (the TU ACKs 2xx)", n)
		}
		l.HandleMessage(ok1.Clone(), udpPeer)
		mu.Lock()
		defer mu.Unlock()
		if len(strays) != 1 || strays[0].StatusCode != 200 {
			t.Errorf("strays %v, want one 200 after Timer M", len(strays))
		}
	})
}

// TestClientTransportError: a failing first send is returned by Request; a
// failing retransmission terminates the transaction with ErrTransport.
func TestClientTransportError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		boom := errors.New("boom")
		tp.setFail(boom)
		if _, err := l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer); !errors.Is(err, transaction.ErrTransport) || !errors.Is(err, boom) {
			t.Errorf("Request err = %v, want ErrTransport wrapping boom", err)
		}
		tp.setFail(nil)
		c, err := l.Request(t.Context(), siptest.Request(t, sip.MethodMessage, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		tp.setFail(boom)
		start := time.Now()
		<-c.Done()
		if d := time.Since(start); d != 500*time.Millisecond {
			t.Errorf("failed after %v, want at the first retransmission (500ms)", d)
		}
		if !errors.Is(c.Err(), transaction.ErrTransport) {
			t.Errorf("Err = %v, want ErrTransport", c.Err())
		}
		if n, _ := l.Count(); n != 0 {
			t.Errorf("live = %d, want 0", n)
		}
	})
}

// TestClientContextAbandon: ending ctx before a final response stops the
// transaction.
func TestClientContextAbandon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		c, err := l.Request(ctx, siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		<-c.Done()
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("Err = %v, want DeadlineExceeded", c.Err())
		}
		if got := len(tp.times("OPTIONS")); got != 3 {
			t.Errorf("OPTIONS sent %d times, want 3 (0, 0.5, 1.5)", got)
		}
	})
}

// TestClientCancel: Cancel before any provisional waits for one (§9.1),
// then sends a CANCEL with the INVITE's Via, Request-URI, Call-ID, From,
// To and CSeq number.
func TestClientCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		c, err := l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		inv := mustRequest(t, tp.last(t).raw)
		if err := c.Cancel(); err != nil {
			t.Fatal(err)
		}
		if n := len(tp.times("CANCEL")); n != 0 {
			t.Fatalf("CANCEL sent before a provisional response")
		}
		l.HandleMessage(sip.NewResponse(inv, 180, ""), udpPeer)
		cancels := tp.times("CANCEL")
		if len(cancels) != 1 {
			t.Fatalf("%d CANCELs after 180, want 1", len(cancels))
		}
		var raw string
		for _, s := range tp.all() {
			if strings.HasPrefix(s.raw, "CANCEL") {
				raw = s.raw
			}
		}
		cr := mustRequest(t, raw)
		iv, _ := inv.TopVia()
		cv, _ := cr.Vias()
		if len(cv) != 1 || cv[0].String() != iv.String() {
			t.Errorf("CANCEL Via %v, want %v", cv, iv)
		}
		for _, h := range []string{sip.HeaderFrom, sip.HeaderTo, sip.HeaderCallID} {
			if cr.Header(h) != inv.Header(h) {
				t.Errorf("CANCEL %s %q, want %q", h, cr.Header(h), inv.Header(h))
			}
		}
		if cr.URI.String() != inv.URI.String() {
			t.Errorf("CANCEL URI %s, want %s", cr.URI, inv.URI)
		}
		cs, _ := cr.CSeq()
		if cs.Method != sip.MethodCancel || cs.Seq != 1 {
			t.Errorf("CANCEL CSeq %v", cs)
		}
		// The CANCEL's 200 and the INVITE's 487 complete both.
		l.HandleMessage(sip.NewResponse(cr, 200, ""), udpPeer)
		l.HandleMessage(sip.NewResponse(inv, 487, ""), udpPeer)
		if got := codes(drain(c)); !equalInts(got, []int{180, 487}) {
			t.Errorf("responses %v, want [180 487]", got)
		}
		if err := c.Cancel(); !errors.Is(err, transaction.ErrState) {
			t.Errorf("Cancel after final = %v, want ErrState", err)
		}
		time.Sleep(time.Minute)
		if n, s := l.Count(); n != 0 || s != 0 {
			t.Errorf("live = %d/%d, want 0/0", n, s)
		}
	})
}

// TestRequestAddsVia: a request without Via gets one with an RFC 3261
// branch; two requests never share a branch.
func TestRequestAddsVia(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{ViaHost: "198.51.100.7:5070"})
		defer l.Close()
		for range 2 {
			req := siptest.Request(t, sip.MethodOptions, "sip:bob@192.0.2.2")
			req.RemoveHeader(sip.HeaderVia)
			if _, err := l.Request(t.Context(), req, udpPeer); err != nil {
				t.Fatal(err)
			}
			if req.HasHeader(sip.HeaderVia) {
				t.Error("the TU's request was modified")
			}
		}
		var branches []string
		for _, s := range tp.all() {
			v, err := mustRequest(t, s.raw).TopVia()
			if err != nil {
				t.Fatal(err)
			}
			if v.SentBy() != "198.51.100.7:5070" || !v.IsRFC3261Branch() || v.Transport != "UDP" {
				t.Errorf("Via %v", v)
			}
			branches = append(branches, v.Branch())
		}
		if branches[0] == branches[1] {
			t.Error("two requests share a branch")
		}
	})
}

// TestInviteClientProceedingHasNoTimeout: Timer B only applies in Calling
// (Figure 5); once a provisional arrived the INVITE waits for the final
// response without retransmitting (Timer C is the proxy's, §16.6).
func TestInviteClientProceedingHasNoTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tp := newRec()
		l := transaction.NewLayer(tp, transaction.Config{})
		defer l.Close()
		c, err := l.Request(t.Context(), siptest.Invite(t, "sip:bob@192.0.2.2"), udpPeer)
		if err != nil {
			t.Fatal(err)
		}
		inv := mustRequest(t, tp.last(t).raw)
		time.Sleep(700 * time.Millisecond) // one Timer A retransmission at 0.5 s
		l.HandleMessage(sip.NewResponse(inv, 180, ""), udpPeer)
		time.Sleep(5 * time.Minute)
		if got := c.State(); got != transaction.StateProceeding {
			t.Errorf("state after 5 min %v, want Proceeding", got)
		}
		if got := tp.times("INVITE"); !equalDurations(got, secs(0, 0.5)) {
			t.Errorf("INVITE sent at %v, want [0 0.5s]", got)
		}
		l.HandleMessage(sip.NewResponse(inv, 603, ""), udpPeer)
		if got := codes(drain(c)); !equalInts(got, []int{180, 603}) {
			t.Errorf("responses %v", got)
		}
	})
}
