package prompt

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func TestInputSubmitAndCancel(t *testing.T) {
	m := NewInput(DefaultStyles(theme.Plain()))
	m.SetWidth(60)
	m.Open("import", "Import contacts from a vCard file", "path to a .vcf file")
	for _, r := range " ~/x y.vcf " {
		m, _ = m.Update(runes(string(r)))
	}
	uitest.Golden(t, "input_60", m.View())
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if got, want := cmd(), (SubmitMsg{ID: "import", Value: "~/x y.vcf"}); got != want {
		t.Errorf("enter: got %#v, want %#v", got, want)
	}
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if got, want := cmd(), (CancelMsg{ID: "import"}); got != want {
		t.Errorf("esc: got %#v, want %#v", got, want)
	}
	m.Open("import", "again", "")
	if _, cmd = m.Update(tea.KeyMsg{Type: tea.KeyEnter}); cmd != nil {
		t.Errorf("enter on an empty prompt returned a command")
	}
}

func TestConfirm(t *testing.T) {
	m := NewConfirm(DefaultStyles(theme.Plain()))
	m.SetWidth(40)
	m.Open("delete:3", "Delete Bob (sip:bob@example.com)?")
	uitest.Golden(t, "confirm_40", m.View())
	for _, tc := range []struct {
		key  tea.KeyMsg
		want tea.Msg
	}{
		{runes("y"), ConfirmMsg{ID: "delete:3", Yes: true}},
		{runes("n"), ConfirmMsg{ID: "delete:3"}},
		{tea.KeyMsg{Type: tea.KeyEsc}, ConfirmMsg{ID: "delete:3"}},
	} {
		_, cmd := m.Update(tc.key)
		if cmd == nil {
			t.Errorf("%v: no command", tc.key)
			continue
		}
		if got := cmd(); got != tc.want {
			t.Errorf("%v: got %#v, want %#v", tc.key, got, tc.want)
		}
	}
	if _, cmd := m.Update(runes("q")); cmd != nil {
		t.Error("q answered the question")
	}
}
