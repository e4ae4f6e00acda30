// Package contactform is the TUI's contact editor: a modal form with the
// contact's name, primary URI, extra numbers, note and favourite flag (a
// favourite is a buddy whose presence teaphone subscribes to). tab and
// shift+tab move between fields, enter saves, esc cancels; addresses are
// checked as the user saves and errors show under the field concerned.
//
// It takes and emits a plain view model (Contact) in SaveMsg and CancelMsg;
// the root stores the contact. Address validation is injected (Validate),
// so the package must not import ua, media, sipcore or contacts.
package contactform

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/ui/dialer"
	"github.com/teaphone/teaphone/ui/theme"
)

// Contact is the view model the form edits.
type Contact struct {
	ID       string // "" for a new contact
	Name     string
	URI      string
	Numbers  []string
	Note     string
	Favorite bool
}

// Messages the form emits.
type (
	// SaveMsg asks the root to store Contact (add it when ID is "").
	// The form stays open until the root calls Close, or SetError when
	// the store refused the contact.
	SaveMsg struct{ Contact Contact }
	// CancelMsg says the user closed the form without saving.
	CancelMsg struct{}
)

// Field identifies one field of the form.
type Field int

// The fields in tab order.
const (
	FieldName Field = iota
	FieldURI
	FieldNumbers
	FieldNote
	FieldFavorite
	numFields
)

var labels = [numFields]string{"Name", "URI", "Numbers", "Note", "Favourite"}

// KeyMap holds the form's bindings.
type KeyMap struct {
	Next, Prev, Save, Cancel, Toggle key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:   key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous field")),
		Save:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Toggle: key.NewBinding(key.WithKeys(" ", "x"), key.WithHelp("space", "toggle")),
	}
}

// Styles are the form's styles.
type Styles struct {
	Box, Title, Label, Focused, Error, Hint lipgloss.Style
}

// DefaultStyles builds the styles from a theme.
func DefaultStyles(t theme.Theme) Styles {
	box := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if !t.Plain {
		box = box.BorderForeground(t.Accent)
	}
	return Styles{Box: box, Title: t.Bold(), Label: t.Fg(t.Muted), Focused: t.Fg(t.Accent).Bold(!t.Plain),
		Error: t.Fg(t.Err), Hint: t.Fg(t.Muted)}
}

// Validate checks one address; it returns nil for a usable one.
type Validate func(string) error

// ValidateDial is the default Validate: what the dialer accepts (sip:,
// sips:, tel:, user@host or a number).
func ValidateDial(s string) error {
	_, err := dialer.Normalize(s)
	return err
}

// ErrNoURI is shown when the URI field is empty.
var ErrNoURI = errors.New("a contact needs a URI")

// Model is the form.
type Model struct {
	KeyMap   KeyMap
	Styles   Styles
	Validate Validate

	id       string
	inputs   [FieldFavorite]textinput.Model
	favorite bool
	focus    Field
	errs     [numFields]string
	general  string // an error from the store, shown at the bottom
	width    int
}

const labelWidth = 11 // "Favourite" plus ": "

// New returns a closed form.
func New(s Styles) Model {
	m := Model{KeyMap: DefaultKeyMap(), Styles: s, Validate: ValidateDial}
	ph := [FieldFavorite]string{"(optional)", "sip:alice@example.com, alice@host, tel:+1555… or a number", "(optional) more numbers, comma-separated", "(optional)"}
	for i := range m.inputs {
		ti := textinput.New()
		ti.Prompt = ""
		ti.Placeholder = ph[i]
		ti.CharLimit = 1024
		m.inputs[i] = ti
	}
	m.SetWidth(60)
	return m
}

// Open fills the form with c (an empty Contact to add one) and focuses the
// first field.
func (m *Model) Open(c Contact) tea.Cmd {
	m.id, m.favorite = c.ID, c.Favorite
	vals := [FieldFavorite]string{c.Name, c.URI, strings.Join(c.Numbers, ", "), c.Note}
	for i := range m.inputs {
		m.inputs[i].SetValue(vals[i])
		m.inputs[i].CursorEnd()
	}
	m.errs, m.general = [numFields]string{}, ""
	return m.setFocus(FieldName)
}

// Editing reports whether the form edits an existing contact (else adds one).
func (m Model) Editing() bool { return m.id != "" }

// Focused is the field with the cursor.
func (m Model) Focused() Field { return m.focus }

// Contact returns what the form holds now, trimmed.
func (m Model) Contact() Contact {
	c := Contact{ID: m.id, Name: strings.TrimSpace(m.inputs[FieldName].Value()),
		URI: strings.TrimSpace(m.inputs[FieldURI].Value()), Note: strings.TrimSpace(m.inputs[FieldNote].Value()),
		Favorite: m.favorite}
	for _, n := range strings.Split(m.inputs[FieldNumbers].Value(), ",") {
		if n = strings.TrimSpace(n); n != "" {
			c.Numbers = append(c.Numbers, n)
		}
	}
	return c
}

