package callmedia

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// TestMain fails the run if any goroutine of this package or of the RTP
// sessions outlives the tests (every test closes what it made through
// t.Cleanup).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		// A runner stopped by its hub may still be returning (its
		// WaitGroup is done, the goroutine not yet gone): give exiting
		// goroutines a moment before calling them leaked.
		var leaked []string
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			leaked = ourGoroutines()
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
		}
		for _, g := range leaked {
			fmt.Fprintf(os.Stderr, "goroutine leaked:\n%s\n", g)
			code = 1
		}
	}
	os.Exit(code)
}
