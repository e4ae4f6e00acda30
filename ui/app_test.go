package ui

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ui/chat"
	"github.com/teaphone/teaphone/ui/history"
	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/uitest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

type fakeEngine struct {
	mu     sync.Mutex
	log    []string
	events chan ua.Event
}

func (f *fakeEngine) rec(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf(format, a...))
}
func (f *fakeEngine) calls() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.log, "; ")
}
func (f *fakeEngine) Dial(_ context.Context, acc, target string) (string, error) {
	f.rec("dial %s", target)
	return "c9", nil
}
func (f *fakeEngine) Answer(_ context.Context, id string) error { f.rec("answer %s", id); return nil }
func (f *fakeEngine) Reject(_ context.Context, id string, code int) error {
	f.rec("reject %s %d", id, code)
	return nil
}
func (f *fakeEngine) Hangup(_ context.Context, id string) error { f.rec("hangup %s", id); return nil }
func (f *fakeEngine) Hold(_ context.Context, id string, on bool) error {
	f.rec("hold %s %v", id, on)
	return nil
}
func (f *fakeEngine) Mute(_ context.Context, id string, on bool) error {
	f.rec("mute %s %v", id, on)
	return nil
}
func (f *fakeEngine) SendDTMF(_ context.Context, id, d string) error {
	f.rec("dtmf %s %s", id, d)
	return nil
}
func (f *fakeEngine) SendMessage(_ context.Context, acc, to, body string) (string, error) {
	f.rec("message %s %q", to, body)
	return "m1", nil
}
func (f *fakeEngine) Subscribe(_ context.Context, acc, uri string) error {
	f.rec("subscribe %s", uri)
	return nil
}
func (f *fakeEngine) Unsubscribe(_ context.Context, uri string) error {
	f.rec("unsubscribe %s", uri)
	return nil
}
func (f *fakeEngine) Events() <-chan ua.Event { return f.events }

// fakeStore is an in-memory address book that logs every change.
type fakeStore struct {
	mu       sync.Mutex
	contacts []Contact
	log      []string
	nextID   int
	addErr   error // AddContact fails with it when set
	// What ImportVCard adds and returns.
	importNames    []string
	importWarnings []string
}

func (s *fakeStore) rec(format string, a ...any) { s.log = append(s.log, fmt.Sprintf(format, a...)) }

func (s *fakeStore) changes() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, "; ")
}

func (s *fakeStore) Contacts() ([]Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Contact(nil), s.contacts...), nil
}

func (s *fakeStore) find(id string) int {
	for i, c := range s.contacts {
		if c.ID == id {
			return i
		}
	}
	return -1
}

func (s *fakeStore) AddContact(c Contact) (Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addErr != nil {
		return Contact{}, s.addErr
	}
	s.nextID++
	c.ID = fmt.Sprintf("n%d", s.nextID)
	s.rec("add %s %s %v %q fav=%v", c.Name, c.URI, c.Numbers, c.Note, c.Favorite)
	s.contacts = append(s.contacts, c)
	return c, nil
}

func (s *fakeStore) UpdateContact(c Contact) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(c.ID)
	if i < 0 {
		return fmt.Errorf("no contact %s", c.ID)
	}
	s.rec("update %s %s %s fav=%v", c.ID, c.Name, c.URI, c.Favorite)
	s.contacts[i] = c
	return nil
}

func (s *fakeStore) SetFavorite(id string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec("favourite %s %v", id, on)
	if i := s.find(id); i >= 0 {
		s.contacts[i].Favorite = on
	}
	return nil
}

func (s *fakeStore) DeleteContact(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec("delete %s", id)
	if i := s.find(id); i >= 0 {
		s.contacts = append(s.contacts[:i], s.contacts[i+1:]...)
	}
	return nil
}

func (s *fakeStore) ImportVCard(path string) (int, []string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec("import %s", path)
	for i, n := range s.importNames {
		s.contacts = append(s.contacts, Contact{ID: fmt.Sprintf("v%d", i), Name: n, URI: "sip:" + strings.ToLower(n) + "@example.com"})
	}
	return len(s.importNames), s.importWarnings, nil
}
func (s *fakeStore) History(q string) ([]history.Entry, error) {
	return []history.Entry{{ID: "h1", Name: "Bob", URI: "sip:bob@example.com", Incoming: true, At: t0.Add(-time.Hour), Result: "missed"}}, nil
}
func (s *fakeStore) Conversation(peer string) ([]chat.Line, error) { return nil, nil }