// SetError shows an error from the store (a duplicate address, a failed
// save) under the form; the form stays open.
func (m *Model) SetError(s string) { m.general = s }

// Err returns the inline error of field f ("" when none).
func (m Model) Err(f Field) string { return m.errs[f] }

// SetWidth sets the width of the whole box, border included.
func (m *Model) SetWidth(w int) {
	m.width = w
	inner := w - m.Styles.Box.GetHorizontalFrameSize()
	for i := range m.inputs {
		m.inputs[i].Width = max(inner-labelWidth-2-1, 1) // marker, cursor cell
	}
}

func (m *Model) setFocus(f Field) tea.Cmd {
	m.focus = (f + numFields) % numFields
	var cmd tea.Cmd
	for i := range m.inputs {
		if Field(i) == m.focus {
			cmd = m.inputs[i].Focus()
		} else {
			m.inputs[i].Blur()
		}
	}
	return cmd
}

// validate checks every field and returns the first one in error, or -1.
func (m *Model) validate() Field {
	m.errs = [numFields]string{}
	c := m.Contact()
	check := m.Validate
	if check == nil {
		check = ValidateDial
	}
	switch {
	case c.URI == "":
		m.errs[FieldURI] = ErrNoURI.Error()
	default:
		if err := check(c.URI); err != nil {
			m.errs[FieldURI] = err.Error()
		}
	}
	for _, n := range c.Numbers {
		if err := check(n); err != nil {
			m.errs[FieldNumbers] = n + ": " + err.Error()
			break
		}
	}
	for f := range numFields {
		if m.errs[f] != "" {
			return f
		}
	}
	return -1
}

// Update handles keys while the form is open: every key is the form's.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok { // cursor blinks
		var cmd tea.Cmd
		if m.focus < FieldFavorite {
			m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
		}
		return m, cmd
	}
	switch {
	case key.Matches(k, m.KeyMap.Cancel):
		return m, func() tea.Msg { return CancelMsg{} }
	case key.Matches(k, m.KeyMap.Save):
		m.general = ""
		if f := m.validate(); f >= 0 {
			return m, m.setFocus(f)
		}
		c := m.Contact()
		return m, func() tea.Msg { return SaveMsg{Contact: c} }
	case key.Matches(k, m.KeyMap.Next):
		return m, m.setFocus(m.focus + 1)
	case key.Matches(k, m.KeyMap.Prev):
		return m, m.setFocus(m.focus - 1)
	case m.focus == FieldFavorite:
		if key.Matches(k, m.KeyMap.Toggle) {
			m.favorite = !m.favorite
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.inputs[m.focus], cmd = m.inputs[m.focus].Update(msg)
	m.errs[m.focus] = ""
	return m, cmd
}

// ShortHelp lists the form's keys usable now.
func (m Model) ShortHelp() []key.Binding {
	out := []key.Binding{m.KeyMap.Next, m.KeyMap.Save, m.KeyMap.Cancel}
	if m.focus == FieldFavorite {
		out = append(out, m.KeyMap.Toggle)
	}
	return out
}

// FullHelp lists every key of the form.
func (m Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.KeyMap.Next, m.KeyMap.Prev}, {m.KeyMap.Save, m.KeyMap.Cancel, m.KeyMap.Toggle}}
}

// View draws the boxed form.
func (m Model) View() string {
	title := "New contact"
	if m.id != "" {
		title = "Edit contact"
	}
	lines := []string{m.Styles.Title.Render(title), ""}
	pad := strings.Repeat(" ", labelWidth+2)
	for f := range numFields {
		marker, label := "  ", m.Styles.Label
		if f == m.focus {
			marker, label = "> ", m.Styles.Focused
		}
		value := ""
		if f == FieldFavorite {
			box := "[ ]"
			if m.favorite {
				box = "[x]"
			}
			value = box + " " + m.Styles.Hint.Render("subscribe to presence")
		} else {
			value = m.inputs[f].View()
		}
		lines = append(lines, marker+label.Render(padRight(labels[f]+":", labelWidth))+value)
		if m.errs[f] != "" {
			lines = append(lines, pad+m.Styles.Error.Render("! "+m.errs[f]))
		}
	}
	if m.general != "" {
		lines = append(lines, "", m.Styles.Error.Render("! "+m.general))
	}
	h := help.New()
	h.Width = max(m.width-m.Styles.Box.GetHorizontalFrameSize(), 1)
	lines = append(lines, "", h.ShortHelpView(m.ShortHelp()))
	s := m.Styles.Box
	if m.width > 0 {
		s = s.Width(max(m.width-s.GetHorizontalBorderSize(), 1)) // lipgloss v1: Width counts padding, not borders
	}
	return s.Render(strings.Join(lines, "\n"))
}

func padRight(s string, w int) string {
	if n := lipgloss.Width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
