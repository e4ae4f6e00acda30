package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ui/uitest"
)

func TestAddContactFromForm(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("n")
	if h.app.dialog != dlgForm {
		t.Fatal("n in the contacts pane did not open the form")
	}
	// Letters that are global keys (q quits, ? helps, d dials, tab moves
	// panes) go into the form.
	h.keys("Carol q?d")
	if h.quit || h.app.showHelp || h.app.focus != paneBuddies {
		t.Fatalf("typing in the form triggered a global key: quit=%v help=%v focus=%v", h.quit, h.app.showHelp, h.app.focus)
	}
	h.keys("tab", "carol@example.com", "tab", "+1 555 0100", "tab", "tab", " ")
	h.wantView("New contact", "Carol q?d", "carol@example.com", "[x] subscribe to presence", "enter save", "esc cancel")
	uitest.Golden(t, "app_form_80x24", h.view())

	h.keys("enter")
	if h.app.dialog != dlgNone {
		t.Fatal("form still open after saving")
	}
	if got, want := h.store.changes(), `add Carol q?d carol@example.com [+1 555 0100] "" fav=true`; got != want {
		t.Errorf("store changes = %q, want %q", got, want)
	}
	h.wantView("★ Carol q?d", "saved Carol q?d")
	if got := h.eng.calls(); !strings.HasSuffix(got, "subscribe sip:carol@example.com") {
		t.Errorf("engine calls = %q, want the new favourite subscribed", got)
	}
	// Reloading the book does not subscribe again.
	before := h.eng.calls()
	h.run(h.app.loadContacts())
	if got := h.eng.calls(); got != before {
		t.Errorf("reload changed subscriptions: %q → %q", before, got)
	}
}

func TestFormValidationAndStoreErrors(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("n", "Nobody", "enter")
	h.wantView("! a contact needs a URI")
	h.keys("not a uri", "enter")
	h.wantView(`! invalid uri "not a uri"`)
	if h.store.changes() != "" {
		t.Fatalf("invalid contact reached the store: %q", h.store.changes())
	}
	h.store.addErr = errors.New(`duplicate uri: sip:bob@example.com already belongs to "Bob"`)
	h.send(tea.KeyMsg{Type: tea.KeyCtrlU})
	h.keys("sip:bob@example.com", "enter")
	if h.app.dialog != dlgForm {
		t.Fatal("form closed although the store refused the contact")
	}
	h.wantView(`! duplicate uri: sip:bob@example.com already belongs to "Bob"`)
	h.keys("esc")
	if h.app.dialog != dlgNone {
		t.Fatal("esc did not close the form")
	}
}

