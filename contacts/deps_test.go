package contacts

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoForbiddenImports keeps contacts (and its subpackages) a pure model
// and store: no SIP stack, presence, media or UI (see doc.go).
func TestNoForbiddenImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go tool not found: %v", err)
		}
		t.Skipf("go tool not in PATH (%v); set CI=true to make this fatal", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	const mod = "github.com/teaphone/teaphone/"
	for _, pkg := range strings.Fields(string(out)) {
		for _, bad := range []string{"ua", "ui", "media", "sipcore"} {
			if pkg == mod+bad || strings.HasPrefix(pkg, mod+bad+"/") {
				t.Errorf("contacts depends on %s", pkg)
			}
		}
	}
}
