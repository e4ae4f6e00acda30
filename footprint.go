package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// teaphone serves no heap profiles, so it samples no allocations for one:
// each sampled call stack would cost a bucket, kept forever (about 1 MB
// after a burst of 30,000 calls).
func init() { runtime.MemProfileRate = 0 }

// burstReleaser gives memory back to the operating system once a burst of
// activity has drained. Go's runtime keeps the pages a burst grew the heap
// to (the background scavenger returns them slowly, and only after a
// collection lowers the heap goal, which an idle process may not run for
// minutes); the code the burst ran stays mapped too. When the engine is
// quiet (ua.Agent.Quiet: no call, at most a few transactions) and enough
// collections ran since the last release to show there was a burst, check
// releases both: a forced collection with every free page returned
// (debug.FreeOSMemory) and the executable's clean pages
// (trimStartupPages). An idle process collects about every two minutes,
// so it releases at most every eight, at the cost of one small collection.
type burstReleaser struct {
	quiet   func() bool   // the engine is idle
	cycles  func() uint64 // completed GC cycles
	release func()
	minGCs  uint64 // collections since the last release that make a burst
	last    uint64 // cycles right after the last release (or at start)
}

func newBurstReleaser(quiet func() bool) *burstReleaser {
	r := &burstReleaser{quiet: quiet, cycles: gcCycles, release: releaseMemory, minGCs: 4}
	r.last = r.cycles()
	return r
}

// check releases memory if a burst has drained; it reports whether it did.
func (r *burstReleaser) check() bool {
	if r.cycles()-r.last < r.minGCs || !r.quiet() {
		return false
	}
	r.release()
	r.last = r.cycles()
	return true
}

// keepSmall trims the start-up pages now, and gives memory back after each
// burst (checking every releaseEvery) until stop is called.
func keepSmall(ctx context.Context, quiet func() bool) (stop func()) {
	_, _ = trimStartupPages() // on error the pages just stay mapped
	ctx, stop = context.WithCancel(ctx)
	go newBurstReleaser(quiet).run(ctx, releaseEvery)
	return stop
}

// releaseEvery is how often the agent and the TUI look for a drained burst.
const releaseEvery = 5 * time.Second

// run checks every interval until ctx ends.
func (r *burstReleaser) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.check()
		}
	}
}

func releaseMemory() {
	debug.FreeOSMemory()
	_, _ = trimStartupPages() // on error the pages just stay mapped
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
