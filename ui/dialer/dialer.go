// Package dialer is the TUI's dial field: the user types a SIP or SIPS URI,
// a tel: URI, a bare number or user@host; it completes from contacts and
// history and emits DialMsg with the normalized target.
//
// It takes candidates as plain values (Candidate) and must not import ua,
// media, sipcore or contacts.
package dialer

import (
	"errors"
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/ui/theme"
)

// Candidate is something the dialer can complete to.
type Candidate struct {
	Label string // "Alice (work)"
	URI   string
}

// DialMsg asks the root to place a call.
type DialMsg struct{ Target string }

// KeyMap holds the dialer's bindings.
type KeyMap struct {
	Dial, Complete, Next, Prev, Clear key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Dial:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "call")),
		Complete: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete")),
		Next:     key.NewBinding(key.WithKeys("down", "ctrl+n"), key.WithHelp("↓", "next match")),
		Prev:     key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑", "previous match")),
		Clear:    key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "clear")),
	}
}

// Styles are the dialer's styles.
type Styles struct {
	Match, Selected, Error, Hint lipgloss.Style
}

// DefaultStyles builds the styles from a theme.
func DefaultStyles(t theme.Theme) Styles {
	return Styles{Match: t.Fg(t.Text), Selected: t.Selected(), Error: t.Fg(t.Err), Hint: t.Fg(t.Muted)}
}

// MaxMatches is how many completions are listed under the field.
const MaxMatches = 5

// Model is the dial field.
type Model struct {
	KeyMap KeyMap
	Styles Styles

	input      textinput.Model
	candidates []Candidate
	matches    []Candidate
	sel        int // -1: none
	err        string
	width      int
}

// New returns an empty dialer.
func New(s Styles) Model {
	ti := textinput.New()
	ti.Prompt = "dial: "
	ti.Placeholder = "sip:user@host, user@host, tel:+1555…, or a number"
	ti.CharLimit = 512
	return Model{KeyMap: DefaultKeyMap(), Styles: s, input: ti, sel: -1}
}

// SetCandidates sets what to complete from (contacts first, then history).
func (m *Model) SetCandidates(c []Candidate) { m.candidates = c; m.refresh() }

// SetSize sets the width.
func (m *Model) SetSize(w, _ int) { m.width = w; m.input.Width = max(w-len(m.input.Prompt)-1, 1) }

// Focus gives the field the keyboard; Blur takes it away.
func (m *Model) Focus() tea.Cmd { return m.input.Focus() }
func (m *Model) Blur()          { m.input.Blur() }

// Focused reports whether the field has the keyboard (global keys are off).
func (m Model) Focused() bool { return m.input.Focused() }

// Value is the text typed so far.
func (m Model) Value() string { return m.input.Value() }

// SetValue replaces the text (e.g. when a contact is picked elsewhere).
func (m *Model) SetValue(s string) { m.input.SetValue(s); m.input.CursorEnd(); m.refresh() }

func (m *Model) refresh() {
	q := strings.ToLower(strings.TrimSpace(m.input.Value()))
	m.matches = m.matches[:0:0]
	m.sel = -1
	if q == "" {
		return
	}
	seen := map[string]bool{}
	for _, c := range m.candidates {
		if seen[c.URI] {
			continue
		}
		if strings.Contains(strings.ToLower(c.Label), q) || strings.Contains(strings.ToLower(c.URI), q) {
			seen[c.URI] = true
			m.matches = append(m.matches, c)
			if len(m.matches) == MaxMatches {
				break
			}
		}
	}
}

