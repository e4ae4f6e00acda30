package transaction_test

import (
	"context"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// udpStack is a transaction layer on a real loopback UDP socket.
type udpStack struct {
	pc   *net.UDPConn
	l    *transaction.Layer
	done chan struct{}
}

func newUDPStack(tb testing.TB, cfg transaction.Config) *udpStack {
	tb.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	_ = pc.SetReadBuffer(4 << 20)
	_ = pc.SetWriteBuffer(4 << 20)
	s := &udpStack{pc: pc, done: make(chan struct{})}
	tp := &pcTransport{pc: pc}
	if cfg.ViaHost == "" {
		cfg.ViaHost = pc.LocalAddr().String()
	}
	s.l = transaction.NewLayer(tp, cfg)
	tp.tl = s.l
	go func() {
		defer close(s.done)
		tp.serve()
	}()
	return s
}

func (s *udpStack) target() transaction.Target {
	return transaction.Target{Transport: "UDP", Addr: s.pc.LocalAddr().(*net.UDPAddr).AddrPort()}
}

func (s *udpStack) close() {
	s.l.Close()
	s.pc.Close()
	<-s.done
}

// okHandler answers every request 200 at once.
func okHandler(s *transaction.Server) { _ = s.Respond(sip.NewResponse(s.Request(), 200, "")) }

// optionsTemplate is cloned for each transaction (Call-ID and tags vary,
// the layer adds the Via and branch).
func optionsTemplate(tb testing.TB) *sip.Request {
	req := siptest.Request(tb, sip.MethodOptions, "sip:bob@127.0.0.1")
	req.RemoveHeader(sip.HeaderVia)
	return req
}

func newOptions(tmpl *sip.Request) *sip.Request {
	r := tmpl.Clone()
	r.SetCallID(sip.NewCallID(""))
	return r
}

// runTransactions runs n OPTIONS→200 transactions from uac to uas with
// `window` in flight; it returns how many failed.
func runTransactions(ctx context.Context, uac, uas *udpStack, tmpl *sip.Request, n, window int) int64 {
	var failed, next atomic.Int64
	var wg sync.WaitGroup
	to := uas.target()
	for range window {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				resp, err := uac.l.Do(ctx, newOptions(tmpl), to)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return failed.Load()
}

// BenchmarkNonInviteTransactions measures OPTIONS → 200 transactions
// between two stacks over loopback UDP (default timers, so every
// transaction stays live in Completed for Timer K/J after the benchmark
// loop). Reports transactions/s.
func BenchmarkNonInviteTransactions(b *testing.B) {
	uas := newUDPStack(b, transaction.Config{Handler: okHandler})
	defer uas.close()
	uac := newUDPStack(b, transaction.Config{})
	defer uac.close()
	tmpl := optionsTemplate(b)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	failed := runTransactions(b.Context(), uac, uas, tmpl, b.N, 64)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		// Both stacks run in this process: CPU per transaction end to end.
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/tx")
	}
	b.ReportMetric(float64(failed), "failed")
}

// TestMemoryReturnsToBaseline runs 100,000 transactions over loopback UDP
// twice (short timers so that Timers J and K expire quickly), waits each
// time until both layers hold no transaction, and compares the live heap
// (after GC) with the level before: terminated transactions must release
// all their memory (maps and the timer heap shrink after a burst; timers
// run on one scheduler goroutine, so no pile of goroutines is left in the
// runtime's caches). 1 MiB of slack covers runtime noise; a leak of 11
// bytes per transaction would exceed it, a leaked transaction is kilobytes.
func TestMemoryReturnsToBaseline(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("200,000 transactions; skipped with -short and -race")
	}
	cfg := transaction.Config{T1: 50 * time.Millisecond, T2: 200 * time.Millisecond, T4: 100 * time.Millisecond}
	srvCfg := cfg
	srvCfg.Handler = okHandler
	uas := newUDPStack(t, srvCfg)
	defer uas.close()
	uac := newUDPStack(t, cfg)
	defer uac.close()
	tmpl := optionsTemplate(t)
	ctx := context.Background() // t.Context's child list would keep its peak size

	runTransactions(ctx, uac, uas, tmpl, 2000, 64)
	waitIdle(t, uac, uas)
	base := liveHeap()
	var after [2]uint64
	const n = 100_000
	for i := range after {
		start := time.Now()
		failed := runTransactions(ctx, uac, uas, tmpl, n, 64)
		elapsed := time.Since(start)
		peak := liveHeap()
		waitIdle(t, uac, uas)
		after[i] = liveHeap()
		t.Logf("run %d: %d transactions in %v (%.0f/s, %d failed); live heap %d KiB at the end of the run, %d KiB after Timers J/K",
			i+1, n, elapsed.Round(time.Millisecond), n/elapsed.Seconds(), failed, peak>>10, after[i]>>10)
		if failed > n/100 {
			t.Errorf("%d of %d transactions failed", failed, n)
		}
	}
	t.Logf("live heap: baseline %d KiB, after 100,000: %d KiB, after 200,000: %d KiB", base>>10, after[0]>>10, after[1]>>10)
	if after[0] > base+1<<20 {
		t.Errorf("live heap grew by %d KiB over the first 100,000 transactions", (after[0]-base)>>10)
	}
	if after[1] > after[0]+1<<20 {
		t.Errorf("live heap grew by %d KiB over the second 100,000 transactions: leak", (after[1]-after[0])>>10)
	}
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// waitIdle waits (bounded) until neither layer has a live transaction.
func waitIdle(t *testing.T, stacks ...*udpStack) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range stacks {
		for {
			c, sv := s.l.Count()
			if c+sv == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %d clients and %d servers live", c, sv)
			}
			time.Sleep(20 * time.Millisecond) // polling a counter, not synchronising
		}
	}
}
