package main

import (
	"runtime"
	"testing"
)

func TestBurstReleaser(t *testing.T) {
	var cycles uint64
	quiet, released := false, 0
	r := &burstReleaser{
		quiet:   func() bool { return quiet },
		cycles:  func() uint64 { return cycles },
		release: func() { released++; cycles++ }, // FreeOSMemory runs a collection
		minGCs:  4,
	}
	steps := []struct {
		gcs   uint64
		quiet bool
		want  bool
	}{
		{0, true, false},   // idle from the start: nothing to give back
		{3, true, false},   // too few collections to be a burst
		{10, false, false}, // a burst, still in flight
		{0, true, true},    // drained: release
		{0, true, false},   // and only once
		{3, true, false},   // the release's own collection does not count
		{1, true, true},    // four more since: release again
	}
	for i, s := range steps {
		cycles += s.gcs
		quiet = s.quiet
		if got := r.check(); got != s.want {
			t.Fatalf("step %d: check() = %v, want %v", i, got, s.want)
		}
	}
	if released != 2 {
		t.Fatalf("released %d times, want 2", released)
	}
}

func TestGCCycles(t *testing.T) {
	before := gcCycles()
	runtime.GC()
	if after := gcCycles(); after <= before {
		t.Fatalf("gcCycles %d → %d across runtime.GC", before, after)
	}
}
