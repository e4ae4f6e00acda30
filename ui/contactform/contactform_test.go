package contactform

import (
	"reflect"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

func open(c Contact) Model {
	m := New(DefaultStyles(theme.Plain()))
	m.SetWidth(80)
	m.Open(c)
	return m
}

// press sends keys and returns the command of the last one, unrun (text
// inputs answer keys with cursor-blink timers).
func press(m Model, keys ...tea.KeyMsg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	for _, k := range keys {
		m, cmd = m.Update(k)
	}
	return m, cmd
}

// emitted runs cmd and returns its message, nil for none; a cursor blink
// (what a refocused field returns) counts as none. The blink timer bounds
// the wait.
func emitted(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if _, blink := msg.(cursor.BlinkMsg); blink {
			return nil
		}
		return msg
	case <-time.After(5 * time.Second):
		t.Fatal("command did not return")
		return nil
	}
}

func typed(s string) []tea.KeyMsg {
	var out []tea.KeyMsg
	for _, r := range s {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}

var (
	tab      = tea.KeyMsg{Type: tea.KeyTab}
	shiftTab = tea.KeyMsg{Type: tea.KeyShiftTab}
	enter    = tea.KeyMsg{Type: tea.KeyEnter}
	esc      = tea.KeyMsg{Type: tea.KeyEsc}
	space    = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
)

func TestAddFillsEveryField(t *testing.T) {
	m := open(Contact{})
	var keys []tea.KeyMsg
	keys = append(keys, typed("Carol")...)
	keys = append(keys, tab)
	keys = append(keys, typed("carol@example.com")...)
	keys = append(keys, tab)
	keys = append(keys, typed("+1 555 0100, 200")...)
	keys = append(keys, tab)
	keys = append(keys, typed("q and d")...) // letters that are global keys elsewhere
	keys = append(keys, tab, space)
	m, _ = press(m, keys...)
	if m.Focused() != FieldFavorite {
		t.Fatalf("focus = %d, want the favourite field", m.Focused())
	}
	uitest.Golden(t, "form_add_80", m.View())
	_, cmd := press(m, enter)
	msg := emitted(t, cmd)
	want := SaveMsg{Contact: Contact{Name: "Carol", URI: "carol@example.com", Numbers: []string{"+1 555 0100", "200"},
		Note: "q and d", Favorite: true}}
	if !reflect.DeepEqual(msg, want) {
		t.Errorf("enter: got %#v, want %#v", msg, want)
	}
}

func TestEditKeepsIDAndShiftTabWraps(t *testing.T) {
	m := open(Contact{ID: "7", Name: "Bob", URI: "sip:bob@example.com", Numbers: []string{"tel:+15550199"}, Favorite: true})
	if !m.Editing() {
		t.Fatal("Editing() = false for a contact with an ID")
	}
	m, _ = press(m, shiftTab) // wraps to the favourite field
	if m.Focused() != FieldFavorite {
		t.Fatalf("focus after shift+tab = %d, want %d", m.Focused(), FieldFavorite)
	}
	m, _ = press(m, space, shiftTab, shiftTab, shiftTab, tea.KeyMsg{Type: tea.KeyCtrlU})
	m, _ = press(m, typed("sips:bob@example.com")...)
	uitest.Golden(t, "form_edit_80", m.View())
	_, cmd := press(m, enter)
	msg := emitted(t, cmd)
	want := SaveMsg{Contact: Contact{ID: "7", Name: "Bob", URI: "sips:bob@example.com", Numbers: []string{"tel:+15550199"}}}
	if !reflect.DeepEqual(msg, want) {
		t.Errorf("enter: got %#v, want %#v", msg, want)
	}
}

func TestValidationErrorsInline(t *testing.T) {
	m := open(Contact{})
	m, cmd := press(m, enter)
	if msg := emitted(t, cmd); msg != nil {
		t.Fatalf("enter on an empty form emitted %#v, want nothing", msg)
	}
	if got, want := m.Err(FieldURI), ErrNoURI.Error(); got != want {
		t.Errorf("URI error = %q, want %q", got, want)
	}
	if m.Focused() != FieldURI {
		t.Errorf("focus = %d, want the URI field", m.Focused())
	}
	m, _ = press(m, typed("not an address")...)
	if m.Err(FieldURI) != "" {
		t.Errorf("typing did not clear the error: %q", m.Err(FieldURI))
	}
	m, _ = press(m, tab)
	m, _ = press(m, typed("12ab")...)
	m, cmd = press(m, enter)
	if msg := emitted(t, cmd); msg != nil {
		t.Fatalf("enter with bad addresses emitted %#v", msg)
	}
	if m.Err(FieldURI) == "" || m.Err(FieldNumbers) == "" {
		t.Errorf("errors: URI %q, numbers %q; want both set", m.Err(FieldURI), m.Err(FieldNumbers))
	}
	m.SetError("duplicate uri: sip:bob@example.com already belongs to \"Bob\"")
	uitest.Golden(t, "form_errors_80", m.View())

	// A custom validator (the root passes contacts.ValidateURI) is used.
	m = open(Contact{URI: "sip:ok@example.com"})
	m.Validate = func(string) error { return errTest }
	m, _ = press(m, enter)
	if got := m.Err(FieldURI); got != errTest.Error() {
		t.Errorf("URI error with custom validator = %q, want %q", got, errTest)
	}
}

type testErr string

func (e testErr) Error() string { return string(e) }

const errTest = testErr("rejected by validator")

func TestEscCancels(t *testing.T) {
	m := open(Contact{Name: "x", URI: "sip:x@y"})
	_, cmd := press(m, esc)
	if msg := emitted(t, cmd); msg != (CancelMsg{}) {
		t.Errorf("esc: got %#v, want CancelMsg", msg)
	}
}
