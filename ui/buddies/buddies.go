// Package buddies is the TUI's buddy list: contacts with their live presence,
// favourites first, filtered as the user types.
//
// It takes plain view models (Buddy) and emits messages (CallMsg, ChatMsg,
// EditMsg, DeleteMsg, FavoriteMsg, AddMsg, ImportMsg); the root joins
// contacts with presence events. Mouse events reach Update with coordinates
// relative to the list's top-left cell: a click selects a contact, a click on
// the selected one calls it, the wheel moves the selection. It must not import ua, media, sipcore or contacts.
package buddies

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/ui/theme"
)

// Status is a buddy's presence as shown.
type Status int

const (
	Unknown Status = iota // no subscription or no NOTIFY yet
	Online
	Away
	Busy // on the phone, do not disturb
	Offline
)

func (s Status) String() string {
	switch s {
	case Online:
		return "online"
	case Away:
		return "away"
	case Busy:
		return "busy"
	case Offline:
		return "offline"
	}
	return "unknown"
}

func (s Status) glyph() string {
	switch s {
	case Online:
		return "●"
	case Away:
		return "◐"
	case Busy:
		return "⊘"
	case Offline:
		return "○"
	}
	return "·"
}

// Buddy is the view model of one contact.
type Buddy struct {
	ID       string
	Name     string
	URI      string
	Favorite bool
	Status   Status
	Note     string // presence note, e.g. "in a meeting"
	Unread   int    // unread messages from this contact
}

// KeyMap holds the list's bindings.
type KeyMap struct {
	Up, Down, Call, Chat, Filter, ClearFilter, Add, Edit, Delete, Favorite, Import key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Call:        key.NewBinding(key.WithKeys("enter", "c"), key.WithHelp("enter/c", "call")),
		Chat:        key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "chat")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Add:         key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new contact")),
		Edit:        key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Delete:      key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "delete")),
		Favorite:    key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "favourite")),
		Import:      key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "import vCard")),
	}
}

// Styles are the list's styles.
type Styles struct {
	Name, Detail, Selected, Marker, Badge lipgloss.Style
	Status                                map[Status]lipgloss.Style
}

// DefaultStyles builds the styles from a theme.
func DefaultStyles(t theme.Theme) Styles {
	return Styles{
		Name:     t.Fg(t.Text),
		Detail:   t.Fg(t.Muted),
		Selected: t.Selected(),
		Marker:   t.Fg(t.Accent),
		Badge:    t.Fg(t.Err).Bold(!t.Plain),
		Status: map[Status]lipgloss.Style{
			Unknown: t.Fg(t.Muted), Online: t.Fg(t.OK), Away: t.Fg(t.Warn), Busy: t.Fg(t.Err), Offline: t.Fg(t.Muted),
		},
	}
}

// Messages the list emits.
type (
	CallMsg     struct{ URI string }
	ChatMsg     struct{ URI string }
	AddMsg      struct{}
	ImportMsg   struct{} // asks the root for a vCard file to import
	EditMsg     struct{ ID string }
	DeleteMsg   struct{ ID string }
	FavoriteMsg struct {
		ID string
		On bool
	}
)

// Model is the buddy list.
type Model struct {
	KeyMap KeyMap
	Styles Styles

	all           []Buddy
	shown         []Buddy
	cursor        int
	offset        int
	filter        textinput.Model
	filtering     bool
	width, height int
}

// New returns an empty list.
func New(s Styles) Model {
	ti := textinput.New()
	ti.Prompt = "/ "
	ti.Placeholder = "filter"
	return Model{KeyMap: DefaultKeyMap(), Styles: s, filter: ti}
}

// SetBuddies replaces the list, keeping the cursor on the same contact.
func (m *Model) SetBuddies(b []Buddy) {
	sel := m.SelectedID()
	m.all = b
	m.apply(sel)
}

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.filter.Width = max(w-4, 1)
	m.clampOffset()
}

// Filtering reports whether the filter field has the keyboard, so the root
// must not treat keys as global shortcuts.
func (m Model) Filtering() bool { return m.filtering }

