// Package calls is the TUI's calls pane: every call the user has (incoming,
// dialing, ringing, active, held), with its timer, codec, audio level meters
// and MOS estimate, and the keys that act on the selected call.
//
// It takes plain view models (Row) and emits messages (AnswerMsg, HangupMsg,
// HoldMsg, MuteMsg, DTMFMsg); only the root ui package translates engine
// events into rows. It must not import ua, media or sipcore.
package calls

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/ui/theme"
)

// State is a call's state as the pane shows it.
type State int

const (
	Incoming   State = iota + 1 // ringing here, not answered yet
	Dialing                     // INVITE sent, nothing heard back
	Ringing                     // 180 from the far end
	EarlyMedia                  // 183 with media
	Active
	Held       // we put it on hold
	RemoteHeld // the far end put us on hold
	Ended
)

var stateNames = map[State]string{
	Incoming: "incoming", Dialing: "dialing", Ringing: "ringing", EarlyMedia: "early media",
	Active: "active", Held: "on hold", RemoteHeld: "held by peer", Ended: "ended",
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "unknown"
}

// Row is the view model of one call.
type Row struct {
	ID      string
	Remote  string // display name or URI to show
	URI     string // the remote URI, shown under the name when it differs
	State   State
	Since   time.Time // when the call entered State (answered-at for Active)
	Codec   string    // e.g. "PCMU/8000"
	MOS     float64   // 0 when unknown
	TxLevel float64   // microphone level, dBFS (≤ 0); -inf or < -60 means silence
	RxLevel float64   // speaker level, dBFS
	Muted   bool
	Reason  string // why it ended, e.g. "486 Busy Here"
}

// KeyMap holds the pane's bindings.
type KeyMap struct {
	Up, Down, Answer, Hangup, Hold, Mute, DTMF key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous call")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next call")),
		Answer: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "answer")),
		Hangup: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "hang up")),
		Hold:   key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "hold/resume")),
		Mute:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mute")),
		DTMF: key.NewBinding(key.WithKeys("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"),
			key.WithHelp("0-9*#", "DTMF")),
	}
}

// Styles are the pane's styles.
type Styles struct {
	Name, Detail, Selected, Marker lipgloss.Style
	State                          map[State]lipgloss.Style
	Plain                          bool
}

// DefaultStyles builds the styles from a theme.
func DefaultStyles(t theme.Theme) Styles {
	s := Styles{
		Name:     t.Bold(),
		Detail:   t.Fg(t.Muted),
		Selected: t.Selected(),
		Marker:   t.Fg(t.Accent),
		Plain:    t.Plain,
		State: map[State]lipgloss.Style{
			Incoming: t.Fg(t.Warn).Bold(!t.Plain), Dialing: t.Fg(t.Warn), Ringing: t.Fg(t.Warn),
			EarlyMedia: t.Fg(t.Warn), Active: t.Fg(t.OK), Held: t.Fg(t.Warn), RemoteHeld: t.Fg(t.Warn),
			Ended: t.Fg(t.Err),
		},
	}
	return s
}

// Messages the pane emits; the root turns them into engine calls.
type (
	AnswerMsg struct{ ID string }
	HangupMsg struct{ ID string }
	HoldMsg   struct {
		ID string
		On bool
	}
	MuteMsg struct {
		ID string
		On bool
	}
	DTMFMsg struct {
		ID    string
		Digit rune
	}
)

// Model is the calls pane.
type Model struct {
	KeyMap KeyMap
	Styles Styles

	rows          []Row
	cursor        int
	width, height int
	now           time.Time
}

// New returns an empty pane.
func New(s Styles) Model { return Model{KeyMap: DefaultKeyMap(), Styles: s} }

// SetRows replaces the calls shown, keeping the cursor on the same call.
func (m *Model) SetRows(rows []Row) {
	selected := m.SelectedID()
	m.rows = rows
	m.cursor = 0
	for i, r := range rows {
		if r.ID == selected {
			m.cursor = i
		}
	}
	m.updateKeys()
}

// SetNow sets the clock the timers are drawn against (the root ticks it at 1 Hz
// while a call is up; tests pass a fixed time).
func (m *Model) SetNow(t time.Time) { m.now = t }

// SetSize sets the pane's inner size.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// SelectedID is the ID of the call under the cursor, or "".
func (m Model) SelectedID() string {
	if m.cursor < len(m.rows) {
		return m.rows[m.cursor].ID
	}
	return ""
}

// Len is the number of calls shown.
func (m Model) Len() int { return len(m.rows) }

func (m *Model) updateKeys() {
	var r Row
	has := m.cursor < len(m.rows)
	if has {
		r = m.rows[m.cursor]
	}
	live := has && r.State != Ended
	m.KeyMap.Answer.SetEnabled(has && r.State == Incoming)
	m.KeyMap.Hangup.SetEnabled(live)
	m.KeyMap.Hold.SetEnabled(has && (r.State == Active || r.State == Held || r.State == RemoteHeld))
	m.KeyMap.Mute.SetEnabled(has && (r.State == Active || r.State == EarlyMedia || r.State == RemoteHeld))
	m.KeyMap.DTMF.SetEnabled(has && (r.State == Active || r.State == EarlyMedia))
	m.KeyMap.Up.SetEnabled(m.cursor > 0)
	m.KeyMap.Down.SetEnabled(m.cursor+1 < len(m.rows))
}

