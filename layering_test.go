package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/teaphone/teaphone"

// layerRule says what one part of the tree may depend on. In-project
// dependencies are listed by path below the module ("sipcore/sip"); a
// trailing "/" allows a whole subtree. Third-party modules are listed by
// path prefix; the standard library is always allowed.
type layerRule struct {
	pkg        string   // the package, or a subtree with a trailing "/"
	project    []string // in-project dependencies allowed (transitively)
	thirdParty []string // nil: any third-party module; empty slice: none
	direct     bool     // check direct imports only (ui reaches sipcore through ua)
	why        string
}

// layerRules are DESIGN.md §1's one-way dependency rules and each
// package's doc.go promise. The first rule that matches a package applies.
var layerRules = []layerRule{
	{pkg: "sipcore/sip", project: nil, thirdParty: []string{}, why: "sip is the pure leaf: standard library only"},
	{pkg: "sipcore/digest", project: nil, thirdParty: []string{"golang.org/x/"}, why: "digest works on header values and imports nothing of teaphone"},
	{pkg: "sipcore/resolve", project: nil, thirdParty: []string{"golang.org/x/", "github.com/miekg/dns"}, why: "resolve imports only the DNS library"},
	{pkg: "sipcore/", project: []string{"sipcore/"}, thirdParty: []string{"golang.org/x/", "github.com/miekg/dns"}, why: "sipcore imports only the standard library, golang.org/x and miekg/dns"},
	{pkg: "media/sdp", project: nil, thirdParty: []string{"github.com/pion/sdp/", "github.com/pion/randutil"}, why: "media/sdp builds on pion/sdp only"},
	{pkg: "media/audio", project: nil, thirdParty: []string{}, why: "media/audio is the device contract: standard library only"},
	{pkg: "media/codec", project: nil, thirdParty: []string{}, why: "codecs import no other media package"},
	{pkg: "media/portaudio", project: []string{"media/audio"}, thirdParty: []string{"github.com/gordonklaus/portaudio"}, why: "the portaudio adapter knows only media/audio"},
	{pkg: "media/", project: []string{"media/audio", "media/codec", "media/dtmf", "media/jitter", "media/rtpsession"}, thirdParty: []string{"github.com/pion/", "golang.org/x/"}, why: "media never imports sipcore, ua, ui, contacts, or portaudio outside media/portaudio"},
	{pkg: "contacts/", project: []string{"contacts/"}, thirdParty: nil, why: "contacts must not import ua, ui, media or sipcore"},
	{pkg: "ua/", project: []string{"sipcore/", "ua/"}, thirdParty: []string{"golang.org/x/", "github.com/miekg/dns"}, why: "ua uses sipcore and declares its media interface: never media or ui"},
	{pkg: "ui/", project: []string{"ua", "ui/", "contacts"}, thirdParty: nil, direct: true, why: "ui talks to the engine (ua types) only"},
}

func (r layerRule) matches(pkg string) bool {
	rel := strings.TrimPrefix(pkg, module+"/")
	if strings.HasSuffix(r.pkg, "/") {
		return rel == strings.TrimSuffix(r.pkg, "/") || strings.HasPrefix(rel, r.pkg)
	}
	return rel == r.pkg
}

func (r layerRule) allows(dep string) bool {
	if dep == module || strings.HasPrefix(dep, module+"/") {
		rel := strings.TrimPrefix(dep, module+"/")
		for _, p := range r.project {
			if rel == p || (strings.HasSuffix(p, "/") && (rel == strings.TrimSuffix(p, "/") || strings.HasPrefix(rel, p))) {
				return true
			}
		}
		return r.matches(dep) // a package may import itself and, for subtrees, its siblings
	}
	first, _, _ := strings.Cut(dep, "/")
	if !strings.Contains(first, ".") || r.thirdParty == nil {
		return true // the standard library, or any module
	}
	for _, p := range r.thirdParty {
		if strings.HasPrefix(dep, p) {
			return true
		}
	}
	return false
}

// TestLayering enforces layerRules over every package of the module, and
// that only media/portaudio (and main, which wires it) link portaudio.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Deps " "}} | {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || (fields[0] != module && !strings.HasPrefix(fields[0], module+"/")) {
			continue
		}
		pkg := fields[0]
		deps, imports, _ := strings.Cut(strings.Join(fields[1:], " "), "|")
		checked++
		var rule *layerRule
		for i := range layerRules {
			if layerRules[i].matches(pkg) {
				rule = &layerRules[i]
				break
			}
		}
		list := strings.Fields(deps)
		if rule != nil && rule.direct {
			list = strings.Fields(imports)
		}
		for _, dep := range list {
			if dep == "github.com/gordonklaus/portaudio" && !strings.HasPrefix(pkg, module+"/media/portaudio") && pkg != module {
				t.Errorf("%s links portaudio; only media/portaudio may", pkg)
			}
			if rule != nil && !rule.allows(dep) {
				t.Errorf("%s depends on %s: %s", pkg, dep, rule.why)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("go list returned only %d project packages", checked)
	}
}

func TestLayerRuleMatching(t *testing.T) {
	sip := layerRules[0]
	if !sip.matches(module+"/sipcore/sip") || sip.matches(module+"/sipcore/siptest") {
		t.Error("sipcore/sip rule matches the wrong packages")
	}
	if sip.allows(module + "/sipcore/transport") {
		t.Error("sipcore/sip may not import sipcore/transport")
	}
	ua := layerRules[len(layerRules)-2]
	for dep, want := range map[string]bool{
		module + "/sipcore/dialog": true, module + "/ua/pidf": true, module + "/media/sdp": false,
		module + "/ui": false, "golang.org/x/sys/unix": true, "github.com/pion/rtp": false, "fmt": true,
	} {
		if got := ua.allows(dep); got != want {
			t.Errorf("ua rule allows %s = %v, want %v", dep, got, want)
		}
	}
}
