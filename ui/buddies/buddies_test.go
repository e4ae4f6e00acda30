package buddies

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

func sample() []Buddy {
	return []Buddy{
		{ID: "1", Name: "Echo", URI: "sip:echo@127.0.0.1", Favorite: true, Status: Online, Note: "repeats what you say"},
		{ID: "2", Name: "Alice Away", URI: "sip:alice@127.0.0.1", Favorite: true, Status: Away, Note: "lunch", Unread: 2},
		{ID: "3", Name: "Bob", URI: "sip:bob@example.com", Status: Busy},
		{ID: "4", Name: "", URI: "sip:carol@example.com"},
		{ID: "5", Name: "Dave", URI: "tel:+15551234", Status: Offline},
	}
}

func newModel(w, h int) Model {
	m := New(DefaultStyles(theme.Plain()))
	m.SetSize(w, h)
	m.SetBuddies(sample())
	return m
}

func typeKeys(m Model, s string) Model {
	for _, r := range s {
		m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

func TestViewGolden(t *testing.T) {
	uitest.Golden(t, "buddies_40x10", newModel(40, 10).View())
	uitest.Golden(t, "buddies_80x10", newModel(80, 10).View())
	m := typeKeys(newModel(80, 10), "/bo")
	uitest.Golden(t, "buddies_filter_bo", m.View())
	uitest.Golden(t, "buddies_empty", New(DefaultStyles(theme.Plain())).View())
}

func TestFilterAsYouTypeCapturesKeys(t *testing.T) {
	m := newModel(80, 10)
	m = typeKeys(m, "/al")
	if !m.Filtering() {
		t.Fatal("Filtering() = false after '/', want true")
	}
	if got := len(m.Shown()); got != 1 || m.Shown()[0].ID != "2" {
		t.Fatalf("shown after filter 'al' = %+v, want only Alice", m.Shown())
	}
	// 'c' while filtering is text, not the call key.
	m, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c")})
	if cmd != nil {
		if msg := cmd(); msg != nil {
			if _, isCall := msg.(CallMsg); isCall {
				t.Fatal("typing 'c' in the filter placed a call")
			}
		}
	}
	if got := len(m.Shown()); got != 0 {
		t.Errorf("shown after filter 'alc' = %d contacts, want 0", got)
	}
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if m.Filtering() || len(m.Shown()) != 5 {
		t.Errorf("after esc: filtering=%v shown=%d, want false and 5", m.Filtering(), len(m.Shown()))
	}
}

func TestActionsOnSelection(t *testing.T) {
	m := newModel(80, 10)
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown})
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if got, want := cmd(), (CallMsg{URI: "sip:alice@127.0.0.1"}); got != want {
		t.Errorf("enter: got %#v, want %#v", got, want)
	}
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("f")})
	if got, want := cmd(), (FavoriteMsg{ID: "2", On: false}); got != want {
		t.Errorf("f: got %#v, want %#v", got, want)
	}
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("t")})
	if got, want := cmd(), (ChatMsg{URI: "sip:alice@127.0.0.1"}); got != want {
		t.Errorf("t: got %#v, want %#v", got, want)
	}
}

func TestScrollKeepsCursorVisible(t *testing.T) {
	m := newModel(80, 2)
	for range 4 {
		m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown})
	}
	uitest.Golden(t, "buddies_scrolled", m.View())
	if got := m.SelectedID(); got != "5" {
		t.Errorf("selected %q, want 5", got)
	}
}

func press(x, y int, b tea.MouseButton) tea.MouseMsg {
	return tea.MouseMsg{X: x, Y: y, Action: tea.MouseActionPress, Button: b}
}

func TestMouse(t *testing.T) {
	m := newModel(80, 10)
	m, cmd := m.Update(press(4, 2, tea.MouseButtonLeft))
	if cmd != nil || m.SelectedID() != "3" {
		t.Fatalf("click on row 2: selected %q, cmd %v; want Bob selected and no command", m.SelectedID(), cmd != nil)
	}
	_, cmd = m.Update(press(20, 2, tea.MouseButtonLeft))
	if cmd == nil {
		t.Fatal("click on the selected contact: no command")
	}
	if got, want := cmd(), (CallMsg{URI: "sip:bob@example.com"}); got != want {
		t.Errorf("click on the selected contact: got %#v, want %#v", got, want)
	}
	if m, _ = m.Update(press(4, 9, tea.MouseButtonLeft)); m.SelectedID() != "3" {
		t.Errorf("click below the list moved the selection to %q", m.SelectedID())
	}
	m, _ = m.Update(press(4, 0, tea.MouseButtonWheelDown))
	if m.SelectedID() != "4" {
		t.Errorf("wheel down: selected %q, want 4", m.SelectedID())
	}
	m, _ = m.Update(tea.MouseMsg{X: 4, Y: 0, Action: tea.MouseActionRelease, Button: tea.MouseButtonLeft})
	if m.SelectedID() != "4" {
		t.Errorf("a release moved the selection to %q", m.SelectedID())
	}
	// With a filter line, rows start one lower.
	m = typeKeys(m, "/a")
	if got := m.IndexAt(0); got != -1 {
		t.Errorf("IndexAt(filter line) = %d, want -1", got)
	}
	m, _ = m.Update(press(4, 2, tea.MouseButtonLeft))
	if m.Filtering() || m.SelectedID() != m.Shown()[1].ID {
		t.Errorf("click while filtering: filtering=%v selected %q, want the second match %q", m.Filtering(), m.SelectedID(), m.Shown()[1].ID)
	}
}

func TestImportKey(t *testing.T) {
	m := newModel(80, 10)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("i")})
	if cmd == nil || cmd() != (ImportMsg{}) {
		t.Error("i did not ask for an import")
	}
	found := false
	for _, g := range m.FullHelp() {
		for _, b := range g {
			found = found || b.Help().Desc == "import vCard"
		}
	}
	if !found {
		t.Error("import vCard missing from the full help")
	}
}