// SelectedID is the ID of the contact under the cursor, or "".
func (m Model) SelectedID() string {
	if m.cursor < len(m.shown) {
		return m.shown[m.cursor].ID
	}
	return ""
}

// Shown returns the contacts currently listed (after filtering).
func (m Model) Shown() []Buddy { return m.shown }

func (m *Model) apply(keepID string) {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.shown = m.shown[:0:0]
	for _, b := range m.all {
		if q == "" || strings.Contains(strings.ToLower(b.Name), q) || strings.Contains(strings.ToLower(b.URI), q) {
			m.shown = append(m.shown, b)
		}
	}
	m.cursor = 0
	for i, b := range m.shown {
		if b.ID == keepID {
			m.cursor = i
		}
	}
	m.clampOffset()
	m.updateKeys()
}

func (m *Model) listHeight() int {
	h := m.height
	if m.filtering || m.filter.Value() != "" {
		h--
	}
	return max(h, 1)
}

func (m *Model) clampOffset() {
	h := m.listHeight()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
}

func (m *Model) updateKeys() {
	has := m.cursor < len(m.shown)
	for _, b := range []*key.Binding{&m.KeyMap.Call, &m.KeyMap.Chat, &m.KeyMap.Edit, &m.KeyMap.Delete, &m.KeyMap.Favorite} {
		b.SetEnabled(has)
	}
	m.KeyMap.ClearFilter.SetEnabled(m.filtering || m.filter.Value() != "")
	m.KeyMap.Up.SetEnabled(m.cursor > 0)
	m.KeyMap.Down.SetEnabled(m.cursor+1 < len(m.shown))
}

// Update handles keys while the list has focus, and mouse events (with
// coordinates relative to the list) wherever the focus is.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if ms, ok := msg.(tea.MouseMsg); ok {
		return m.mouse(ms)
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	if m.filtering {
		switch k.Type {
		case tea.KeyEsc:
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.apply(m.SelectedID())
			return m, nil
		case tea.KeyEnter, tea.KeyDown, tea.KeyUp:
			m.filtering = false
			m.filter.Blur()
			m.updateKeys()
			return m, nil
		}
		var cmd tea.Cmd
		m.filter, cmd = m.filter.Update(msg)
		m.apply(m.SelectedID())
		return m, cmd
	}
	var cmd tea.Cmd
	sel := Buddy{}
	if m.cursor < len(m.shown) {
		sel = m.shown[m.cursor]
	}
	switch {
	case key.Matches(k, m.KeyMap.Filter):
		m.filtering = true
		return m, m.filter.Focus()
	case key.Matches(k, m.KeyMap.ClearFilter):
		m.filter.SetValue("")
		m.apply(sel.ID)
	case key.Matches(k, m.KeyMap.Up):
		m.cursor--
	case key.Matches(k, m.KeyMap.Down):
		m.cursor++
	case key.Matches(k, m.KeyMap.Call):
		uri := sel.URI
		cmd = func() tea.Msg { return CallMsg{URI: uri} }
	case key.Matches(k, m.KeyMap.Chat):
		uri := sel.URI
		cmd = func() tea.Msg { return ChatMsg{URI: uri} }
	case key.Matches(k, m.KeyMap.Add):
		cmd = func() tea.Msg { return AddMsg{} }
	case key.Matches(k, m.KeyMap.Import):
		cmd = func() tea.Msg { return ImportMsg{} }
	case key.Matches(k, m.KeyMap.Edit):
		id := sel.ID
		cmd = func() tea.Msg { return EditMsg{ID: id} }
	case key.Matches(k, m.KeyMap.Delete):
		id := sel.ID
		cmd = func() tea.Msg { return DeleteMsg{ID: id} }
	case key.Matches(k, m.KeyMap.Favorite):
		id, on := sel.ID, !sel.Favorite
		cmd = func() tea.Msg { return FavoriteMsg{ID: id, On: on} }
	}
	m.clampOffset()
	m.updateKeys()
	return m, cmd
}

