// Package trace is the TUI's SIP trace view: the messages of one call (one
// SIP Call-ID) drawn as a ladder diagram between the endpoints, like sngrep,
// and the raw text of the selected message. The engine redacts credentials
// before messages reach this view.
//
// It takes plain view models (Message) and must not import ua, media, sipcore
// or contacts.
package trace

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/ui/theme"
)

// Message is one SIP message sent or received.
type Message struct {
	At      time.Time
	Sent    bool
	Local   string // host:port
	Remote  string // host:port
	CallID  string
	Summary string // start line, e.g. "INVITE sip:bob@example.com" or "180 Ringing"
	Raw     string
}

// KeyMap holds the view's bindings.
type KeyMap struct {
	Up, Down, Raw, PrevDialog, NextDialog key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous message")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next message")),
		Raw:        key.NewBinding(key.WithKeys("enter", "r"), key.WithHelp("enter", "raw message")),
		PrevDialog: key.NewBinding(key.WithKeys("left", "["), key.WithHelp("←/[", "previous call")),
		NextDialog: key.NewBinding(key.WithKeys("right", "]"), key.WithHelp("→/]", "next call")),
	}
}

// Styles are the view's styles.
type Styles struct {
	Header, Time, Request, Response, Selected, Raw lipgloss.Style
}

// DefaultStyles builds the styles from a theme.
func DefaultStyles(t theme.Theme) Styles {
	return Styles{
		Header: t.Bold(), Time: t.Fg(t.Muted), Request: t.Fg(t.Accent), Response: t.Fg(t.OK),
		Selected: t.Selected(), Raw: t.Fg(t.Text),
	}
}

// Model is the trace view.
type Model struct {
	KeyMap KeyMap
	Styles Styles

	msgs          []Message
	dialogs       []string // Call-IDs in order of first appearance
	dialog        int      // index into dialogs
	cursor        int      // index into the current dialog's messages
	raw           bool
	width, height int
	loc           *time.Location
}

// New returns an empty view.
func New(s Styles) Model { return Model{KeyMap: DefaultKeyMap(), Styles: s, loc: time.Local} }

// SetLocation sets the time zone times are shown in.
func (m *Model) SetLocation(l *time.Location) { m.loc = l }

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// SetMessages replaces the messages (oldest first). The view stays on the
// same call when it is still there.
func (m *Model) SetMessages(msgs []Message) {
	cur := ""
	if m.dialog < len(m.dialogs) {
		cur = m.dialogs[m.dialog]
	}
	m.msgs = msgs
	m.dialogs = m.dialogs[:0:0]
	seen := map[string]bool{}
	for _, x := range msgs {
		if !seen[x.CallID] {
			seen[x.CallID] = true
			m.dialogs = append(m.dialogs, x.CallID)
		}
	}
	m.dialog = max(len(m.dialogs)-1, 0)
	for i, d := range m.dialogs {
		if d == cur {
			m.dialog = i
		}
	}
	m.cursor = min(m.cursor, max(len(m.current())-1, 0))
}

// ShowCall switches to the call with this SIP Call-ID, if traced.
func (m *Model) ShowCall(callID string) {
	for i, d := range m.dialogs {
		if d == callID {
			m.dialog, m.cursor = i, 0
		}
	}
}

func (m Model) current() []Message {
	if m.dialog >= len(m.dialogs) {
		return nil
	}
	id := m.dialogs[m.dialog]
	var out []Message
	for _, x := range m.msgs {
		if x.CallID == id {
			out = append(out, x)
		}
	}
	return out
}

// Update handles keys while the view has focus, and the mouse wheel, which
// moves between messages.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if ms, ok := msg.(tea.MouseMsg); ok && ms.Action == tea.MouseActionPress {
		switch ms.Button {
		case tea.MouseButtonWheelUp:
			m.cursor = max(m.cursor-1, 0)
		case tea.MouseButtonWheelDown:
			m.cursor = max(min(m.cursor+1, len(m.current())-1), 0)
		}
		return m, nil
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	n := len(m.current())
	switch {
	case key.Matches(k, m.KeyMap.Up) && m.cursor > 0:
		m.cursor--
	case key.Matches(k, m.KeyMap.Down) && m.cursor+1 < n:
		m.cursor++
	case key.Matches(k, m.KeyMap.Raw):
		m.raw = !m.raw
	case key.Matches(k, m.KeyMap.PrevDialog) && m.dialog > 0:
		m.dialog, m.cursor = m.dialog-1, 0
	case key.Matches(k, m.KeyMap.NextDialog) && m.dialog+1 < len(m.dialogs):
		m.dialog, m.cursor = m.dialog+1, 0
	}
	return m, nil
}

