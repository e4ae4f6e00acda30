package siptest

import (
	"bytes"
	"runtime"
	"strings"
	"time"
)

// CheckGoroutines fails t if goroutines started during the test are still
// running when the test's cleanups have run (register it first so that it
// runs last). It waits up to 5 s (polling every 10 ms) for stragglers to
// exit. It cannot tell tests apart: do not use it in parallel tests. Inside
// a testing/synctest bubble it is unnecessary (synctest.Test already
// fails on goroutines left in the bubble).
func CheckGoroutines(t TB) {
	before := goroutineIDs()
	t.Cleanup(func() {
		deadline := time.NewTimer(5 * time.Second)
		defer deadline.Stop()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			leaked := leakedSince(before)
			if len(leaked) == 0 {
				return
			}
			select {
			case <-tick.C:
			case <-deadline.C:
				t.Errorf("siptest: %d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
		}
	})
}

func allStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Split(string(bytes.TrimSpace(buf)), "\n\n")
}

func goroutineID(stack string) string {
	head, _, _ := strings.Cut(stack, " [")
	return head
}

func goroutineIDs() map[string]bool {
	ids := map[string]bool{}
	for _, s := range allStacks() {
		ids[goroutineID(s)] = true
	}
	return ids
}

func leakedSince(before map[string]bool) []string {
	var out []string
	for i, s := range allStacks() {
		if i == 0 || before[goroutineID(s)] {
			continue // index 0 is the calling goroutine
		}
		if strings.Contains(s, "testing.tRunner") || strings.Contains(s, "testing.(*T).Run") ||
			strings.Contains(s, "runtime.goexit") && strings.Contains(s, "created by runtime.gc") ||
			strings.Contains(s, "os/signal.") {
			continue
		}
		out = append(out, s)
	}
	return out
}