// IndexAt is the index in Shown of the contact drawn on line y of the view,
// or -1.
func (m Model) IndexAt(y int) int {
	row := y
	if m.filtering || m.filter.Value() != "" {
		row--
	}
	i := m.offset + row
	if row < 0 || (m.height > 0 && row >= m.listHeight()) || i >= len(m.shown) {
		return -1
	}
	return i
}

// mouse selects the contact clicked (calling it when it already was: a
// double click calls too) and moves the selection with the wheel.
func (m Model) mouse(ms tea.MouseMsg) (Model, tea.Cmd) {
	if ms.Action != tea.MouseActionPress {
		return m, nil
	}
	switch ms.Button {
	case tea.MouseButtonWheelUp:
		m.cursor = max(m.cursor-1, 0)
	case tea.MouseButtonWheelDown:
		m.cursor = max(min(m.cursor+1, len(m.shown)-1), 0)
	case tea.MouseButtonLeft:
		i := m.IndexAt(ms.Y)
		if i < 0 || ms.X < 0 {
			return m, nil
		}
		if m.filtering {
			m.filtering = false
			m.filter.Blur()
		}
		if i == m.cursor {
			uri := m.shown[i].URI
			return m, func() tea.Msg { return CallMsg{URI: uri} }
		}
		m.cursor = i
	default:
		return m, nil
	}
	m.clampOffset()
	m.updateKeys()
	return m, nil
}

// ShortHelp lists the keys usable now.
func (m Model) ShortHelp() []key.Binding {
	if m.filtering {
		return []key.Binding{m.KeyMap.ClearFilter}
	}
	return []key.Binding{m.KeyMap.Call, m.KeyMap.Chat, m.KeyMap.Filter, m.KeyMap.Favorite}
}

// FullHelp lists every key of the list.
func (m Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{m.KeyMap.Up, m.KeyMap.Down, m.KeyMap.Filter, m.KeyMap.ClearFilter},
		{m.KeyMap.Call, m.KeyMap.Chat},
		{m.KeyMap.Add, m.KeyMap.Edit, m.KeyMap.Delete, m.KeyMap.Favorite, m.KeyMap.Import},
	}
}

// View draws the filter line (when in use) and one line per contact.
func (m Model) View() string {
	var lines []string
	if m.filtering || m.filter.Value() != "" {
		lines = append(lines, m.filter.View())
	}
	if len(m.shown) == 0 {
		if len(m.all) == 0 {
			lines = append(lines, m.Styles.Detail.Render("No contacts yet: n adds one, i imports a vCard."))
		} else {
			lines = append(lines, m.Styles.Detail.Render("No contact matches."))
		}
		return strings.Join(lines, "\n")
	}
	end := min(len(m.shown), m.offset+m.listHeight())
	if m.height == 0 {
		end = len(m.shown)
	}
	for i := m.offset; i < end; i++ {
		lines = append(lines, m.line(m.shown[i], i == m.cursor))
	}
	return strings.Join(lines, "\n")
}

func (m Model) line(b Buddy, selected bool) string {
	marker := "  "
	if selected {
		marker = m.Styles.Marker.Render("> ")
	}
	fav := " "
	if b.Favorite {
		fav = "★"
	}
	name := b.Name
	if name == "" {
		name = b.URI
	}
	st := m.Styles.Status[b.Status].Render(b.Status.glyph() + " " + b.Status.String())
	badge := ""
	if b.Unread > 0 {
		badge = " " + m.Styles.Badge.Render(fmt.Sprintf("(%d)", b.Unread))
	}
	nameStyle := m.Styles.Name
	if selected {
		nameStyle = m.Styles.Selected
	}
	s := marker + fav + " " + nameStyle.Render(name) + badge + "  " + st
	if b.Note != "" {
		s += m.Styles.Detail.Render(" — " + b.Note)
	}
	if m.width > 0 && lipgloss.Width(s) > m.width {
		s = lipgloss.NewStyle().MaxWidth(m.width).Render(s)
	}
	return s
}
