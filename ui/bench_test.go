package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ui/history"
	"github.com/teaphone/teaphone/ui/theme"
)

// BenchmarkKeypress measures what one key press costs the TUI: Update with
// the key, then View of the whole 120×40 screen, as bubbletea does per
// key. The state is a realistic day: 20 contacts with presence, 2 calls
// (one active with media stats, one on hold), 50 SIP trace messages and 30
// history entries, rendered in the dark theme with true colour. Target
// (the issue): ≤ 2 ms per key press.
//
//	go test -run '^$' -bench Keypress -benchmem ./ui
func BenchmarkKeypress(b *testing.B) {
	// Render colours as a real terminal would; the test binary has no TTY.
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.TrueColor)
	b.Cleanup(func() { lipgloss.SetColorProfile(prev) })

	down, up := tea.KeyMsg{Type: tea.KeyDown}, tea.KeyMsg{Type: tea.KeyUp}
	cases := []struct {
		name  string
		setup []tea.Msg    // keys that bring the focus there
		keys  []tea.KeyMsg // pressed in turn, round robin
	}{
		// The cursor walks down and up the contact list.
		{"contacts_down", nil, []tea.KeyMsg{down, up}},
		// A DTMF digit on the selected call (the engine call is a command
		// bubbletea would run elsewhere; it is not run here).
		{"calls_digit", []tea.Msg{tea.KeyMsg{Type: tea.KeyF2}}, []tea.KeyMsg{runeKey('5')}},
		// Typing in the dialer (a character, then backspace, so the field
		// and its completions stay the same size).
		{"dialer_char", []tea.Msg{runeKey('d')}, []tea.KeyMsg{runeKey('a'), {Type: tea.KeyBackspace}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			app := benchApp(b)
			for _, m := range c.setup {
				app = benchUpdate(app, m)
			}
			if v := app.View(); !strings.Contains(v, "Contact 07") || !strings.Contains(v, "active") && c.name == "calls_digit" {
				b.Fatalf("unexpected screen before the benchmark:\n%s", v)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				app = benchUpdate(app, c.keys[i%len(c.keys)])
				_ = app.View()
				i++
			}
		})
	}
}

func runeKey(r rune) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}} }

func benchUpdate(a App, msg tea.Msg) App {
	m, _ := a.Update(msg)
	return m.(App)
}

// benchApp builds the root model in its realistic state by feeding it the
// messages the program would (commands are not run).
func benchApp(b *testing.B) App {
	b.Helper()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a := New(benchEngine{}, benchStore{}, Options{Theme: theme.Dark(), Accounts: []string{"work", "home"},
		Now: func() time.Time { return now }, Location: time.UTC})
	a = benchUpdate(a, tea.WindowSizeMsg{Width: 120, Height: 40})

	var cs []Contact
	for i := range 20 {
		cs = append(cs, Contact{ID: fmt.Sprint(i), Name: fmt.Sprintf("Contact %02d", i),
			URI: fmt.Sprintf("sip:contact%02d@example.com", i), Favorite: i < 5})
	}
	a = benchUpdate(a, contactsMsg(cs))

	var hs []history.Entry
	results := []string{"answered", "missed", "rejected", "busy", "answered", "cancelled"}
	for i := range 30 {
		hs = append(hs, history.Entry{ID: fmt.Sprint(i), Name: cs[i%20].Name, URI: cs[i%20].URI, Incoming: i%2 == 0,
			At: now.Add(-time.Duration(i) * 47 * time.Minute), Duration: time.Duration(i*13) * time.Second, Result: results[i%len(results)]})
	}
	a = benchUpdate(a, historyMsg(hs))

	events := []ua.Event{
		ua.RegistrationEvent{Account: "work", AOR: "sip:me@example.com", State: ua.RegRegistered, Expires: 10 * time.Minute},
		ua.RegistrationEvent{Account: "home", AOR: "sip:me@home.example.org", State: ua.RegFailed, Code: 401, Reason: "401: wrong password", Kind: ua.FailAuth},
	}
	activities := [][]string{nil, {"away"}, {"busy"}, {"on-the-phone"}}
	for i, c := range cs {
		events = append(events, ua.PresenceEvent{URI: c.URI, At: now,
			Presence: ua.Presence{Basic: ua.BasicOpen, Activities: activities[i%len(activities)], Note: "note " + c.Name}})
	}
	events = append(events,
		ua.CallEvent{Call: ua.CallInfo{ID: "c1", Account: "work", Direction: ua.Outgoing, Remote: cs[3].URI, State: ua.CallActive,
			Codec: "PCMU/8000", Started: now.Add(-95 * time.Second), Answered: now.Add(-90 * time.Second)}},
		ua.CallEvent{Call: ua.CallInfo{ID: "c2", Account: "work", Direction: ua.Incoming, Remote: "sip:unknown@example.net", RemoteName: "Unknown Caller",
			State: ua.CallActive, LocalHold: true, Codec: "opus/48000/2", Started: now.Add(-40 * time.Second), Answered: now.Add(-35 * time.Second)}},
		ua.MediaStatsEvent{CallID: "c1", MOS: 4.3, LossPercent: 0.5, JitterMillis: 4, RTTMillis: 30, TxLevel: -18, RxLevel: -24},
	)
	for i := range 50 {
		summary, sent := "INVITE sip:contact03@example.com", i%2 == 0
		if !sent {
			summary = "200 OK"
		}
		events = append(events, ua.TraceEvent{At: now.Add(time.Duration(i-50) * time.Second), Sent: sent, Transport: "udp",
			Local: "192.0.2.1:5060", Remote: "198.51.100.7:5060", CallID: fmt.Sprintf("callid-%d@192.0.2.1", i/10),
			Summary: summary, Raw: benchRaw(summary)})
	}
	for _, ev := range events {
		a = benchUpdate(a, engineEventMsg{ev})
	}
	if got := len(a.traceLog); got != 50 {
		b.Fatalf("trace log holds %d messages, want 50", got)
	}
	if got := len(a.calls); got != 2 {
		b.Fatalf("%d calls, want 2", got)
	}
	return a
}

func benchRaw(start string) string {
	return start + " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport\r\nMax-Forwards: 70\r\n" +
		"To: <sip:contact03@example.com>\r\nFrom: Me <sip:me@example.com>;tag=1928301774\r\nCall-ID: a84b4c76e66710@192.0.2.1\r\n" +
		"CSeq: 314159 INVITE\r\nContact: <sip:me@192.0.2.1:5060>\r\nContent-Type: application/sdp\r\nContent-Length: 142\r\n\r\n" +
		"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
}

// benchEngine is an engine that does nothing: key presses only return
// commands, which the benchmark does not run. The embedded (nil) Engine
// keeps it compiling as the interface grows; Update only calls Events.
type benchEngine struct{ Engine }

func (benchEngine) Events() <-chan ua.Event { return nil }

// benchStore is never called: the benchmark feeds the loaded data itself.
type benchStore struct{ Store }
