package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// TestSipvicious: svmap (OPTIONS and INVITE scans) identifies the agent by
// its User-Agent, and svwar's INVITE extension scan gets a 404 for every
// extension; the agent keeps running and never reports an incoming call
// (no ghost calls).
func TestSipvicious(t *testing.T) {
	t.Parallel()
	requireTool(t, "svmap", "sipvicious")
	a := StartAgent(t, AgentOptions{Args: directArgs("bob")})
	a.Expect(t, 0, 10*time.Second, "ready", Is("ready"))
	host, port, err := net.SplitHostPort(a.listenAddr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	localPort := func() string {
		p, err := interop.FreePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(p)
	}
	for _, method := range []string{"OPTIONS", "INVITE"} {
		out, code := interop.RunTool(t, 30*time.Second, "sipvicious", "svmap",
			"-p", port, "-x", "127.0.0.1", "-P", localPort(), "-m", method, host)
		if code != 0 || !strings.Contains(out, "127.0.0.1:"+port) || !strings.Contains(out, "teaphone/") {
			t.Errorf("svmap -m %s: exit %d, want the agent listed with User-Agent teaphone/…:\n%s", method, code, out)
		}
	}
	const first, last = 100, 130
	m := a.Mark()
	out, code := interop.RunTool(t, 60*time.Second, "sipvicious", "svwar",
		"-e", fmt.Sprintf("%d-%d", first, last), "-m", "INVITE", "-p", port, "-x", "127.0.0.1", "-P", localPort(), host)
	if code != 0 || !strings.Contains(out, "found nothing") {
		t.Errorf("svwar: exit %d, want \"found nothing\" (every extension unknown):\n%s", code, out)
	}
	notFound := map[string]bool{}
	for _, e := range a.Events()[m:] {
		if e.Name() == "sip" && e.Str("dir") == "sent" && strings.HasPrefix(e.Str("summary"), "404") {
			notFound[e.Str("call_id")] = true
		}
	}
	if n := len(notFound); n < last-first+1 {
		t.Errorf("agent sent 404 for %d scanned dialogs, want ≥ %d (one per extension)", n, last-first+1)
	}
	if a.Exited() {
		t.Fatal("agent exited during the scans")
	}
	a.MustCmd(t, "calls")
	for _, e := range a.Events() {
		switch e.Name() {
		case "incoming", "answered", "ringing":
			t.Errorf("ghost call: agent reported %s", e)
		}
	}
}
