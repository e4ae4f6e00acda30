package resolve

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports enforces the dependency rule in doc.go: the standard library,
// golang.org/x/... and github.com/miekg/dns only; nothing from teaphone.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for p := range strings.FieldsSeq(string(out)) {
		if p == "github.com/teaphone/teaphone/sipcore/resolve" || strings.HasPrefix(p, "golang.org/x/") || p == "github.com/miekg/dns" {
			continue
		}
		t.Errorf("forbidden dependency %s", p)
	}
}