func TestEditContactAndFavourite(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("j", "j", "e") // Bob
	h.wantView("Edit contact", "Bob", "sip:bob@example.com", "[ ] subscribe to presence")
	h.keys("tab", "tab", "tab", "tab", " ", "enter")
	if got, want := h.store.changes(), "update 3 Bob sip:bob@example.com fav=true"; got != want {
		t.Errorf("store changes = %q, want %q", got, want)
	}
	h.wantView("★ Bob")
	if got := h.eng.calls(); !strings.HasSuffix(got, "subscribe sip:bob@example.com") {
		t.Errorf("engine calls = %q, want Bob subscribed", got)
	}
	// f un-favourites: the subscription ends.
	h.keys("f")
	if got := h.eng.calls(); !strings.HasSuffix(got, "unsubscribe sip:bob@example.com") {
		t.Errorf("engine calls = %q, want Bob unsubscribed", got)
	}
	// f again subscribes again.
	h.keys("f")
	if got := h.eng.calls(); !strings.HasSuffix(got, "unsubscribe sip:bob@example.com; subscribe sip:bob@example.com") {
		t.Errorf("engine calls = %q, want Bob subscribed again", got)
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("j", "D")
	h.wantView("Delete Alice (sip:alice@127.0.0.1)?", "y yes", "n/esc no")
	uitest.Golden(t, "app_confirm_80x24", h.view())
	h.keys("n")
	if h.app.dialog != dlgNone || h.store.changes() != "" {
		t.Fatalf("after n: dialog=%v store=%q, want closed and nothing deleted", h.app.dialog, h.store.changes())
	}
	h.keys("D", "q") // q is neither yes nor no: nothing happens, no quit
	if h.quit || h.app.dialog != dlgConfirm {
		t.Fatalf("q in the question: quit=%v dialog=%v", h.quit, h.app.dialog)
	}
	h.keys("y")
	if got, want := h.store.changes(), "delete 2"; got != want {
		t.Errorf("store changes = %q, want %q", got, want)
	}
	if strings.Contains(h.view(), "Alice") {
		t.Errorf("Alice still listed:\n%s", h.view())
	}
	if got := h.eng.calls(); !strings.HasSuffix(got, "unsubscribe sip:alice@127.0.0.1") {
		t.Errorf("engine calls = %q, want the deleted favourite unsubscribed", got)
	}
}

func TestImportVCard(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.store.importNames = []string{"Dora", "Emil"}
	h.store.importWarnings = []string{"card 3 (Fax only): no SIP address or number", "card 4: line 9: bad TEL"}
	h.keys("i")
	h.wantView("Import contacts from a vCard file", "enter ok")
	h.keys("~/c q.vcf", "enter")
	if got, want := h.store.changes(), "import ~/c q.vcf"; got != want {
		t.Errorf("store changes = %q, want %q", got, want)
	}
	h.wantView("imported 2 contacts (2 warnings): card 3 (Fax only): no SIP address or number", "Dora", "Emil")
	if h.quit {
		t.Error("q in the path quit")
	}
	h.keys("i", "esc")
	if h.app.dialog != dlgNone {
		t.Error("esc did not close the prompt")
	}
}

func click(x, y int) tea.MouseMsg {
	return tea.MouseMsg{X: x, Y: y, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft}
}

// Coordinates come from testdata/app_idle_80x24.golden: the tabs line is
// row 1 ("[Calls]" at columns 26-32, " Chat " at 34-39), contacts start on
// row 3 at column 1, the dialer is row 3 of the right pane (columns 27-78)
// and the calls start on row 5.
func TestMouseContactsAndTabs(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.send(click(3, 5)) // Bob
	if got := h.app.buddies.SelectedID(); got != "3" {
		t.Fatalf("selected %q after clicking Bob's row, want 3", got)
	}
	if strings.Contains(h.eng.calls(), "dial") {
		t.Fatalf("the first click dialled: %q", h.eng.calls())
	}
	h.send(click(10, 5)) // again: call
	if !strings.HasSuffix(h.eng.calls(), "dial sip:bob@example.com") {
		t.Fatalf("engine calls = %q, want Bob dialled on the second click", h.eng.calls())
	}

	h.send(click(36, 1)) // Chat tab
	if h.app.tab != tabChat || h.app.focus != paneMain {
		t.Fatalf("tab=%v focus=%v after clicking Chat, want chat and main", h.app.tab, h.app.focus)
	}
	h.wantView("[Chat]")
	h.send(click(27, 1)) // Calls tab
	if h.app.tab != tabCalls {
		t.Fatalf("tab=%v after clicking Calls", h.app.tab)
	}

	// A click on the unfocused list's selected contact only focuses it.
	h.send(click(3, 5))
	if h.app.focus != paneBuddies || strings.Count(h.eng.calls(), "dial") != 1 {
		t.Fatalf("focus=%v calls=%q, want the list focused and no new call", h.app.focus, h.eng.calls())
	}
	// The wheel moves the selection.
	h.send(tea.MouseMsg{X: 3, Y: 4, Action: tea.MouseActionPress, Button: tea.MouseButtonWheelUp})
	if got := h.app.buddies.SelectedID(); got != "2" {
		t.Errorf("selected %q after wheel up, want 2", got)
	}

	// The dialer line focuses the dialer.
	h.send(click(40, 3))
	if h.app.focus != paneDialer {
		t.Fatalf("focus=%v after clicking the dialer", h.app.focus)
	}
	h.keys("100")
	h.wantView("dial: 100")
}

func TestMouseSelectsCallRow(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.event(callEvent("c1", "sip:alice@127.0.0.1", 0))
	h.event(callEvent("c2", "sip:bob@example.com", 1))
	h.wantView("> Alice  dialing", "  Bob  dialing")
	h.send(click(40, 7)) // Bob's first line: rows 5-6 are Alice's call
	h.wantView("  Alice  dialing", "> Bob  dialing")
	h.keys("x")
	if !strings.HasSuffix(h.eng.calls(), "hangup c2") {
		t.Errorf("engine calls = %q, want c2 hung up", h.eng.calls())
	}
	// Mouse input is ignored while a dialog is open.
	h.send(click(3, 3))
	h.keys("D")
	h.send(click(27, 1))
	if h.app.tab != tabCalls || h.app.dialog != dlgConfirm {
		t.Errorf("tab=%v dialog=%v: a click went through the dialog", h.app.tab, h.app.dialog)
	}
}

func callEvent(id, remote string, n int) ua.Event {
	return ua.CallEvent{Call: ua.CallInfo{ID: id, Account: "demo", Direction: ua.Outgoing, Remote: remote,
		State: ua.CallDialing, Started: t0.Add(time.Duration(n) * time.Second)}}
}
