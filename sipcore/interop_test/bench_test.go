package interop_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// BenchmarkNonInviteTransactionsTransport measures OPTIONS → 200
// transactions between two full stacks (transport.Layer + transaction
// layer) over loopback UDP; reports transactions/s.
func BenchmarkNonInviteTransactionsTransport(b *testing.B) {
	uas := newStack(b, dialog.Config{Transaction: transaction.Config{Handler: func(s *transaction.Server) {
		_ = s.Respond(sip.NewResponse(s.Request(), 200, ""))
	}}})
	defer uas.close()
	uac := newStack(b, dialog.Config{})
	defer uac.close()
	target := sip.URI{Scheme: "sip", User: "bob", Host: "127.0.0.1", Port: int(uas.addr.Port())}
	tmpl := sip.NewRequest(sip.MethodOptions, target)
	tmpl.SetFrom(sip.Address{URI: sip.URI{Scheme: "sip", User: "alice", Host: "127.0.0.1"}}.WithTag(sip.NewTag()))
	tmpl.SetTo(sip.Address{URI: target})
	tmpl.SetCSeq(sip.CSeq{Seq: 1, Method: sip.MethodOptions})
	ctx := context.Background()
	var failed, next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				req := tmpl.Clone()
				req.SetCallID(sip.NewCallID(""))
				resp, err := uac.m.Layer().Do(ctx, req, uas.target())
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		// Both stacks run in this process: CPU per transaction end to end.
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/tx")
	}
	b.ReportMetric(float64(failed.Load()), "failed")
}