// Update handles keys while the pane has focus, and mouse events with
// coordinates relative to the pane: a click selects a call, the wheel moves
// the selection.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if ms, ok := msg.(tea.MouseMsg); ok && ms.Action == tea.MouseActionPress {
		switch ms.Button {
		case tea.MouseButtonLeft:
			if i := m.IndexAt(ms.Y); i >= 0 {
				m.cursor = i
			}
		case tea.MouseButtonWheelUp:
			m.cursor = max(m.cursor-1, 0)
		case tea.MouseButtonWheelDown:
			m.cursor = max(min(m.cursor+1, len(m.rows)-1), 0)
		}
		m.updateKeys()
		return m, nil
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok || len(m.rows) == 0 {
		return m, nil
	}
	r := m.rows[m.cursor]
	id := r.ID
	var cmd tea.Cmd
	switch {
	case key.Matches(k, m.KeyMap.Up):
		m.cursor--
	case key.Matches(k, m.KeyMap.Down):
		m.cursor++
	case key.Matches(k, m.KeyMap.Answer):
		cmd = func() tea.Msg { return AnswerMsg{ID: id} }
	case key.Matches(k, m.KeyMap.Hangup):
		cmd = func() tea.Msg { return HangupMsg{ID: id} }
	case key.Matches(k, m.KeyMap.Hold):
		on := r.State != Held
		cmd = func() tea.Msg { return HoldMsg{ID: id, On: on} }
	case key.Matches(k, m.KeyMap.Mute):
		on := !r.Muted
		cmd = func() tea.Msg { return MuteMsg{ID: id, On: on} }
	case key.Matches(k, m.KeyMap.DTMF):
		d := []rune(k.String())[0]
		cmd = func() tea.Msg { return DTMFMsg{ID: id, Digit: d} }
	}
	m.updateKeys()
	return m, cmd
}

// IndexAt is the index of the call drawn on line y of the view, or -1.
func (m Model) IndexAt(y int) int {
	top := 0
	for i, r := range m.rows {
		n := strings.Count(m.row(r, i == m.cursor), "\n") + 1
		if y >= top && y < top+n {
			return i
		}
		top += n
	}
	return -1
}

// ShortHelp lists the keys usable now (help.KeyMap).
func (m Model) ShortHelp() []key.Binding {
	return []key.Binding{m.KeyMap.Answer, m.KeyMap.Hangup, m.KeyMap.Hold, m.KeyMap.Mute, m.KeyMap.DTMF}
}

// FullHelp lists every key of the pane (help.KeyMap).
func (m Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{{m.KeyMap.Up, m.KeyMap.Down}, m.ShortHelp()}
}

// View draws one block of two or three lines per call.
func (m Model) View() string {
	if len(m.rows) == 0 {
		return m.Styles.Detail.Render("No calls. Dial from the dialer or pick a contact.")
	}
	var b strings.Builder
	for i, r := range m.rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.row(r, i == m.cursor))
	}
	return b.String()
}

func (m Model) row(r Row, selected bool) string {
	marker := "  "
	if selected {
		marker = m.Styles.Marker.Render("> ")
	}
	state := m.Styles.State[r.State].Render(r.State.String())
	timer := ""
	if !r.Since.IsZero() && !m.now.IsZero() && r.State != Ended {
		timer = " " + FormatDuration(m.now.Sub(r.Since))
	}
	muted := ""
	if r.Muted {
		muted = " [muted]"
	}
	name := r.Remote
	if selected && !m.Styles.Plain {
		name = m.Styles.Selected.Render(name)
	} else {
		name = m.Styles.Name.Render(name)
	}
	line1 := marker + name + "  " + state + timer + muted
	var details []string
	if r.URI != "" && r.URI != r.Remote {
		details = append(details, r.URI)
	}
	if r.State == Ended && r.Reason != "" {
		details = append(details, r.Reason)
	}
	if r.Codec != "" {
		details = append(details, r.Codec)
	}
	if r.MOS > 0 {
		details = append(details, fmt.Sprintf("MOS %.1f", r.MOS))
	}
	lines := []string{line1}
	info := strings.Join(details, " · ")
	if r.State == Active || r.State == EarlyMedia || r.State == RemoteHeld || r.State == Held {
		meters := "mic " + Meter(r.TxLevel, 8) + " · spk " + Meter(r.RxLevel, 8)
		switch {
		case info == "":
			info = meters
		case m.width > 0 && lipgloss.Width("    "+info+" · "+meters) > m.width:
			lines = append(lines, "    "+m.Styles.Detail.Render(info))
			info = meters
		default:
			info += " · " + meters
		}
	}
	lines = append(lines, "    "+m.Styles.Detail.Render(info))
	if m.width > 0 {
		for i := range lines {
			lines[i] = truncate(lines[i], m.width)
		}
	}
	return strings.Join(lines, "\n")
}

// FormatDuration renders a call timer as m:ss or h:mm:ss.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Meter draws a level in dBFS (-60..0) as a bar of width cells.
func Meter(dbfs float64, width int) string {
	if math.IsNaN(dbfs) || dbfs < -60 {
		dbfs = -60
	}
	if dbfs > 0 {
		dbfs = 0
	}
	n := int(math.Round((dbfs + 60) / 60 * float64(width)))
	return strings.Repeat("▮", n) + strings.Repeat("▯", width-n)
}

func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return lipgloss.NewStyle().MaxWidth(w).Render(s)
}
