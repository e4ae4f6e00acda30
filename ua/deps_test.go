package ua_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports enforces doc.go: ua depends on sipcore/..., ua/pidf, the
// standard library and golang.org/x or miekg/dns (through resolve) only;
// never media or ui.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for p := range strings.FieldsSeq(string(out)) {
		switch {
		case p == "github.com/teaphone/teaphone/ua", p == "github.com/teaphone/teaphone/ua/pidf",
			strings.HasPrefix(p, "github.com/teaphone/teaphone/sipcore/"),
			strings.HasPrefix(p, "golang.org/x/"), strings.HasPrefix(p, "github.com/miekg/dns"):
		default:
			t.Errorf("forbidden dependency %s", p)
		}
	}
}