// harness drives the root model the way bubbletea does: it runs returned
// commands and feeds their messages back, except engine-event reads and
// ticks, which the test supplies itself.
type harness struct {
	t     *testing.T
	app   App
	eng   *fakeEngine
	store *fakeStore
	now   time.Time
	quit  bool // a command returned tea.Quit
}

func newHarness(t *testing.T, w, h int) *harness {
	hs := &harness{t: t, eng: &fakeEngine{events: make(chan ua.Event)}, now: t0}
	hs.store = &fakeStore{contacts: []Contact{
		{ID: "1", Name: "Echo", URI: "sip:echo@127.0.0.1", Favorite: true},
		{ID: "2", Name: "Alice", URI: "sip:alice@127.0.0.1", Favorite: true},
		{ID: "3", Name: "Bob", URI: "sip:bob@example.com"},
	}}
	hs.app = New(hs.eng, hs.store, Options{Theme: theme.Plain(), Accounts: []string{"demo"},
		Now: func() time.Time { return hs.now }, Location: time.UTC})
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(hs.app.loadContacts())
	hs.run(hs.app.loadHistory(""))
	return hs
}

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	m, cmd := h.app.Update(msg)
	h.app = m.(App)
	h.run(cmd)
}

func (h *harness) event(ev ua.Event) { h.send(engineEventMsg{ev}) }

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		h.dispatch(msg)
	case <-time.After(50 * time.Millisecond):
		// A blocking read of engine events or a timer: the test feeds those.
	}
}

func (h *harness) dispatch(msg tea.Msg) {
	switch msg := msg.(type) {
	case nil, tickMsg, dropEndedMsg:
	case tea.QuitMsg:
		h.quit = true
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
	default:
		if fmt.Sprintf("%T", msg) == "tea.sequenceMsg" { // unexported []tea.Cmd: run in order
			v := reflect.ValueOf(msg)
			for i := range v.Len() {
				if c, ok := v.Index(i).Interface().(tea.Cmd); ok {
					h.run(c)
				}
			}
			return
		}
		h.send(msg)
	}
}

func (h *harness) keys(s ...string) {
	for _, k := range s {
		switch k {
		case "tab":
			h.send(tea.KeyMsg{Type: tea.KeyTab})
		case "shift+tab":
			h.send(tea.KeyMsg{Type: tea.KeyShiftTab})
		case "down":
			h.send(tea.KeyMsg{Type: tea.KeyDown})
		case " ":
			h.send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
		case "enter":
			h.send(tea.KeyMsg{Type: tea.KeyEnter})
		case "esc":
			h.send(tea.KeyMsg{Type: tea.KeyEsc})
		case "alt+1", "alt+2":
			h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k[4:]), Alt: true})
		default:
			for _, r := range k {
				h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			}
		}
	}
}

func (h *harness) view() string { return uitest.Normalize(h.app.View()) }

func (h *harness) wantView(contains ...string) {
	h.t.Helper()
	v := h.view()
	for _, c := range contains {
		if !strings.Contains(v, c) {
			h.t.Errorf("view does not contain %q:\n%s", c, v)
		}
	}
}

func TestIncomingCallFlow(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.event(ua.RegistrationEvent{Account: "demo", State: ua.RegRegistered})
	call := ua.CallInfo{ID: "c1", Account: "demo", Direction: ua.Incoming, Remote: "sip:alice@127.0.0.1",
		RemoteName: "Alice A.", Asserted: "sip:+15550100@carrier.example", State: ua.CallIncoming, Started: t0}
	h.event(ua.CallEvent{Call: call})
	h.wantView("Incoming call", "Alice", "asserted identity: sip:+15550100@carrier.example", "a answer")
	uitest.Golden(t, "app_incoming_80x24", h.view())

	// Digits and q while the modal is up do nothing.
	h.keys("q", "5")
	if got := h.eng.calls(); got != "subscribe sip:echo@127.0.0.1; subscribe sip:alice@127.0.0.1" {
		t.Fatalf("engine calls before answering = %q", got)
	}
	h.keys("a")
	if !strings.HasSuffix(h.eng.calls(), "answer c1") {
		t.Fatalf("engine calls = %q, want answer c1 last", h.eng.calls())
	}
	call.State, call.Answered, call.Codec = ua.CallActive, t0.Add(2*time.Second), "PCMU/8000"
	h.event(ua.CallEvent{Call: call})
	h.event(ua.MediaStatsEvent{CallID: "c1", MOS: 4.3, TxLevel: -20, RxLevel: -25})
	h.now = t0.Add(65 * time.Second)
	h.send(tickMsg(h.now))
	h.wantView("active 1:03", "PCMU/8000", "MOS 4.3", "[Calls (1)]")
	uitest.Golden(t, "app_active_80x24", h.view())

	h.keys("7", "h") // focus is on the calls pane: DTMF, then hold
	call.LocalHold = true
	h.event(ua.CallEvent{Call: call})
	h.wantView("on hold")
	h.keys("x")
	if want := "answer c1; dtmf c1 7; hold c1 true; hangup c1"; !strings.HasSuffix(h.eng.calls(), want) {
		t.Errorf("engine calls = %q, want suffix %q", h.eng.calls(), want)
	}
	call.State, call.Ended, call.Code, call.Reason = ua.CallEnded, h.now, 200, "hung up"
	h.event(ua.CallEvent{Call: call})
	h.wantView("ended", "call with Alice ended: hung up")
}

