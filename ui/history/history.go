// Package history is the TUI's call history pane: recent calls with their
// direction and result, missed calls highlighted, searchable, with keys to
// call back or chat.
//
// It takes plain view models (Entry) and emits CallMsg, ChatMsg and SearchMsg;
// it must not import ua, media, sipcore or contacts.
package history

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/ui/theme"
)

// Entry is the view model of one call in history.
type Entry struct {
	ID       string
	Name     string // contact name or display name, may be empty
	URI      string
	Incoming bool
	At       time.Time
	Duration time.Duration // talk time, 0 when never answered
	Result   string        // "answered", "missed", "rejected", "busy", "failed", "cancelled", "interrupted"
	Reason   string        // e.g. "486 Busy Here"
}

// Missed reports whether the entry counts for the missed-call badge.
func (e Entry) Missed() bool { return e.Incoming && e.Result == "missed" }

// Messages the pane emits.
type (
	CallMsg   struct{ URI string }
	ChatMsg   struct{ URI string }
	SearchMsg struct{ Query string } // the root runs the search and calls SetEntries
)

// KeyMap holds the pane's bindings.
type KeyMap struct {
	Up, Down, Call, Chat, Search, ClearSearch key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Call:        key.NewBinding(key.WithKeys("enter", "c"), key.WithHelp("enter/c", "call back")),
		Chat:        key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "chat")),
		Search:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		ClearSearch: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),
	}
}

// Styles are the pane's styles.
type Styles struct {
	Name, Detail, Missed, Selected, Marker lipgloss.Style
}

// DefaultStyles builds the styles from a theme.
func DefaultStyles(t theme.Theme) Styles {
	return Styles{Name: t.Fg(t.Text), Detail: t.Fg(t.Muted), Missed: t.Fg(t.Err).Bold(!t.Plain), Selected: t.Selected(), Marker: t.Fg(t.Accent)}
}

// Model is the history pane.
type Model struct {
	KeyMap KeyMap
	Styles Styles

	entries       []Entry
	cursor        int
	offset        int
	search        textinput.Model
	searching     bool
	width, height int
	now           time.Time
	loc           *time.Location
}

// New returns an empty pane.
func New(s Styles) Model {
	ti := textinput.New()
	ti.Prompt = "search: "
	return Model{KeyMap: DefaultKeyMap(), Styles: s, search: ti, loc: time.Local}
}

// SetEntries replaces the list (newest first).
func (m *Model) SetEntries(e []Entry) {
	m.entries = e
	m.cursor = min(m.cursor, max(len(e)-1, 0))
	m.clamp()
}

// SetNow sets the clock relative dates are drawn against; SetLocation the zone.
func (m *Model) SetNow(t time.Time)           { m.now = t }
func (m *Model) SetLocation(l *time.Location) { m.loc = l }

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h; m.clamp() }

// Searching reports whether the search field has the keyboard.
func (m Model) Searching() bool { return m.searching }

// MissedCount counts the missed calls listed, for the tab badge.
func (m Model) MissedCount() int {
	n := 0
	for _, e := range m.entries {
		if e.Missed() {
			n++
		}
	}
	return n
}

func (m *Model) rows() int {
	h := m.height
	if m.searching || m.search.Value() != "" {
		h--
	}
	return max(h, 1)
}

func (m *Model) clamp() {
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if r := m.rows(); m.cursor >= m.offset+r {
		m.offset = m.cursor - r + 1
	}
}

