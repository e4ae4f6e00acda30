package chat

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

var t0 = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

func newModel(w, h int) Model {
	m := New(DefaultStyles(theme.Plain()))
	m.SetLocation(time.UTC)
	m.SetSize(w, h)
	m.SetConversation("sip:echo@127.0.0.1", "Echo", []Line{
		{ID: "1", Outgoing: true, At: t0, Body: "hello", State: Delivered},
		{ID: "2", At: t0.Add(time.Second), Body: "echo: hello", State: Received},
		{ID: "3", Outgoing: true, At: t0.Add(time.Minute), Body: strings.Repeat("a long message that wraps ", 5), State: Sending},
		{ID: "4", Outgoing: true, At: t0.Add(2 * time.Minute), Body: "anyone?", State: Failed, Reason: "408 Request Timeout"},
	})
	return m
}

func TestViewGolden(t *testing.T) {
	uitest.Golden(t, "chat_80x12", newModel(80, 12).View())
	uitest.Golden(t, "chat_50x6", newModel(50, 6).View())
	uitest.Golden(t, "chat_none", New(DefaultStyles(theme.Plain())).View())
}

func TestSendTrimsAndClears(t *testing.T) {
	m := newModel(80, 12)
	m.Focus()
	for _, r := range "  hi there  " {
		m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("enter emitted nothing")
	}
	if got, want := cmd(), (SendMsg{Peer: "sip:echo@127.0.0.1", Body: "hi there"}); got != want {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if _, cmd = m.Update(tea.KeyMsg{Type: tea.KeyEnter}); cmd != nil {
		t.Errorf("enter on an empty field emitted %#v", cmd())
	}
}

func TestScrollShowsOlder(t *testing.T) {
	m := newModel(50, 6)
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyPgUp})
	v := uitest.Normalize(m.View())
	if !strings.Contains(v, "hello") {
		t.Errorf("after pgup the oldest message is not visible:\n%s", v)
	}
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyPgDown})
	if v := uitest.Normalize(m.View()); !strings.Contains(v, "408 Request Timeout") {
		t.Errorf("after pgdown the newest message is not visible:\n%s", v)
	}
}
