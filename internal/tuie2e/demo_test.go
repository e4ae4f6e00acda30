package tuie2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	reEchoSelected = regexp.MustCompile(`>\s*★?\s*Echo\b`)
	reEchoTimer    = regexp.MustCompile(`Echo\s+active\s+(\d+):(\d{2})`)
	reHistoryEcho  = regexp.MustCompile(`→ Echo\s+\d+:\d{2}`)
)

// timerSeconds is the call timer the calls pane shows for Echo.
func timerSeconds(m []string) int {
	min, _ := strconv.Atoi(m[1])
	sec, _ := strconv.Atoi(m[2])
	return min*60 + sec
}

// waitDemo waits for the demo's first screen: Echo and Alice, Alice away.
func waitDemo(s *tui) string {
	s.t.Helper()
	return s.waitFor("the demo contacts with Alice away", stepTimeout, func(scr string) bool {
		return strings.Contains(scr, "teaphone") && strings.Contains(scr, "Echo") &&
			strings.Contains(lineWith(scr, "Alice"), "away")
	})
}

// callEcho moves the contacts cursor to Echo and calls it, then waits for
// the call to be active with its timer at 0:01 or later.
func callEcho(s *tui) {
	s.t.Helper()
	if !reEchoSelected.MatchString(s.screen()) {
		s.keys("Down")
		s.waitMatch(reEchoSelected)
	}
	s.keys("Enter")
	s.waitText("[Calls (1)]")
	m := s.waitFor("the call to Echo active at 0:01 or later", stepTimeout, func(scr string) bool {
		m := reEchoTimer.FindStringSubmatch(scr)
		return m != nil && timerSeconds(m) >= 1
	})
	first := timerSeconds(reEchoTimer.FindStringSubmatch(m))
	// The timer runs: a later frame shows a later time (1 Hz tick).
	s.waitFor("the call timer to advance", stepTimeout, func(scr string) bool {
		m := reEchoTimer.FindStringSubmatch(scr)
		return m != nil && timerSeconds(m) > first
	})
}

// TestDemoWalkthrough is the scenario against the real binary: the
// demo starts offline, the away buddy shows, a call to Echo goes active
// with a running timer, DTMF digits come back from Echo as messages, the
// call hangs up and lands in History, a chat message gets Echo's reply,
// and q quits with status 0 and the terminal restored.
func TestDemoWalkthrough(t *testing.T) {
	s := startTUI(t, tuiOptions{args: []string{"-audio", "null"}})

	scr := waitDemo(s)
	if got := lineWith(scr, "teaphone"); !strings.Contains(got, "demo") {
		t.Errorf("header = %q, want the demo account", got)
	}
	if st := s.state(); !st.altScreen || !st.mouseClick {
		t.Errorf("while running: alternate screen %v, mouse reporting %v; want both on", st.altScreen, st.mouseClick)
	}

	// Call Echo from the contacts pane.
	callEcho(s)
	scr = s.screen()
	if got := lineWith(scr, "teaphone"); !strings.Contains(got, "1 call(s)") {
		t.Errorf("header during the call = %q, want it to count 1 call(s)", got)
	}
	if !strings.Contains(scr, "PCMU/8000") {
		t.Errorf("calls pane shows no codec; screen:\n%s", scr)
	}

	// DTMF (RFC 4733): Echo answers each digit with a message. One key at
	// a time, each after the previous reply (see TestDTMFTypedQuickly).
	s.keys("5")
	s.waitText("Chat (1)")
	s.keys("#")
	s.waitText("Chat (2)")
	scr = s.screen()
	if !reEchoTimer.MatchString(scr) {
		t.Errorf("call not active after DTMF; screen:\n%s", scr)
	}
	if st := statusRow(scr); st != "" {
		t.Errorf("status line after DTMF = %q, want none (no error)", st)
	}

	// Hang up.
	s.keys("x")
	scr = s.waitText("Echo  ended", "call with Echo ended")
	if got := lineWith(scr, "teaphone"); strings.Contains(got, "call(s)") {
		t.Errorf("header after hang-up = %q, want no live call", got)
	}

	// The SIP trace (F5) holds Echo's replies (MESSAGE to us) and, some
	// calls back, the INVITE dialog with its BYE.
	s.keys("F5")
	s.waitText("[SIP trace]", "MESSAGE sip:me@")
	s.waitFor("the INVITE ladder with its BYE in the trace", stepTimeout, func(scr string) bool {
		if strings.Contains(scr, "INVITE sip:echo@") && strings.Contains(scr, "BYE sip:echo@") {
			return true
		}
		s.keys("[") // the previous Call-ID
		return false
	})

	// History (F4 = alt+3) lists the call to Echo with its talk time.
	s.keys("F4")
	s.waitText("[History]")
	s.waitMatch(reHistoryEcho)

	// Chat: back to the contacts (tab from the main pane), t on Echo.
	s.keys("Tab")
	s.waitText("[Contacts]")
	s.waitMatch(reEchoSelected)
	s.keys("t")
	scr = s.waitText("[Chat]", "Chat with Echo")
	for _, want := range []string{"Echo: you pressed 5", "Echo: you pressed #"} {
		if !strings.Contains(scr, want) {
			t.Errorf("conversation lacks %q; screen:\n%s", want, scr)
		}
	}
	s.text("hello from tmux")
	s.keys("Enter")
	s.waitText("hello from tmux", "Echo: echo: hello from tmux")

	// Leave the compose field, quit with q.
	s.keys("Escape")
	s.waitFor("the compose field to let go of the keyboard", stepTimeout, func(scr string) bool {
		return strings.Contains(scr, "q quit")
	})
	s.keys("q")
	status, took := s.waitExit(exitTimeout)
	t.Logf("quit: exit status %s after %v", status, took.Round(100_000))
	if status != "0" {
		t.Errorf("exit status = %s, want 0; log:%s", status, s.logTail())
	}
	checkRestored(t, s)
}

