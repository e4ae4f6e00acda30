package interop

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMain fails the run when goroutines outlive the tests (ctrl_tcp
// readers, process waiters): every one must end with its peer's cleanup.
func TestMain(m *testing.M) {
	base := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		deadline := time.After(5 * time.Second)
		tick := time.NewTicker(20 * time.Millisecond)
		for runtime.NumGoroutine() > base {
			select {
			case <-tick.C:
				continue
			case <-deadline:
			}
			buf := make([]byte, 1<<20)
			fmt.Fprintf(os.Stderr, "interop: %d goroutines leaked (base %d):\n%s\n",
				runtime.NumGoroutine()-base, base, buf[:runtime.Stack(buf, true)])
			code = 1
			break
		}
		tick.Stop()
	}
	os.Exit(code)
}