func TestFastTypedDigitsAreEachSent(t *testing.T) {
	h := newHarness(t, 80, 24)
	call := ua.CallInfo{ID: "c1", Direction: ua.Outgoing, Remote: "sip:echo@127.0.0.1", State: ua.CallActive,
		Started: t0, Answered: t0}
	h.event(ua.CallEvent{Call: call})
	h.keys("alt+1")
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("123")})
	if want := "dtmf c1 1; dtmf c1 2; dtmf c1 3"; !strings.HasSuffix(h.eng.calls(), want) {
		t.Errorf("engine calls = %q, want suffix %q", h.eng.calls(), want)
	}
}

func TestMessageInRaisesBadge(t *testing.T) {
	h := newHarness(t, 120, 40)
	h.event(ua.PresenceEvent{URI: "sip:alice@127.0.0.1", Presence: ua.Presence{Basic: ua.BasicOpen, Activities: []string{"away"}, Note: "lunch"}})
	h.event(ua.PresenceEvent{URI: "sip:echo@127.0.0.1", Presence: ua.Presence{Basic: ua.BasicOpen}})
	h.event(ua.MessageEvent{ID: "in1", From: "sip:echo@127.0.0.1", Body: "hello from echo", At: t0})
	h.wantView("Chat (1)", "Echo (1)", "◐ away — lunch", "● online")
	uitest.Golden(t, "app_badge_120x40", h.view())

	h.keys("alt+2")
	h.wantView("[Chat]", "hello from echo")
	if strings.Contains(h.view(), "Chat (1)") {
		t.Errorf("badge still shown after opening the chat:\n%s", h.view())
	}
	h.keys("hi there", "enter")
	h.wantView("me: hi there …")
	if !strings.Contains(h.eng.calls(), `message sip:echo@127.0.0.1 "hi there"`) {
		t.Errorf("engine calls = %q, want the message sent", h.eng.calls())
	}
	h.event(ua.MessageStatusEvent{ID: "m1", State: ua.MessageDelivered, Code: 200})
	h.wantView("me: hi there ✓")
}

func TestTypingInDialerNeverTriggersGlobalKeys(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("d") // focus the dialer
	h.keys("quit?")
	if h.app.showHelp {
		t.Fatal("'?' typed in the dialer opened the help overlay")
	}
	h.wantView("dial: quit?")
	h.keys("esc", "d")
	h.wantView("dial: quit?") // leaving the dialer keeps what was typed
	h.send(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.keys("alice@127.0.0.1", "enter")
	if !strings.Contains(h.eng.calls(), "dial sip:alice@127.0.0.1") {
		t.Errorf("engine calls = %q, want a dial", h.eng.calls())
	}
}

func TestHelpOverlayAndSmallTerminal(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("?")
	h.wantView("Keys", "next pane", "SIP trace", "quit", "new contact", "edit", "delete", "import vCard")
	h.keys("x") // any key closes
	if h.app.showHelp {
		t.Error("help still open after a key")
	}
	h.send(tea.WindowSizeMsg{Width: 40, Height: 10})
	h.wantView("at least 60×16")
}

func TestGoldenIdle(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		h := newHarness(t, size[0], size[1])
		h.event(ua.RegistrationEvent{Account: "demo", State: ua.RegFailed, Kind: ua.FailAuth, Code: 401, Reason: "401 Unauthorized: wrong password"})
		uitest.Golden(t, fmt.Sprintf("app_idle_%dx%d", size[0], size[1]), h.view())
	}
}