// statusRow is the status line: the row above the help line.
func statusRow(scr string) string {
	ls := lines(scr)
	if len(ls) < 2 {
		return ""
	}
	return strings.TrimSpace(ls[len(ls)-2])
}

// checkRestored asserts that teaphone left the terminal as it found it:
// main screen, cursor shown, mouse reporting off (each mode's last switch
// in teaphone's output turns it back off).
func checkRestored(t *testing.T, s *tui) {
	t.Helper()
	if st := s.state(); st.altScreen || st.mouseAny || st.mouseClick {
		t.Errorf("terminal after exit: alternate screen %v, mouse any/button %v/%v; want all off", st.altScreen, st.mouseAny, st.mouseClick)
	}
	out := s.output()
	for _, mode := range []struct{ name, on, off string }{
		{"alternate screen", "\x1b[?1049h", "\x1b[?1049l"},
		{"hidden cursor", "\x1b[?25l", "\x1b[?25h"},
		{"mouse cell motion", "\x1b[?1002h", "\x1b[?1002l"},
		{"SGR mouse", "\x1b[?1006h", "\x1b[?1006l"},
	} {
		on, off := strings.LastIndex(out, mode.on), strings.LastIndex(out, mode.off)
		if off < 0 || off < on {
			t.Errorf("%s not turned off at exit (last on at byte %d, last off at %d of %d)", mode.name, on, off, len(out))
		}
	}
	if scr := s.screen(); strings.Contains(scr, "Contacts") || strings.Contains(scr, "╭") {
		t.Errorf("the TUI is still on the terminal after exit:\n%s", scr)
	}
}

// TestDTMFTypedQuickly: digits typed faster than the TUI reads its input
// (or pasted) must all be sent. The terminal delivers them in one read,
// which bubbletea reports as one KeyMsg carrying several runes.
func TestDTMFTypedQuickly(t *testing.T) {
	s := startTUI(t, tuiOptions{args: []string{"-audio", "null"}})
	waitDemo(s)
	callEcho(s)
	s.text("123")
	s.waitText("Chat (3)")
	s.keys("F3")
	scr := s.waitText("Chat with Echo")
	for _, want := range []string{"you pressed 1", "you pressed 2", "you pressed 3"} {
		if !strings.Contains(scr, want) {
			t.Errorf("conversation lacks %q; screen:\n%s", want, scr)
		}
	}
}

// TestDemoSmallTerminal: at 80×24 the demo lays out completely (panes,
// borders, tabs, help line, no "terminal too small"), a call shows its
// timer, and nothing spills past the last column or row.
func TestDemoSmallTerminal(t *testing.T) {
	s := startTUI(t, tuiOptions{width: 80, height: 24, args: []string{"-audio", "null"}})
	scr := waitDemo(s)
	checkFrame(t, scr, 80, 24)
	callEcho(s)
	scr = s.screen()
	checkFrame(t, scr, 80, 24)
	if !strings.Contains(scr, "x hang up") {
		t.Errorf("help line for the calls pane missing at 80x24:\n%s", scr)
	}
	s.keys("x")
	s.waitText("Echo  ended")
	s.keys("q")
	if status, _ := s.waitExit(exitTimeout); status != "0" {
		t.Errorf("exit status = %s, want 0", status)
	}
	checkRestored(t, s)
}

// checkFrame asserts the frame's structure: the header on the first row,
// the tabs on the second, both panes boxed from the third row to the one
// above the status line, and the help line on the last row.
func checkFrame(t *testing.T, scr string, w, h int) {
	t.Helper()
	ls := lines(scr)
	if len(ls) != h {
		t.Fatalf("captured %d rows, want %d:\n%s", len(ls), h, scr)
	}
	if strings.Contains(scr, "needs a terminal") {
		t.Fatalf("teaphone refused %dx%d:\n%s", w, h, scr)
	}
	if !strings.HasPrefix(ls[0], "teaphone") {
		t.Errorf("row 1 = %q, want the header", ls[0])
	}
	for _, tab := range []string{"Contacts", "Calls", "Chat", "History", "SIP trace"} {
		if !strings.Contains(ls[1], tab) {
			t.Errorf("row 2 = %q, want the %s tab", ls[1], tab)
		}
	}
	top, bottom := ls[2], ls[h-3]
	if !strings.HasPrefix(top, "╭") || !strings.HasSuffix(top, "╮") || strings.Count(top, "╭") != 2 {
		t.Errorf("row 3 = %q, want the top borders of two panes", top)
	}
	if !strings.HasPrefix(bottom, "╰") || !strings.HasSuffix(bottom, "╯") || strings.Count(bottom, "╰") != 2 {
		t.Errorf("row %d = %q, want the bottom borders of two panes", h-2, bottom)
	}
	for i := 3; i < h-3; i++ {
		if !strings.HasPrefix(ls[i], "│") || !strings.HasSuffix(ls[i], "│") || strings.Count(ls[i], "│") != 4 {
			t.Errorf("row %d = %q, want two boxed panes", i+1, ls[i])
		}
	}
	for i, l := range ls {
		if n := len([]rune(l)); n > w {
			t.Errorf("row %d is %d cells wide, want ≤ %d", i+1, n, w)
		}
	}
	if !strings.Contains(ls[h-1], " • ") {
		t.Errorf("last row = %q, want the help line", ls[h-1])
	}
}
