package callmedia

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestMain fails the run if any goroutine of this package or of the RTP
// sessions outlives the tests (every test closes what it made through
// t.Cleanup).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "media/rtpsession.") || strings.Contains(g, "internal/callmedia.(*") {
				fmt.Fprintf(os.Stderr, "goroutine leaked:\n%s\n", g)
				code = 1
			}
		}
	}
	os.Exit(code)
}
