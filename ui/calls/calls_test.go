package calls

import (
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func sampleRows() []Row {
	return []Row{
		{ID: "c1", Remote: "Echo", URI: "sip:echo@127.0.0.1", State: Active, Since: t0.Add(-83 * time.Second),
			Codec: "PCMU/8000", MOS: 4.38, TxLevel: -12, RxLevel: -30},
		{ID: "c2", Remote: "Bob", URI: "sip:bob@example.com", State: Incoming, Since: t0.Add(-4 * time.Second)},
		{ID: "c3", Remote: "sip:carol@example.com", URI: "sip:carol@example.com", State: Held, Since: t0.Add(-3723 * time.Second),
			Codec: "opus/48000", Muted: true, TxLevel: math.Inf(-1), RxLevel: -70},
		{ID: "c4", Remote: "Dave", State: Ended, Reason: "486 Busy Here"},
	}
}

func newModel(w int) Model {
	m := New(DefaultStyles(theme.Plain()))
	m.SetSize(w, 20)
	m.SetNow(t0)
	m.SetRows(sampleRows())
	return m
}

func TestViewGolden(t *testing.T) {
	for _, w := range []int{80, 120} {
		m := newModel(w)
		uitest.Golden(t, map[int]string{80: "calls_80", 120: "calls_120"}[w], m.View())
	}
	empty := New(DefaultStyles(theme.Plain()))
	uitest.Golden(t, "calls_empty", empty.View())
}

func press(s string) tea.KeyMsg {
	switch s {
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func run(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	return cmd()
}

func TestKeysActOnSelectedCall(t *testing.T) {
	m := newModel(80)
	var cmd tea.Cmd

	// The active call is selected: hold, mute, DTMF work; answer does not.
	if m, cmd = m.Update(press("a")); cmd != nil {
		t.Errorf("answer on an active call emitted %v", run(t, cmd))
	}
	m, cmd = m.Update(press("h"))
	if got, want := run(t, cmd), (HoldMsg{ID: "c1", On: true}); got != want {
		t.Errorf("hold: got %#v, want %#v", got, want)
	}
	m, cmd = m.Update(press("5"))
	if got, want := run(t, cmd), (DTMFMsg{ID: "c1", Digit: '5'}); got != want {
		t.Errorf("dtmf: got %#v, want %#v", got, want)
	}
	m, cmd = m.Update(press("m"))
	if got, want := run(t, cmd), (MuteMsg{ID: "c1", On: true}); got != want {
		t.Errorf("mute: got %#v, want %#v", got, want)
	}

	// Move to the incoming call: answer works, DTMF digits do nothing.
	m, _ = m.Update(press("down"))
	if got := m.SelectedID(); got != "c2" {
		t.Fatalf("selected %q after down, want c2", got)
	}
	if m, cmd = m.Update(press("7")); cmd != nil {
		t.Errorf("DTMF on a ringing incoming call emitted %v", run(t, cmd))
	}
	m, cmd = m.Update(press("a"))
	if got, want := run(t, cmd), (AnswerMsg{ID: "c2"}); got != want {
		t.Errorf("answer: got %#v, want %#v", got, want)
	}

	// The held call resumes with h.
	m, _ = m.Update(press("down"))
	_, cmd = m.Update(press("h"))
	if got, want := run(t, cmd), (HoldMsg{ID: "c3", On: false}); got != want {
		t.Errorf("resume: got %#v, want %#v", got, want)
	}
}

func TestSetRowsKeepsSelection(t *testing.T) {
	m := newModel(80)
	m, _ = m.Update(press("down"))
	rows := sampleRows()
	rows = append([]Row{{ID: "c0", Remote: "New", State: Incoming}}, rows...)
	m.SetRows(rows)
	if got := m.SelectedID(); got != "c2" {
		t.Errorf("selection after SetRows = %q, want c2", got)
	}
}

func TestFormatDurationAndMeter(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 59 * time.Second: "0:59", 83 * time.Second: "1:23", 3723 * time.Second: "1:02:03", -time.Second: "0:00"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for _, tc := range []struct {
		db   float64
		want string
	}{{0, "▮▮▮▮"}, {-60, "▯▯▯▯"}, {-30, "▮▮▯▯"}, {math.Inf(-1), "▯▯▯▯"}, {math.NaN(), "▯▯▯▯"}, {6, "▮▮▮▮"}} {
		if got := Meter(tc.db, 4); got != tc.want {
			t.Errorf("Meter(%v) = %q, want %q", tc.db, got, tc.want)
		}
	}
}

func TestMouseSelectsRow(t *testing.T) {
	m := New(DefaultStyles(theme.Plain()))
	m.SetSize(80, 10)
	m.SetRows([]Row{
		{ID: "a", Remote: "Alice", URI: "sip:alice@x", State: Active, Codec: "PCMU/8000"},
		{ID: "b", Remote: "Bob", URI: "sip:bob@x", State: Ringing},
	})
	if got := m.IndexAt(1); got != 0 {
		t.Errorf("IndexAt(1) = %d, want 0 (Alice's second line)", got)
	}
	y := strings.Count(m.row(m.rows[0], true), "\n") + 1 // Bob's first line
	m, _ = m.Update(tea.MouseMsg{X: 5, Y: y, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	if m.SelectedID() != "b" {
		t.Fatalf("click on row %d: selected %q, want b", y, m.SelectedID())
	}
	m, _ = m.Update(tea.MouseMsg{Action: tea.MouseActionPress, Button: tea.MouseButtonWheelUp})
	if m.SelectedID() != "a" {
		t.Errorf("wheel up: selected %q, want a", m.SelectedID())
	}
	if got := m.IndexAt(99); got != -1 {
		t.Errorf("IndexAt(99) = %d, want -1", got)
	}
}
