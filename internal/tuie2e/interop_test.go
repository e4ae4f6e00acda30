package tuie2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// The peer harness (internal/interop) is the one project package these
// tests import: it is itself an independent referee (it imports nothing
// from teaphone), so the binary under test is still driven only through
// its terminal, files and the network.

var (
	reBobSelected = regexp.MustCompile(`>\s*★?\s*Bob\b`)
	reBobTimer    = regexp.MustCompile(`Bob\s+active\s+(\d+):(\d{2})`)
	reBobEnded    = regexp.MustCompile(`Bob\s+ended`)
)

// TestKamailioBaresipWalkthrough is the must-show against real
// peers: Kamailio (registrar, proxy and presence server, digest with
// qop=auth) and an auto-answering baresip "bob" that PUBLISHes his presence
// and plays 440 Hz. The TUI, configured by a config file for alice and a
// contacts file with bob as a favourite, registers (header), shows bob
// online from Kamailio's NOTIFY (contacts pane), calls him (calls pane:
// active, PCMU), hangs up after about 2 s of audio, and quits with status
// 0, un-registering. Each side's recording holds the other's tone: 440 Hz
// in teaphone's OUT.wav, 880 Hz (teaphone's tone) in baresip's.
func TestKamailioBaresipWalkthrough(t *testing.T) {
	requireTmux(t)
	k := interop.StartKamailio(t, interop.KamailioOptions{QOP: true})
	bob := interop.StartBaresip(t, interop.BaresipOptions{
		User: "bob", Password: k.Password("bob"), Registrar: k.Addr,
		WAV: interop.ToneWAV(t, 440), AnswerMode: "auto",
		PublishInterval: 60 * time.Second,
	})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if err := bob.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
	// bob's PUBLISH (RFC 3903) is in the presence server before alice
	// subscribes, so her first NOTIFY already says open.
	if err := k.WaitPublished(ctx, "bob"); err != nil {
		t.Fatal(err)
	}

	d := newDirs(t)
	// Kamailio is registrar and outbound proxy: sip:bob@127.0.0.1 has no
	// port, so requests must go through the proxy's test-chosen port.
	proxy := "sip:" + k.Addr + ";transport=udp"
	writeConfig(t, d, fmt.Sprintf(`[general]
log_level = "debug"

[network]
listen = ["udp:127.0.0.1:0"]

[[account]]
name           = "alice"
user           = "alice"
domain         = %q
password       = %q
registrar      = %q
outbound_proxy = %q
transport      = "udp"
expires        = 300
`, k.IP, k.Password("alice"), proxy, proxy))
	writeContacts(t, d, fmt.Sprintf(`version = 1

[[contact]]
id = "bob"
name = "Bob"
uri = "sip:bob@%s"
favorite = true
`, k.IP))
	out := filepath.Join(t.TempDir(), "alice-rx.wav")

	s := startTUI(t, tuiOptions{args: []string{"-audio", "tone:880," + out}, dirs: &d})

	// Registration (RFC 3261 §10) with digest qop=auth, in the header.
	scr := s.waitFor("alice registered in the header", 20*time.Second, func(scr string) bool {
		return strings.Contains(lineWith(scr, "teaphone"), "alice: registered")
	})
	if strings.Contains(scr, "Echo") || strings.Contains(lineWith(scr, "teaphone"), "demo") {
		t.Errorf("a configuration was given but the demo runs:\n%s", scr)
	}
	if _, err := k.WaitRegistered(ctx, "alice"); err != nil {
		t.Errorf("Kamailio has no binding for alice although the header says registered: %v", err)
	}

	// Presence (RFC 3856/3863): bob, a favourite, shows online.
	s.waitFor("bob online in the contacts pane", 20*time.Second, func(scr string) bool {
		return strings.Contains(lineWith(scr, "Bob"), "online")
	})

	// Call bob from the contacts pane.
	if !reBobSelected.MatchString(s.screen()) {
		s.keys("Down")
		s.waitMatch(reBobSelected)
	}
	s.keys("Enter")
	s.waitFor("the call to bob active", 20*time.Second, func(scr string) bool {
		return reBobTimer.MatchString(scr)
	})
	if _, err := bob.WaitEstablished(ctx); err != nil {
		t.Fatal(err)
	}
	scr = s.screen()
	if !strings.Contains(scr, "PCMU/8000") {
		t.Errorf("calls pane shows no PCMU/8000 codec; screen:\n%s", scr)
	}
	if got := lineWith(scr, "teaphone"); !strings.Contains(got, "1 call(s)") {
		t.Errorf("header during the call = %q, want it to count 1 call(s)", got)
	}

	// About 2 s of audio each way: the call timer (1 Hz) says when.
	s.waitFor("the call timer at 0:03", stepTimeout, func(scr string) bool {
		m := reBobTimer.FindStringSubmatch(scr)
		return m != nil && timerSeconds(m) >= 3
	})

	// Hang up from the calls pane.
	s.keys("x")
	s.waitMatch(reBobEnded)
	if e, err := bob.WaitEvent(ctx, interop.EventCallClosed); err != nil {
		t.Fatalf("baresip did not see the call end: %v", err)
	} else {
		t.Logf("baresip: call closed: %s", e.Param)
	}

	// Audio: what teaphone heard (bob's 440 Hz) and what bob heard
	// (teaphone's 880 Hz).
	res := waitToneFile(t, out, 1500*time.Millisecond, 440, 880)
	t.Logf("teaphone received %.1f s at %d Hz, rms %.0f, power %v", res.Seconds, res.Rate, res.RMS, res.Power)
	if res.Silent || res.Dominant != 440 {
		t.Errorf("teaphone's OUT.wav: dominant %v Hz, rms %.0f (silent %v), %.1f s; want 440 Hz, not silent",
			res.Dominant, res.RMS, res.Silent, res.Seconds)
	}
	rx, _, err := bob.Recordings()
	if err != nil || len(rx) == 0 {
		t.Fatalf("baresip recordings: %v, %v", rx, err)
	}
	res = waitToneFile(t, rx[len(rx)-1], 1500*time.Millisecond, 880, 440)
	t.Logf("baresip received %.1f s at %d Hz, rms %.0f, power %v", res.Seconds, res.Rate, res.RMS, res.Power)
	if res.Silent || res.Dominant != 880 {
		t.Errorf("baresip's recording: dominant %v Hz, rms %.0f (silent %v), %.1f s; want 880 Hz, not silent",
			res.Dominant, res.RMS, res.Silent, res.Seconds)
	}

	// Quit: status 0, the terminal restored.
	s.keys("q")
	status, took := s.waitExit(exitTimeout)
	t.Logf("quit: exit status %s after %v", status, took.Round(time.Millisecond))
	if status != "0" {
		t.Errorf("exit status = %s, want 0; log:%s", status, s.logTail())
	}
	checkRestored(t, s)
	// Quitting un-registers (RFC 3261 §10.2.2: Expires 0).
	if c, err := k.Lookup("alice"); !errors.Is(err, interop.ErrNotRegistered) {
		t.Errorf("after quit Kamailio still has alice: %v, %v; want no binding", c, err)
	}
}

// writeContacts writes the address book teaphone reads at start.
func writeContacts(t *testing.T, d dirs, text string) {
	t.Helper()
	path := filepath.Join(d.data, "teaphone", "contacts.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitToneFile waits (bounded) until the WAV at path holds at least min of
// audio, then analyses it with interop.ToneCheck. A recorder may still be
// closing its file when the call has just ended.
func waitToneFile(t *testing.T, path string, min time.Duration, freqs ...float64) interop.ToneResult {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		res, err := interop.ToneCheck(path, freqs...)
		if err == nil && res.Seconds >= min.Seconds() {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %v of audio within %v: %.2f s, %v", path, min, stepTimeout, res.Seconds, err)
		}
		<-tick.C
	}
}
