package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/teaphone/teaphone"

// TestLayering enforces the one-way dependency rules of DESIGN.md §1:
// ui → ua → sipcore, media and contacts never import ua or ui, sipcore
// imports nothing outside the standard library, golang.org/x and its DNS
// library, and only media/portaudio links portaudio.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Deps " "}} | {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type rule struct {
		pkgPrefix string
		forbidden func(dep string) bool
		why       string
		direct    bool // only direct imports count (ui may reach sipcore through ua)
	}
	inProject := func(p string) bool { return p == module || strings.HasPrefix(p, module+"/") }
	under := func(dir string) func(string) bool {
		return func(p string) bool { return p == module+"/"+dir || strings.HasPrefix(p, module+"/"+dir+"/") }
	}
	thirdParty := func(p string) bool {
		first, _, _ := strings.Cut(p, "/")
		return strings.Contains(first, ".") && !inProject(p)
	}
	rules := []rule{
		{"sipcore", func(d string) bool {
			if inProject(d) {
				return !under("sipcore")(d)
			}
			return thirdParty(d) && !strings.HasPrefix(d, "golang.org/x/") && !strings.HasPrefix(d, "github.com/miekg/dns")
		}, "sipcore imports only the standard library, golang.org/x and miekg/dns", false},
		{"media", func(d string) bool {
			return under("sipcore")(d) || under("ua")(d) || under("ui")(d) || under("contacts")(d)
		}, "media must not import sipcore, ua, ui or contacts", false},
		{"contacts", func(d string) bool { return under("ua")(d) || under("ui")(d) || under("media")(d) }, "contacts must not import ua, ui or media", false},
		{"ua", func(d string) bool { return under("ui")(d) || under("media")(d) }, "ua must not import ui or media (it declares its media interface)", false},
		{"ui", func(d string) bool { return under("media")(d) || under("sipcore")(d) }, "ui talks to the engine only", true},
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !inProject(fields[0]) {
			continue
		}
		pkg := fields[0]
		deps, imports, _ := strings.Cut(strings.Join(fields[1:], " "), "|")
		direct := map[string]bool{}
		for _, d := range strings.Fields(imports) {
			direct[d] = true
		}
		for _, dep := range strings.Fields(deps) {
			if dep == "github.com/gordonklaus/portaudio" && !under("media/portaudio")(pkg) && pkg != module {
				t.Errorf("%s imports portaudio; only media/portaudio may", pkg)
			}
			for _, r := range rules {
				if under(r.pkgPrefix)(pkg) && r.forbidden(dep) && (!r.direct || direct[dep]) {
					t.Errorf("%s depends on %s: %s", pkg, dep, r.why)
				}
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("go list returned no project packages")
	}
}
