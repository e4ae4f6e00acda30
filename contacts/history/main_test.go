package history

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

const childEnv = "TEAPHONE_HISTORY_TEST_CHILD"

// TestMain fails the run when goroutines of database/sql or this package
// outlive the tests (a Store not closed). database/sql's connection opener
// exits shortly after DB.Close returns, so the check polls, bounded.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && os.Getenv(childEnv) == "" {
		if leaked := waitNoLeaks(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func waitNoLeaks(limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		var leaked []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "database/sql.") || strings.Contains(g, "contacts/history.") && !strings.Contains(g, "TestMain") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(10 * time.Millisecond) // polling a leak check, not synchronising a test
	}
}
