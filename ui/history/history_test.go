package history

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func sample() []Entry {
	return []Entry{
		{ID: "5", Name: "Echo", URI: "sip:echo@127.0.0.1", At: now.Add(-10 * time.Minute), Duration: 83 * time.Second, Result: "answered"},
		{ID: "4", URI: "sip:bob@example.com", Incoming: true, At: now.Add(-2 * time.Hour), Result: "missed"},
		{ID: "3", Name: "Carol", URI: "sip:carol@example.com", At: now.Add(-26 * time.Hour), Result: "busy", Reason: "486 Busy Here"},
		{ID: "2", Name: "Dave", URI: "tel:+15551234", Incoming: true, At: now.Add(-3 * 24 * time.Hour), Duration: 3723 * time.Second, Result: "answered"},
		{ID: "1", Name: "Erin", URI: "sip:erin@example.com", At: now.Add(-30 * 24 * time.Hour), Result: "interrupted"},
	}
}

func newModel(w, h int) Model {
	m := New(DefaultStyles(theme.Plain()))
	m.SetLocation(time.UTC)
	m.SetNow(now)
	m.SetSize(w, h)
	m.SetEntries(sample())
	return m
}

func TestViewGolden(t *testing.T) {
	uitest.Golden(t, "history_80x10", newModel(80, 10).View())
	uitest.Golden(t, "history_empty", New(DefaultStyles(theme.Plain())).View())
}

func TestMissedAndCallBack(t *testing.T) {
	m := newModel(80, 10)
	if got := m.MissedCount(); got != 1 {
		t.Errorf("MissedCount = %d, want 1", got)
	}
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown})
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if got, want := cmd(), (CallMsg{URI: "sip:bob@example.com"}); got != want {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestSearchEmitsQueryAndCapturesKeys(t *testing.T) {
	m := newModel(80, 10)
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/")})
	for _, r := range "cat" { // 'c' and 't' are call/chat keys outside search
		var cmd tea.Cmd
		m, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		if cmd != nil {
			if msg := cmd(); msg != nil {
				switch msg.(type) {
				case CallMsg, ChatMsg:
					t.Fatalf("typing %q in search emitted %#v", r, msg)
				}
			}
		}
	}
	if !m.Searching() {
		t.Fatal("not searching after '/'")
	}
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if got, want := cmd(), (SearchMsg{Query: "cat"}); got != want {
		t.Errorf("got %#v, want %#v", got, want)
	}
}