// Update handles keys while the pane has focus, and mouse events with
// coordinates relative to the pane: a click selects a call, the wheel moves
// the selection.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if ms, ok := msg.(tea.MouseMsg); ok && ms.Action == tea.MouseActionPress {
		switch ms.Button {
		case tea.MouseButtonLeft:
			row := ms.Y
			if m.searching || m.search.Value() != "" {
				row--
			}
			if i := m.offset + row; row >= 0 && row < m.rows() && i < len(m.entries) {
				m.cursor = i
			}
		case tea.MouseButtonWheelUp:
			m.cursor = max(m.cursor-1, 0)
		case tea.MouseButtonWheelDown:
			m.cursor = max(min(m.cursor+1, len(m.entries)-1), 0)
		}
		m.clamp()
		return m, nil
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	if m.searching {
		switch k.Type {
		case tea.KeyEsc:
			m.searching = false
			m.search.Blur()
			m.search.SetValue("")
			return m, func() tea.Msg { return SearchMsg{} }
		case tea.KeyEnter:
			m.searching = false
			m.search.Blur()
			q := m.search.Value()
			return m, func() tea.Msg { return SearchMsg{Query: q} }
		}
		var cmd tea.Cmd
		m.search, cmd = m.search.Update(msg)
		return m, cmd
	}
	var cmd tea.Cmd
	var sel Entry
	if m.cursor < len(m.entries) {
		sel = m.entries[m.cursor]
	}
	switch {
	case key.Matches(k, m.KeyMap.Search):
		m.searching = true
		return m, m.search.Focus()
	case key.Matches(k, m.KeyMap.ClearSearch) && m.search.Value() != "":
		m.search.SetValue("")
		cmd = func() tea.Msg { return SearchMsg{} }
	case key.Matches(k, m.KeyMap.Up) && m.cursor > 0:
		m.cursor--
	case key.Matches(k, m.KeyMap.Down) && m.cursor+1 < len(m.entries):
		m.cursor++
	case key.Matches(k, m.KeyMap.Call) && sel.URI != "":
		uri := sel.URI
		cmd = func() tea.Msg { return CallMsg{URI: uri} }
	case key.Matches(k, m.KeyMap.Chat) && sel.URI != "":
		uri := sel.URI
		cmd = func() tea.Msg { return ChatMsg{URI: uri} }
	}
	m.clamp()
	return m, cmd
}

// ShortHelp lists the keys usable now.
func (m Model) ShortHelp() []key.Binding {
	return []key.Binding{m.KeyMap.Call, m.KeyMap.Chat, m.KeyMap.Search}
}

// FullHelp lists every key.
func (m Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.KeyMap.Up, m.KeyMap.Down}, {m.KeyMap.Call, m.KeyMap.Chat}, {m.KeyMap.Search, m.KeyMap.ClearSearch}}
}

// View draws the search line (when in use) and one line per call.
func (m Model) View() string {
	var lines []string
	if m.searching || m.search.Value() != "" {
		lines = append(lines, m.search.View())
	}
	if len(m.entries) == 0 {
		return strings.Join(append(lines, m.Styles.Detail.Render("No calls yet.")), "\n")
	}
	end := len(m.entries)
	if m.height > 0 {
		end = min(end, m.offset+m.rows())
	}
	for i := m.offset; i < end; i++ {
		lines = append(lines, m.line(m.entries[i], i == m.cursor))
	}
	return strings.Join(lines, "\n")
}

func (m Model) line(e Entry, selected bool) string {
	marker := "  "
	if selected {
		marker = m.Styles.Marker.Render("> ")
	}
	arrow := "→"
	if e.Incoming {
		arrow = "←"
	}
	name := e.Name
	if name == "" {
		name = e.URI
	}
	result := e.Result
	if e.Duration > 0 {
		result = formatDuration(e.Duration)
	}
	if e.Reason != "" && e.Result != "answered" {
		result += " (" + e.Reason + ")"
	}
	nameStyle := m.Styles.Name
	switch {
	case selected:
		nameStyle = m.Styles.Selected
	case e.Missed():
		nameStyle = m.Styles.Missed
	}
	resStyle := m.Styles.Detail
	if e.Missed() {
		resStyle = m.Styles.Missed
	}
	s := marker + m.Styles.Detail.Render(fmt.Sprintf("%-12s", m.when(e.At))) + " " + arrow + " " + nameStyle.Render(name) + "  " + resStyle.Render(result)
	if m.width > 0 && lipgloss.Width(s) > m.width {
		s = lipgloss.NewStyle().MaxWidth(m.width).Render(s)
	}
	return s
}

func (m Model) when(t time.Time) string {
	t = t.In(m.loc)
	now := m.now.In(m.loc)
	switch {
	case m.now.IsZero():
		return t.Format("2006-01-02 15:04")
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return "today " + t.Format("15:04")
	case now.Sub(t) < 7*24*time.Hour:
		return t.Format("Mon 15:04")
	}
	return t.Format("Jan 02 15:04")
}

func formatDuration(d time.Duration) string {
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
