package transaction_test

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// stack is one transaction layer on a siptest socket.
type stack struct {
	pc   *siptest.PacketConn
	tp   *pcTransport
	l    *transaction.Layer
	addr netip.AddrPort
	done chan struct{}
}

func newStack(t *testing.T, nw *siptest.Network, addr string, cfg transaction.Config) *stack {
	t.Helper()
	pc := nw.MustListenPacket(t, addr)
	s := &stack{pc: pc, addr: pc.AddrPort(), done: make(chan struct{})}
	s.tp = &pcTransport{pc: pc}
	if cfg.ViaHost == "" {
		cfg.ViaHost = s.addr.String()
	}
	s.l = transaction.NewLayer(s.tp, cfg)
	s.tp.tl = s.l
	go func() {
		defer close(s.done)
		s.tp.serve()
	}()
	return s
}

func (s *stack) close() {
	s.l.Close()
	s.pc.Close()
	<-s.done
}

func (s *stack) target() transaction.Target {
	return transaction.Target{Transport: "UDP", Addr: s.addr}
}

// serverOutcome is how a server transaction ended, by Call-ID.
type serverOutcome struct {
	err error
}

// TestLossyNetwork runs 1,000 INVITE and 1,000 non-INVITE transactions
// over an in-memory network losing 30% of datagrams in each direction,
// with reordering and duplication, in fake time. Every transaction must
// end as the RFC says: the client gets the server's final response when
// any copy got through, ErrTimeout only when Timer B/F expired — and then
// the server either never saw the request or gave up itself (Timer H) —
// and nothing is left: no live transactions, no goroutines (synctest
// fails on leftover goroutines in the bubble).
func TestLossyNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("long in CPU time")
	}
	synctest.Test(t, func(t *testing.T) {
		nw := siptest.NewNetwork(siptest.Options{Seed: 7, Link: siptest.LinkConfig{
			Loss:         0.3,
			Delay:        20 * time.Millisecond,
			Jitter:       10 * time.Millisecond,
			Reorder:      0.2,
			ReorderDelay: 300 * time.Millisecond,
			Duplicate:    0.05,
		}, QueueLen: 8192})
		defer nw.Close()

		var mu sync.Mutex
		serverSaw := map[string]bool{}          // Call-ID → request reached the TU
		serverEnd := map[string]serverOutcome{} // Call-ID → server transaction end
		var wgSrv sync.WaitGroup
		uasCfg := transaction.Config{}
		uasCfg.Handler = func(s *transaction.Server) {
			req := s.Request()
			mu.Lock()
			if serverSaw[req.CallID()] {
				t.Errorf("request %s reached the TU twice", req.CallID())
			}
			serverSaw[req.CallID()] = true
			mu.Unlock()
			if req.Method == sip.MethodInvite {
				ring := sip.NewResponse(req, 180, "")
				_ = s.Respond(ring)
				busy := sip.NewResponse(req, 486, "")
				busy.SetHeader(sip.HeaderTo, ring.Header(sip.HeaderTo))
				_ = s.Respond(busy)
			} else {
				_ = s.Respond(sip.NewResponse(req, 200, ""))
			}
			wgSrv.Add(1)
			go func() {
				defer wgSrv.Done()
				<-s.Done()
				mu.Lock()
				serverEnd[req.CallID()] = serverOutcome{err: s.Err()}
				mu.Unlock()
			}()
		}
		uas := newStack(t, nw, "192.0.2.2:5060", uasCfg)
		uac := newStack(t, nw, "192.0.2.1:5060", transaction.Config{})

		type result struct {
			callID string
			invite bool
			final  int
			err    error
		}
		const n = 1000
		results := make(chan result, 2*n)
		var wg sync.WaitGroup
		for i := range 2 * n {
			invite := i%2 == 0
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 5 * time.Millisecond) // 200 transactions/s
				method := sip.MethodOptions
				if invite {
					method = sip.MethodInvite
				}
				req := siptest.Request(t, method, "sip:bob@192.0.2.2")
				req.RemoveHeader(sip.HeaderVia) // the layer adds ours
				c, err := uac.l.Request(t.Context(), req, uas.target())
				if err != nil {
					results <- result{req.CallID(), invite, 0, err}
					return
				}
				final := 0
				for r := range c.Responses() {
					if r.StatusCode >= 200 {
						if final != 0 {
							results <- result{req.CallID(), invite, -1, fmt.Errorf("second final %d", r.StatusCode)}
						}
						final = r.StatusCode
					}
				}
				results <- result{req.CallID(), invite, final, c.Err()}
			}()
		}
		wg.Wait()
		close(results)
		// Let every Timer D/H/I/J/K run out.
		time.Sleep(time.Minute)
		synctest.Wait()
		wgSrv.Wait()

		var ok, timeouts, serverTimeouts int
		for r := range results {
			want := 200
			if r.invite {
				want = 486
			}
			mu.Lock()
			saw := serverSaw[r.callID]
			end, ended := serverEnd[r.callID]
			mu.Unlock()
			switch {
			case r.err == nil && r.final == want:
				ok++
				if !saw || !ended {
					t.Errorf("%s: client got %d but the server saw=%v ended=%v", r.callID, r.final, saw, ended)
				}
				if end.err != nil && !(r.invite && errors.Is(end.err, transaction.ErrTimeout)) {
					// An INVITE server may time out (Timer H) when every
					// ACK copy was lost; nothing else may fail.
					t.Errorf("%s: server ended with %v", r.callID, end.err)
				}
				if end.err != nil {
					serverTimeouts++
				}
			case errors.Is(r.err, transaction.ErrTimeout) && r.final == 0:
				timeouts++
				t.Logf("timeout %s invite=%v saw=%v ended=%v end=%v", r.callID, r.invite, saw, ended, end.err)
				if saw {
					if !ended {
						t.Errorf("%s: client timed out, server transaction never ended", r.callID)
					} else if r.invite && !errors.Is(end.err, transaction.ErrTimeout) {
						t.Errorf("%s: client timed out, server INVITE ended with %v, want Timer H", r.callID, end.err)
					}
				}
			default:
				t.Errorf("%s (invite=%v): final %d err %v", r.callID, r.invite, r.final, r.err)
			}
		}
		t.Logf("%d completed, %d timed out (Timer B/F), %d server Timer H", ok, timeouts, serverTimeouts)
		if ok < 2*n-10 {
			t.Errorf("only %d of %d completed", ok, 2*n)
		}
		for name, s := range map[string]*stack{"uac": uac, "uas": uas} {
			if c, sv := s.l.Count(); c+sv != 0 {
				t.Errorf("%s: %d clients, %d servers still live", name, c, sv)
			}
		}
		uac.close()
		uas.close()
	})
}
