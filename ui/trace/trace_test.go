package trace

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func call(id string) []Message {
	l, r := "127.0.0.1:5060", "127.0.0.1:5070"
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	return []Message{
		{At: at(0), Sent: true, Local: l, Remote: r, CallID: id, Summary: "INVITE sip:bob@127.0.0.1:5070", Raw: "INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\nCall-ID: " + id + "\r\nAuthorization: Digest username=\"alice\", response=\"[redacted]\"\r\n\r\n"},
		{At: at(3), Local: l, Remote: r, CallID: id, Summary: "100 Trying"},
		{At: at(12), Local: l, Remote: r, CallID: id, Summary: "180 Ringing"},
		{At: at(2012), Local: l, Remote: r, CallID: id, Summary: "200 OK"},
		{At: at(2013), Sent: true, Local: l, Remote: r, CallID: id, Summary: "ACK sip:bob@127.0.0.1:5070"},
	}
}

func newModel(w, h int) Model {
	m := New(DefaultStyles(theme.Plain()))
	m.SetLocation(time.UTC)
	m.SetSize(w, h)
	m.SetMessages(append(call("a84b4c76e66710"), call("second-call")...))
	m.ShowCall("a84b4c76e66710")
	return m
}

func TestLadderGolden(t *testing.T) {
	uitest.Golden(t, "ladder_80x10", newModel(80, 10).View())
	uitest.Golden(t, "ladder_120x10", newModel(120, 10).View())
	m := newModel(80, 16)
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	uitest.Golden(t, "ladder_raw", m.View())
}

func TestSwitchCalls(t *testing.T) {
	m := newModel(80, 10)
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRight})
	if v := uitest.Normalize(m.View()); !strings.Contains(v, "Call 2/2  Call-ID second-call") {
		t.Errorf("after →, view does not show the second call:\n%s", v)
	}
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRight}) // stays on the last call
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyLeft})
	if v := uitest.Normalize(m.View()); !strings.Contains(v, "Call 1/2") {
		t.Errorf("after ←, view does not show the first call:\n%s", v)
	}
}
