package dialer

import (
	"errors"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"sip:alice@example.com", "sip:alice@example.com", nil},
		{"SIP:alice@example.com;transport=tcp", "sip:alice@example.com;transport=tcp", nil},
		{"sips:bob@example.com:5061", "sips:bob@example.com:5061", nil},
		{"<sip:carol@[2001:db8::1]>", "sip:carol@[2001:db8::1]", nil},
		{"tel:+1-555-123-4567", "tel:+15551234567", nil},
		{"alice@example.com", "sip:alice@example.com", nil},
		{"  +44 (20) 7946.0018 ", "+442079460018", nil},
		{"*97#", "*97#", nil},
		{"1000", "1000", nil},
		{"", "", ErrEmpty},
		{"   ", "", ErrEmpty},
		{"sip:", "", ErrInvalid},
		{"sip:@host", "", ErrInvalid},
		{"http://example.com", "", ErrInvalid},
		{"hello world", "", ErrInvalid},
		{"alice@", "", ErrInvalid},
		{"@example.com", "", ErrInvalid},
		{"12+34", "", ErrInvalid},
		{"tel:abc", "", ErrInvalid},
		{"a@b@c", "", ErrInvalid},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func typed(m Model, s string) Model {
	for _, r := range s {
		m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

func newModel() Model {
	m := New(DefaultStyles(theme.Plain()))
	m.SetSize(80, 8)
	m.Focus()
	m.SetCandidates([]Candidate{
		{Label: "Alice", URI: "sip:alice@example.com"},
		{Label: "Alfred (history)", URI: "sip:alfred@example.org"},
		{Label: "Bob", URI: "sip:bob@example.com"},
		{Label: "Alice again", URI: "sip:alice@example.com"}, // duplicate URI: listed once
	})
	return m
}

func TestCompletionAndDial(t *testing.T) {
	m := typed(newModel(), "al")
	uitest.Golden(t, "dialer_matches", m.View())

	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown})
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown})
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("enter on a selected match emitted nothing")
	}
	if got, want := cmd(), (DialMsg{Target: "sip:alfred@example.org"}); got != want {
		t.Errorf("got %#v, want %#v", got, want)
	}

	m = typed(newModel(), "bo")
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if got := m.Value(); got != "sip:bob@example.com" {
		t.Errorf("tab completed to %q, want sip:bob@example.com", got)
	}
}

func TestBadTargetShowsErrorAndKeepsText(t *testing.T) {
	m := typed(newModel(), "hello world")
	m, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd != nil {
		t.Fatalf("dialing garbage emitted %#v", cmd())
	}
	if m.Value() != "hello world" {
		t.Errorf("value = %q, want the text kept", m.Value())
	}
	uitest.Golden(t, "dialer_error", m.View())
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"sip:a@b", "tel:+1", "a@b", "+1 (555)", "", "<sip:x>", "sips:@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Normalize(s)
		if err != nil {
			return
		}
		// A normalized target normalizes to itself.
		again, err := Normalize(got)
		if err != nil || again != got {
			t.Errorf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", s, got, got, again, err)
		}
	})
}
