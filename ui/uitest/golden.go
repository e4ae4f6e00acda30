// Package uitest holds helpers for the TUI's component tests: golden files of
// View() text with ANSI escapes stripped.
package uitest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Golden compares view (ANSI escapes stripped, trailing spaces trimmed per
// line) with testdata/NAME.golden; `go test -update` rewrites the file.
func Golden(t *testing.T, name, view string) {
	t.Helper()
	got := Normalize(view)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s: view differs from golden file\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}

// Normalize strips ANSI escapes and trailing spaces of every line.
func Normalize(view string) string {
	lines := strings.Split(ansi.Strip(view), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}