// ShortHelp lists the keys usable now.
func (m Model) ShortHelp() []key.Binding {
	return []key.Binding{m.KeyMap.Raw, m.KeyMap.PrevDialog, m.KeyMap.NextDialog}
}

// FullHelp lists every key.
func (m Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.KeyMap.Up, m.KeyMap.Down, m.KeyMap.Raw}, {m.KeyMap.PrevDialog, m.KeyMap.NextDialog}}
}

const timeWidth = 13 // "15:04:05.000 "

// View draws the ladder of the current call, and the raw message when asked.
func (m Model) View() string {
	msgs := m.current()
	if len(msgs) == 0 {
		return m.Styles.Time.Render("No SIP traffic yet.")
	}
	width := m.width
	if width <= 0 {
		width = 80
	}
	// Endpoints in order of appearance, our side first.
	var eps []string
	idx := map[string]int{}
	add := func(e string) {
		if _, ok := idx[e]; !ok {
			idx[e] = len(eps)
			eps = append(eps, e)
		}
	}
	for _, x := range msgs {
		add(x.Local)
	}
	for _, x := range msgs {
		add(x.Remote)
	}
	cols := make([]int, len(eps))
	span := width - timeWidth - 2
	step := span
	if len(eps) > 1 {
		step = span / (len(eps) - 1)
	}
	for i := range cols {
		cols[i] = timeWidth + 1 + i*step
		if len(eps) > 1 && i == len(eps)-1 {
			cols[i] = width - 2
		}
	}

	var lines []string
	title := fmt.Sprintf("Call %d/%d  Call-ID %s", m.dialog+1, len(m.dialogs), m.dialogs[m.dialog])
	lines = append(lines, m.Styles.Header.Render(clip(title, width)))
	hdr := []rune(strings.Repeat(" ", width))
	for i, e := range eps {
		start := cols[i] - len(e)/2
		start = max(min(start, width-len(e)), 0)
		copy(hdr[start:], []rune(e))
	}
	lines = append(lines, string(hdr))

	room := len(msgs)
	if m.height > 0 {
		room = max(m.height-2, 1)
		if m.raw {
			room = max((m.height-2)/3, 1)
		}
	}
	first := max(0, min(m.cursor-room/2, len(msgs)-room))
	last := min(len(msgs), first+room)
	for i := first; i < last; i++ {
		x := msgs[i]
		from, to := idx[x.Local], idx[x.Remote]
		if !x.Sent {
			from, to = to, from
		}
		lines = append(lines, m.ladderLine(x, cols, from, to, i == m.cursor, width))
	}
	if m.raw {
		raw := strings.TrimRight(strings.ReplaceAll(msgs[m.cursor].Raw, "\r\n", "\n"), "\n")
		rl := strings.Split(raw, "\n")
		if m.height > 0 {
			rl = rl[:min(len(rl), max(m.height-len(lines)-1, 1))]
		}
		lines = append(lines, strings.Repeat("─", width))
		for _, l := range rl {
			lines = append(lines, m.Styles.Raw.Render(clip(l, width)))
		}
	}
	return strings.Join(lines, "\n")
}

func (m Model) ladderLine(x Message, cols []int, from, to int, selected bool, width int) string {
	row := []rune(strings.Repeat(" ", width))
	for _, c := range cols {
		if c < width {
			row[c] = '│'
		}
	}
	lo, hi := min(cols[from], cols[to]), max(cols[from], cols[to])
	if lo == hi { // a message to ourselves: draw a short stub
		hi = min(lo+4, width-1)
	}
	for i := lo + 1; i < hi; i++ {
		row[i] = '─'
	}
	if cols[to] > cols[from] || lo == hi {
		row[hi-1] = '▶'
	} else {
		row[lo+1] = '◀'
	}
	label := []rune(" " + x.Summary + " ")
	if avail := hi - lo - 4; len(label) > avail {
		if avail <= 1 {
			label = nil
		} else {
			label = append(label[:avail-1], '…')
		}
	}
	copy(row[lo+2+(hi-lo-3-len(label))/2:], label)
	ts := x.At.In(m.loc).Format("15:04:05.000") + " "
	line := string(row[timeWidth:])
	style := m.Styles.Request
	if isResponse(x.Summary) {
		style = m.Styles.Response
	}
	if selected {
		style = m.Styles.Selected
		ts = ts[:len(ts)-1] + ">"
	}
	return m.Styles.Time.Render(ts) + style.Render(line)
}

func isResponse(summary string) bool {
	return len(summary) >= 3 && summary[0] >= '1' && summary[0] <= '6' && summary[1] >= '0' && summary[1] <= '9'
}

func clip(s string, w int) string {
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	return string(r[:max(w-1, 0)]) + "…"
}
