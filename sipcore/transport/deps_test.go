package transport_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestImports: sipcore/transport imports only the standard library,
// golang.org/x/... and sipcore/sip.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go list: %v", err)
		}
		t.Skipf("go list unavailable (set CI=true to make this fatal): %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		switch {
		case p == "github.com/teaphone/teaphone/sipcore/transport",
			p == "github.com/teaphone/teaphone/sipcore/sip",
			strings.HasPrefix(p, "golang.org/x/"):
		default:
			t.Errorf("forbidden dependency %s", p)
		}
	}
}
