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
		for _, g := range lingering(3 * time.Second) {
			fmt.Fprintf(os.Stderr, "goroutine leaked:\n%s\n", g)
			code = 1
		}
	}
	os.Exit(code)
}