// Update handles keys while the field has focus.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	switch {
	case key.Matches(k, m.KeyMap.Dial):
		text := m.input.Value()
		if m.sel >= 0 {
			text = m.matches[m.sel].URI
		}
		target, err := Normalize(text)
		if err != nil {
			m.err = err.Error()
			return m, nil
		}
		m.err = ""
		m.input.SetValue("")
		m.refresh()
		return m, func() tea.Msg { return DialMsg{Target: target} }
	case key.Matches(k, m.KeyMap.Complete):
		if len(m.matches) > 0 {
			i := max(m.sel, 0)
			m.input.SetValue(m.matches[i].URI)
			m.input.CursorEnd()
			m.refresh()
		}
		return m, nil
	case key.Matches(k, m.KeyMap.Next):
		if len(m.matches) > 0 {
			m.sel = (m.sel + 1) % len(m.matches)
		}
		return m, nil
	case key.Matches(k, m.KeyMap.Prev):
		if len(m.matches) > 0 {
			m.sel = (m.sel - 1 + len(m.matches)) % len(m.matches)
		}
		return m, nil
	case key.Matches(k, m.KeyMap.Clear):
		m.input.SetValue("")
		m.err = ""
		m.refresh()
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.err = ""
	m.refresh()
	return m, cmd
}

// ShortHelp lists the keys usable now.
func (m Model) ShortHelp() []key.Binding {
	return []key.Binding{m.KeyMap.Dial, m.KeyMap.Complete, m.KeyMap.Next, m.KeyMap.Clear}
}

// FullHelp lists every key.
func (m Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.KeyMap.Dial, m.KeyMap.Clear}, {m.KeyMap.Complete, m.KeyMap.Next, m.KeyMap.Prev}}
}

// View draws the field, an error if the last dial was refused, and matches.
func (m Model) View() string {
	lines := []string{m.input.View()}
	if m.err != "" {
		lines = append(lines, m.Styles.Error.Render("  "+m.err))
	}
	for i, c := range m.matches {
		s := "  " + c.Label + "  " + m.Styles.Hint.Render(c.URI)
		if i == m.sel {
			s = "> " + m.Styles.Selected.Render(c.Label) + "  " + m.Styles.Hint.Render(c.URI)
		}
		if m.width > 0 && lipgloss.Width(s) > m.width {
			s = lipgloss.NewStyle().MaxWidth(m.width).Render(s)
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}

// Errors from Normalize.
var (
	ErrEmpty   = errors.New("nothing to dial")
	ErrInvalid = errors.New("not a SIP address or number")
)

// Normalize turns what a user typed into a dial target: sip:, sips: and tel:
// URIs pass (scheme lower-cased); user@host becomes sip:user@host; a number
// (digits with optional leading +, and the visual separators space, '-',
// '.', '(' and ')' per RFC 3966 §5.1.1 removed) stays a bare number for the
// engine to place through the account's domain. Anything else is an error.
func Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmpty
	}
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if strings.ContainsAny(s, " \t\r\n<>\"") && !isNumberish(s) {
		return "", ErrInvalid
	}
	if scheme, rest, ok := strings.Cut(s, ":"); ok {
		switch ls := strings.ToLower(scheme); ls {
		case "sip", "sips":
			if rest == "" || strings.HasPrefix(rest, "@") || strings.HasSuffix(rest, "@") {
				return "", ErrInvalid
			}
			return ls + ":" + rest, nil
		case "tel":
			n := stripVisual(rest)
			if n == "" || !isDialString(n) {
				return "", ErrInvalid
			}
			return "tel:" + n, nil
		}
		if !strings.Contains(s, "@") {
			return "", ErrInvalid // another scheme
		}
	}
	if user, host, ok := strings.Cut(s, "@"); ok {
		if user == "" || host == "" || strings.Contains(host, "@") {
			return "", ErrInvalid
		}
		return "sip:" + s, nil
	}
	if isNumberish(s) {
		n := stripVisual(s)
		if n != "" && isDialString(n) {
			return n, nil
		}
	}
	return "", ErrInvalid
}

func isNumberish(s string) bool {
	for _, r := range s {
		if !(unicode.IsDigit(r) || strings.ContainsRune("+-.() *#", r)) {
			return false
		}
	}
	return true
}

func stripVisual(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -.()", r) {
			return -1
		}
		return r
	}, s)
}

func isDialString(s string) bool {
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#':
		case r == '+' && i == 0 && len(s) > 1:
		default:
			return false
		}
	}
	return true
}
