// Package chat is the TUI's conversation pane: the messages exchanged with one
// peer (SIP MESSAGE), their delivery state, and a compose field.
//
// It takes plain view models (Line) and emits SendMsg; it must not import ua,
// media, sipcore or contacts.
package chat

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/ui/theme"
)

// Delivery is the state of a message we sent.
type Delivery int

const (
	Received  Delivery = iota // an incoming message
	Sending                   // MESSAGE sent, no final response yet
	Delivered                 // 2xx
	Failed                    // a failure response or timeout; see Line.Reason
)

// Line is the view model of one message.
type Line struct {
	ID       string
	Outgoing bool
	At       time.Time
	Body     string
	State    Delivery
	Reason   string // why it failed, e.g. "404 Not Found"
}

// SendMsg asks the root to send Body to Peer.
type SendMsg struct{ Peer, Body string }

// KeyMap holds the pane's bindings.
type KeyMap struct {
	Send, ScrollUp, ScrollDown key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Send:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		ScrollUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "older")),
		ScrollDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "newer")),
	}
}

// Styles are the pane's styles.
type Styles struct {
	Title, Me, Peer, Time, Failed, Pending lipgloss.Style
}

// DefaultStyles builds the styles from a theme.
func DefaultStyles(t theme.Theme) Styles {
	return Styles{
		Title: t.Bold(), Me: t.Fg(t.Accent).Bold(!t.Plain), Peer: t.Fg(t.OK).Bold(!t.Plain),
		Time: t.Fg(t.Muted), Failed: t.Fg(t.Err), Pending: t.Fg(t.Muted),
	}
}

// Model is one conversation.
type Model struct {
	KeyMap KeyMap
	Styles Styles

	peer, title   string
	lines         []Line
	scroll        int // lines scrolled up from the bottom
	input         textinput.Model
	width, height int
	loc           *time.Location
}

// New returns an empty pane.
func New(s Styles) Model {
	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = "type a message, enter to send"
	ti.CharLimit = 4096
	return Model{KeyMap: DefaultKeyMap(), Styles: s, input: ti, loc: time.Local}
}

// SetLocation sets the time zone timestamps are shown in (tests use UTC).
func (m *Model) SetLocation(l *time.Location) { m.loc = l }

// SetConversation switches the pane to a peer and its messages.
func (m *Model) SetConversation(peer, title string, lines []Line) {
	if peer != m.peer {
		m.scroll = 0
	}
	m.peer, m.title, m.lines = peer, title, lines
}

// Peer is the URI of the conversation shown.
func (m Model) Peer() string { return m.peer }

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h; m.input.Width = max(w-3, 1) }

// Focus gives the compose field the keyboard; Blur takes it away.
func (m *Model) Focus() tea.Cmd { return m.input.Focus() }
func (m *Model) Blur()          { m.input.Blur() }

// Focused reports whether the compose field has the keyboard.
func (m Model) Focused() bool { return m.input.Focused() }

// Update handles keys while the pane has focus; the mouse wheel scrolls.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if ms, ok := msg.(tea.MouseMsg); ok { // the wheel scrolls a line at a time
		if ms.Action == tea.MouseActionPress {
			switch ms.Button {
			case tea.MouseButtonWheelUp:
				m.scroll = min(m.scroll+1, max(len(m.render())-1, 0))
			case tea.MouseButtonWheelDown:
				m.scroll = max(m.scroll-1, 0)
			}
		}
		return m, nil
	}
	if k, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(k, m.KeyMap.Send):
			body := strings.TrimSpace(m.input.Value())
			if body == "" || m.peer == "" {
				return m, nil
			}
			m.input.SetValue("")
			m.scroll = 0
			peer := m.peer
			return m, func() tea.Msg { return SendMsg{Peer: peer, Body: body} }
		case key.Matches(k, m.KeyMap.ScrollUp):
			m.scroll = min(m.scroll+max(m.height/2, 1), max(len(m.render())-1, 0))
			return m, nil
		case key.Matches(k, m.KeyMap.ScrollDown):
			m.scroll = max(m.scroll-max(m.height/2, 1), 0)
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// ShortHelp lists the keys usable now.
func (m Model) ShortHelp() []key.Binding {
	return []key.Binding{m.KeyMap.Send, m.KeyMap.ScrollUp, m.KeyMap.ScrollDown}
}

// FullHelp lists every key.
func (m Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

func (m Model) render() []string {
	var out []string
	w := m.width
	if w <= 0 {
		w = 80
	}
	for _, l := range m.lines {
		who := m.Styles.Peer.Render(m.title)
		if l.Outgoing {
			who = m.Styles.Me.Render("me")
		}
		head := m.Styles.Time.Render(l.At.In(m.loc).Format("15:04")) + " " + who + ": "
		status := ""
		if l.Outgoing {
			switch l.State {
			case Sending:
				status = m.Styles.Pending.Render(" …")
			case Delivered:
				status = m.Styles.Pending.Render(" ✓")
			case Failed:
				status = m.Styles.Failed.Render(" ✗ " + l.Reason)
			}
		}
		text := lipgloss.NewStyle().Width(max(w-lipgloss.Width(head), 10)).Render(l.Body + status)
		for i, tl := range strings.Split(text, "\n") {
			if i == 0 {
				out = append(out, head+tl)
			} else {
				out = append(out, strings.Repeat(" ", lipgloss.Width(head))+tl)
			}
		}
	}
	return out
}

// View draws the title, the newest messages that fit, and the compose field.
func (m Model) View() string {
	if m.peer == "" {
		return m.Styles.Time.Render("No conversation. Pick a contact and press t to chat.")
	}
	title := m.Styles.Title.Render("Chat with " + m.title)
	if m.title != m.peer {
		title += m.Styles.Time.Render("  " + m.peer)
	}
	body := m.render()
	room := len(body)
	if m.height > 0 {
		room = max(m.height-2, 1)
	}
	end := max(len(body)-m.scroll, 0)
	start := max(end-room, 0)
	lines := append([]string{title}, body[start:end]...)
	if len(m.lines) == 0 {
		lines = append(lines, m.Styles.Time.Render("No messages yet."))
	}
	if m.height > 0 {
		for len(lines) < m.height-1 {
			lines = append(lines, "")
		}
	}
	lines = append(lines, m.input.View())
	return strings.Join(lines, "\n")
}
