// Package prompt holds the TUI's two small modal dialogs: Input, a one-line
// text prompt (the path of a vCard file to import), and Confirm, a yes/no
// question (deleting a contact). The root shows them over the screen and
// routes every key to the open one, so typing never reaches global keys.
//
// Both emit messages carrying the ID the root gave them (SubmitMsg,
// ConfirmMsg, CancelMsg), so one root can tell several prompts apart. The
// package must not import ua, media, sipcore or contacts.
package prompt

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/ui/theme"
)

// Messages the dialogs emit.
type (
	// SubmitMsg carries the text entered in an Input.
	SubmitMsg struct{ ID, Value string }
	// ConfirmMsg is the answer to a Confirm.
	ConfirmMsg struct {
		ID  string
		Yes bool
	}
	// CancelMsg says the user closed an Input with esc.
	CancelMsg struct{ ID string }
)

// Styles are the dialogs' styles.
type Styles struct {
	Box, Title, Hint lipgloss.Style
}

// DefaultStyles builds the styles from a theme.
func DefaultStyles(t theme.Theme) Styles {
	box := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if !t.Plain {
		box = box.BorderForeground(t.Accent)
	}
	return Styles{Box: box, Title: t.Bold(), Hint: t.Fg(t.Muted)}
}

// InputKeyMap holds an Input's bindings.
type InputKeyMap struct {
	Submit, Cancel key.Binding
}

// DefaultInputKeyMap returns the default bindings.
func DefaultInputKeyMap() InputKeyMap {
	return InputKeyMap{
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// Input is a one-line text prompt.
type Input struct {
	KeyMap InputKeyMap
	Styles Styles

	id, title string
	input     textinput.Model
	width     int
}

// NewInput returns a prompt; Open shows it.
func NewInput(s Styles) Input {
	ti := textinput.New()
	ti.Prompt = "> "
	ti.CharLimit = 4096
	return Input{KeyMap: DefaultInputKeyMap(), Styles: s, input: ti}
}

// Open resets the prompt with an ID (echoed in its messages), a title and a
// placeholder, and focuses the field.
func (m *Input) Open(id, title, placeholder string) tea.Cmd {
	m.id, m.title = id, title
	m.input.Placeholder = placeholder
	m.input.SetValue("")
	return m.input.Focus()
}

// SetWidth sets the width of the whole box, border included.
func (m *Input) SetWidth(w int) {
	m.width = w
	m.input.Width = max(w-4-lipgloss.Width(m.input.Prompt)-1, 1)
}

// Value is the text typed so far.
func (m Input) Value() string { return m.input.Value() }

// Update handles keys and cursor blinks.
func (m Input) Update(msg tea.Msg) (Input, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		id := m.id
		switch {
		case key.Matches(k, m.KeyMap.Submit):
			v := strings.TrimSpace(m.input.Value())
			if v == "" {
				return m, nil
			}
			m.input.Blur()
			return m, func() tea.Msg { return SubmitMsg{ID: id, Value: v} }
		case key.Matches(k, m.KeyMap.Cancel):
			m.input.Blur()
			return m, func() tea.Msg { return CancelMsg{ID: id} }
		}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// ShortHelp lists the prompt's keys.
func (m Input) ShortHelp() []key.Binding { return []key.Binding{m.KeyMap.Submit, m.KeyMap.Cancel} }

// FullHelp lists the prompt's keys.
func (m Input) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// View draws the boxed prompt.
func (m Input) View() string {
	h := help.New()
	body := m.Styles.Title.Render(m.title) + "\n" + m.input.View() + "\n" + h.ShortHelpView(m.ShortHelp())
	return box(m.Styles.Box, m.width, body)
}

// ConfirmKeyMap holds a Confirm's bindings.
type ConfirmKeyMap struct {
	Yes, No key.Binding
}

// DefaultConfirmKeyMap returns the default bindings.
func DefaultConfirmKeyMap() ConfirmKeyMap {
	return ConfirmKeyMap{
		Yes: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:  key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),
	}
}

// Confirm is a yes/no question.
type Confirm struct {
	KeyMap ConfirmKeyMap
	Styles Styles

	id, question string
	width        int
}

// NewConfirm returns a question; Open shows it.
func NewConfirm(s Styles) Confirm { return Confirm{KeyMap: DefaultConfirmKeyMap(), Styles: s} }

// Open sets the ID (echoed in ConfirmMsg) and the question.
func (m *Confirm) Open(id, question string) { m.id, m.question = id, question }

// SetWidth sets the width of the whole box, border included.
func (m *Confirm) SetWidth(w int) { m.width = w }

// Update answers on y, n or esc and ignores every other key.
func (m Confirm) Update(msg tea.Msg) (Confirm, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	id := m.id
	switch {
	case key.Matches(k, m.KeyMap.Yes):
		return m, func() tea.Msg { return ConfirmMsg{ID: id, Yes: true} }
	case key.Matches(k, m.KeyMap.No):
		return m, func() tea.Msg { return ConfirmMsg{ID: id} }
	}
	return m, nil
}

// ShortHelp lists the question's keys.
func (m Confirm) ShortHelp() []key.Binding { return []key.Binding{m.KeyMap.Yes, m.KeyMap.No} }

// FullHelp lists the question's keys.
func (m Confirm) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// View draws the boxed question.
func (m Confirm) View() string {
	h := help.New()
	return box(m.Styles.Box, m.width, m.question+"\n\n"+h.ShortHelpView(m.ShortHelp()))
}

// box renders body in the box style, w cells wide in all (0: as needed);
// longer lines wrap.
func box(s lipgloss.Style, w int, body string) string {
	if w > 0 {
		inner := max(w-s.GetHorizontalFrameSize(), 1)
		s = s.Width(inner + s.GetHorizontalPadding()) // lipgloss v1: Width counts padding, not borders
	}
	return s.Render(body)
}
