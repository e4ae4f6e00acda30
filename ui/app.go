// Package ui is teaphone's full-screen terminal interface. The root model in
// this package routes keys and engine events and lays out the components in
// the sub-packages (calls, buddies, dialer, chat, history, trace), which take
// plain view models and never see the engine.
//
// The root talks to the engine through the Engine interface declared here
// (satisfied by *ua.Agent; tests use a fake) and reads its events with one
// re-arming tea.Cmd. Every engine call runs inside a tea.Cmd. The address book
// and history come through the Store interface (main adapts contacts/).
//
// Contacts are edited in place: a modal form (ui/contactform) adds and edits
// them, a yes/no question (ui/prompt) confirms deletes, and a one-line prompt
// takes the path of a vCard file to import. The root keeps the presence
// subscriptions in step with the favourites after every change. Mouse events
// are hit-tested against the rectangles layout records (geometry) and reach
// components with coordinates relative to them.
//
// Imports: ua (types only), contacts (URI normalization and validation), the
// components, bubbletea/bubbles/lipgloss. Never media or sipcore.
package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/teaphone/teaphone/contacts"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ui/buddies"
	"github.com/teaphone/teaphone/ui/calls"
	"github.com/teaphone/teaphone/ui/chat"
	"github.com/teaphone/teaphone/ui/contactform"
	"github.com/teaphone/teaphone/ui/dialer"
	"github.com/teaphone/teaphone/ui/history"
	"github.com/teaphone/teaphone/ui/prompt"
	"github.com/teaphone/teaphone/ui/theme"
	"github.com/teaphone/teaphone/ui/trace"
)

// Engine is what the TUI needs from the engine.
type Engine interface {
	Dial(ctx context.Context, account, target string) (string, error)
	Answer(ctx context.Context, callID string) error
	Reject(ctx context.Context, callID string, code int) error
	Hangup(ctx context.Context, callID string) error
	Hold(ctx context.Context, callID string, on bool) error
	Mute(ctx context.Context, callID string, on bool) error
	SendDTMF(ctx context.Context, callID, digits string) error
	SendMessage(ctx context.Context, account, to, body string) (string, error)
	Subscribe(ctx context.Context, account, uri string) error
	Unsubscribe(ctx context.Context, uri string) error
	Events() <-chan ua.Event
}

// Contact is an address-book entry as the TUI shows and edits it.
type Contact struct {
	ID, Name, URI string   // Name may be empty (the URI is shown)
	Numbers       []string // extra addresses: tel:/sip: URIs or numbers
	Note          string
	Favorite      bool // a buddy: the TUI subscribes to its presence
}

// Store is the address book and history.
type Store interface {
	Contacts() ([]Contact, error)
	// AddContact stores a new contact (c.ID is "") and returns it with its
	// ID; UpdateContact replaces the contact with c.ID. Both fail on an
	// invalid address or one that belongs to another contact, and save the
	// contacts file when there is one.
	AddContact(c Contact) (Contact, error)
	UpdateContact(c Contact) error
	SetFavorite(id string, on bool) error
	DeleteContact(id string) error
	// ImportVCard adds the contacts of the vCard file at path, returning
	// how many were added and one warning per skipped card or property.
	ImportVCard(path string) (added int, warnings []string, err error)
	// History returns calls, newest first, matching query ("" for all).
	History(query string) ([]history.Entry, error)
	// Conversation returns the messages exchanged with peer, oldest first.
	Conversation(peer string) ([]chat.Line, error)
}

// Options configure the TUI.
type Options struct {
	Theme    theme.Theme
	Accounts []string         // account names in configuration order, for the header
	Audio    string           // audio device status for the header, e.g. "no sound device"
	Bell     func()           // rings the terminal bell (nil: none)
	Now      func() time.Time // clock (nil: time.Now); tests pin it
	Location *time.Location   // zone for times (nil: Local)
	// CmdTimeout bounds each engine call (default 35 s: a bit more than Timer B).
	CmdTimeout time.Duration
}

type pane int

const (
	paneBuddies pane = iota
	paneDialer
	paneMain
)

type tab int

// dialogKind is the modal dialog over the screen, if any.
type dialogKind int

const (
	dlgNone dialogKind = iota
	dlgForm
	dlgConfirm
	dlgImport
)

// Prompt IDs.
const (
	promptImport  = "import"
	confirmDelete = "delete:" // + contact ID
)

// rect is a screen area in cells.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool { return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h }

// geometry is where layout put things; View draws with it and mouse events
// are hit-tested against it, so the two never disagree.
type geometry struct {
	left, right, body int  // widths of the two panes; height of the panes' row
	tabsY             int  // the tabs line: " Contacts" label, then the tabs from x = left
	buddies           rect // the buddy list inside its border
	inner             rect // the right pane inside its border: dialer, a spacer, content
}

const (
	tabCalls tab = iota
	tabChat
	tabHistory
	tabTrace
)

var tabNames = []string{"Calls", "Chat", "History", "SIP trace"}

const maxTrace = 2000

// App is the root model.
type App struct {
	KeyMap KeyMap

	engine Engine
	store  Store
	opts   Options
	th     theme.Theme
	styles appStyles

	width, height int
	focus         pane
	tab           tab
	showHelp      bool

	accounts map[string]ua.RegistrationEvent
	calls    map[string]ua.CallInfo
	stats    map[string]ua.MediaStatsEvent
	presence map[string]ua.Presence // by normalized URI
	contacts []Contact
	convs    map[string][]chat.Line // by normalized peer URI
	unread   map[string]int         // by normalized peer URI
	traceLog []trace.Message
	history  []history.Entry
	modal    string // ID of the incoming call the modal shows, "" when none
	dialog   dialogKind
	// subscribed maps the normalized URI of every favourite whose presence
	// we asked for to the URI as written.
	subscribed map[string]string
	geo        geometry
	status     string
	statusAt   time.Time
	ticking    bool
	closed     bool

	buddies buddies.Model
	dialer  dialer.Model
	callsP  calls.Model
	chatP   chat.Model
	histP   history.Model
	traceP  trace.Model
	form    contactform.Model
	confirm prompt.Confirm
	input   prompt.Input
	help    help.Model
}

type appStyles struct {
	header, headerOK, headerWarn, headerErr, tab, tabActive, status, modal, muted lipgloss.Style
}

// New builds the TUI.
func New(engine Engine, store Store, opts Options) App {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.CmdTimeout <= 0 {
		opts.CmdTimeout = 35 * time.Second
	}
	t := opts.Theme
	if t.Name == "" {
		t = theme.Dark()
	}
	a := App{
		KeyMap: DefaultKeyMap(),
		engine: engine, store: store, opts: opts, th: t,
		styles: appStyles{
			header: t.Bold(), headerOK: t.Fg(t.OK), headerWarn: t.Fg(t.Warn), headerErr: t.Fg(t.Err),
			tab: t.Fg(t.Muted), tabActive: t.Fg(t.Accent).Bold(!t.Plain).Underline(!t.Plain),
			status: t.Fg(t.Err), modal: lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).Padding(0, 2),
			muted: t.Fg(t.Muted),
		},
		accounts: map[string]ua.RegistrationEvent{},
		calls:    map[string]ua.CallInfo{},
		stats:    map[string]ua.MediaStatsEvent{},
		presence: map[string]ua.Presence{},
		convs:    map[string][]chat.Line{},
		unread:   map[string]int{},
		buddies:  buddies.New(buddies.DefaultStyles(t)),
		dialer:   dialer.New(dialer.DefaultStyles(t)),
		callsP:   calls.New(calls.DefaultStyles(t)),
		chatP:    chat.New(chat.DefaultStyles(t)),
		histP:    history.New(history.DefaultStyles(t)),
		traceP:   trace.New(trace.DefaultStyles(t)),
		form:     contactform.New(contactform.DefaultStyles(t)),
		confirm:  prompt.NewConfirm(prompt.DefaultStyles(t)),
		input:    prompt.NewInput(prompt.DefaultStyles(t)),
		help:     help.New(),

		subscribed: map[string]string{},
	}
	a.form.Validate = contacts.ValidateURI
	a.chatP.SetLocation(opts.Location)
	a.histP.SetLocation(opts.Location)
	a.traceP.SetLocation(opts.Location)
	if !t.Plain {
		a.styles.modal = a.styles.modal.BorderForeground(t.Warn)
	}
	for _, name := range opts.Accounts {
		a.accounts[name] = ua.RegistrationEvent{Account: name, State: ua.RegUnregistered}
	}
	return a
}

// Messages internal to the root.
type (
	engineEventMsg  struct{ ev ua.Event }
	engineClosedMsg struct{}
	tickMsg         time.Time
	statusMsg       struct{ text string }
	contactsMsg     []Contact
	historyMsg      []history.Entry
	conversationMsg struct {
		peer  string
		lines []chat.Line
	}
	dialedMsg struct{}
	sentMsg   struct {
		peer, id string
		line     chat.Line
	}
	dropEndedMsg struct{ id string }
	// Results of store calls made for the contact dialogs.
	formErrMsg      struct{ err error }
	contactSavedMsg struct {
		contacts []Contact
		name     string
		err      error // reading the contacts back failed
	}
	importedMsg struct {
		added    int
		warnings []string
		contacts []Contact
	}
	subFailedMsg struct {
		key, what string
		err       error
	}
)

func waitForEvent(ch <-chan ua.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return engineClosedMsg{}
		}
		return engineEventMsg{ev}
	}
}

// Init loads the address book and history and starts reading events.
func (a App) Init() tea.Cmd {
	return tea.Batch(waitForEvent(a.engine.Events()), a.loadContacts(), a.loadHistory(""))
}

func (a App) loadContacts() tea.Cmd {
	st := a.store
	return func() tea.Msg {
		cs, err := st.Contacts()
		if err != nil {
			return statusMsg{"contacts: " + err.Error()}
		}
		return contactsMsg(cs)
	}
}

func (a App) loadHistory(q string) tea.Cmd {
	st := a.store
	return func() tea.Msg {
		h, err := st.History(q)
		if err != nil {
			return statusMsg{"history: " + err.Error()}
		}
		return historyMsg(h)
	}
}

func (a App) loadConversation(peer string) tea.Cmd {
	st := a.store
	return func() tea.Msg {
		lines, err := st.Conversation(peer)
		if err != nil {
			return statusMsg{"messages: " + err.Error()}
		}
		return conversationMsg{peer: peer, lines: lines}
	}
}

// engineCmd runs an engine call in a command and reports failures in the status bar.
func (a App) engineCmd(what string, f func(ctx context.Context) error) tea.Cmd {
	timeout := a.opts.CmdTimeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := f(ctx); err != nil {
			return statusMsg{what + ": " + err.Error()}
		}
		return nil
	}
}

func tick() tea.Cmd { return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) }) }

// textFocused reports whether a text field (or a dialog) has the keyboard.
func (a App) textFocused() bool {
	switch {
	case a.dialog != dlgNone:
		return true
	case a.focus == paneDialer:
		return true
	case a.focus == paneBuddies:
		return a.buddies.Filtering()
	case a.tab == tabChat:
		return a.chatP.Focused()
	case a.tab == tabHistory:
		return a.histP.Searching()
	}
	return false
}

// Update routes messages.
func (a App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.width, a.height = msg.Width, msg.Height
		a.layout()
		return a, nil
	case tea.KeyMsg:
		return a.key(msg)
	case tea.MouseMsg:
		return a.mouse(msg)
	case engineEventMsg:
		cmd := a.apply(msg.ev)
		return a, tea.Batch(cmd, waitForEvent(a.engine.Events()))
	case engineClosedMsg:
		a.closed = true
		return a, tea.Quit
	case tickMsg:
		a.refreshCalls()
		if a.liveCalls() > 0 {
			return a, tick()
		}
		a.ticking = false
		return a, nil
	case statusMsg:
		a.status, a.statusAt = msg.text, a.opts.Now()
		return a, nil
	case contactsMsg:
		return a, a.setContacts(msg)
	case historyMsg:
		a.history = msg
		a.histP.SetNow(a.opts.Now())
		a.histP.SetEntries(msg)
		a.refreshDialer()
		return a, nil
	case conversationMsg:
		key := normURI(msg.peer)
		a.convs[key] = mergeLines(msg.lines, a.convs[key])
		a.refreshChat()
		return a, nil
	case sentMsg:
		key := normURI(msg.peer)
		msg.line.ID = msg.id
		a.convs[key] = append(a.convs[key], msg.line)
		a.refreshChat()
		return a, nil
	case dropEndedMsg:
		if c, ok := a.calls[msg.id]; ok && c.State == ua.CallEnded {
			delete(a.calls, msg.id)
			delete(a.stats, msg.id)
			a.refreshCalls()
		}
		return a, nil
	case dialedMsg:
		a.tab, a.focus = tabCalls, paneMain
		a.dialer.Blur()
		return a, nil

	// Component messages → engine calls.
	case dialer.DialMsg:
		return a, a.dial(msg.Target)
	case buddies.CallMsg:
		return a, a.dial(msg.URI)
	case history.CallMsg:
		return a, a.dial(msg.URI)
	case buddies.ChatMsg:
		return a, a.openChat(msg.URI)
	case history.ChatMsg:
		return a, a.openChat(msg.URI)
	case history.SearchMsg:
		return a, a.loadHistory(msg.Query)
	case buddies.FavoriteMsg:
		id, on := msg.ID, msg.On
		return a, a.storeCmd("favourite", func(st Store) error { return st.SetFavorite(id, on) })
	case subFailedMsg:
		if a.subscribed[msg.key] != "" && msg.what == "subscribe" {
			delete(a.subscribed, msg.key) // the next change of favourites retries
		}
		a.status, a.statusAt = msg.what+" "+msg.key+": "+msg.err.Error(), a.opts.Now()
		return a, nil

	// The contact dialogs.
	case buddies.AddMsg:
		a.dialog = dlgForm
		return a, a.form.Open(contactform.Contact{})
	case buddies.EditMsg:
		c, ok := a.contactByID(msg.ID)
		if !ok {
			return a, nil
		}
		a.dialog = dlgForm
		return a, a.form.Open(contactform.Contact{ID: c.ID, Name: c.Name, URI: c.URI,
			Numbers: append([]string(nil), c.Numbers...), Note: c.Note, Favorite: c.Favorite})
	case contactform.CancelMsg:
		a.dialog = dlgNone
		return a, nil
	case contactform.SaveMsg:
		return a, a.saveContact(msg.Contact)
	case formErrMsg:
		if a.dialog == dlgForm {
			a.form.SetError(msg.err.Error())
		}
		return a, nil
	case contactSavedMsg:
		if a.dialog == dlgForm {
			a.dialog = dlgNone
		}
		if msg.err != nil {
			a.status, a.statusAt = "contacts: "+msg.err.Error(), a.opts.Now()
			return a, nil
		}
		a.status, a.statusAt = "saved "+msg.name, a.opts.Now()
		return a, a.setContacts(msg.contacts)
	case buddies.DeleteMsg:
		c, ok := a.contactByID(msg.ID)
		if !ok {
			return a, nil
		}
		q := "Delete " + c.Name + " (" + c.URI + ")?"
		if c.Name == "" {
			q = "Delete " + c.URI + "?"
		}
		a.confirm.Open(confirmDelete+c.ID, q)
		a.dialog = dlgConfirm
		return a, nil
	case prompt.ConfirmMsg:
		a.dialog = dlgNone
		if id, ok := strings.CutPrefix(msg.ID, confirmDelete); ok && msg.Yes {
			return a, a.storeCmd("delete", func(st Store) error { return st.DeleteContact(id) })
		}
		return a, nil
	case buddies.ImportMsg:
		a.dialog = dlgImport
		return a, a.input.Open(promptImport, "Import contacts from a vCard file", "path to a .vcf file")
	case prompt.CancelMsg:
		a.dialog = dlgNone
		return a, nil
	case prompt.SubmitMsg:
		a.dialog = dlgNone
		if msg.ID == promptImport {
			return a, a.importVCard(msg.Value)
		}
		return a, nil
	case importedMsg:
		st := fmt.Sprintf("imported %d %s", msg.added, plural(msg.added, "contact", "contacts"))
		if n := len(msg.warnings); n > 0 {
			st += fmt.Sprintf(" (%d %s): %s", n, plural(n, "warning", "warnings"), msg.warnings[0])
		}
		a.status, a.statusAt = st, a.opts.Now()
		return a, a.setContacts(msg.contacts)
	case chat.SendMsg:
		return a, a.sendMessage(msg.Peer, msg.Body)
	case calls.AnswerMsg:
		return a, a.answer(msg.ID)
	case calls.HangupMsg:
		id := msg.ID
		return a, a.engineCmd("hang up", func(ctx context.Context) error { return a.engine.Hangup(ctx, id) })
	case calls.HoldMsg:
		id, on := msg.ID, msg.On
		return a, a.engineCmd("hold", func(ctx context.Context) error { return a.engine.Hold(ctx, id, on) })
	case calls.MuteMsg:
		id, on := msg.ID, msg.On
		return a, a.engineCmd("mute", func(ctx context.Context) error { return a.engine.Mute(ctx, id, on) })
	case calls.DTMFMsg:
		id, d := msg.ID, string(msg.Digit)
		return a, a.engineCmd("DTMF", func(ctx context.Context) error { return a.engine.SendDTMF(ctx, id, d) })
	}
	// Anything else (cursor blinks) goes to the focused text field.
	return a.forward(msg)
}

func (a App) forward(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch {
	case a.dialog == dlgForm:
		a.form, cmd = a.form.Update(msg)
	case a.dialog == dlgImport:
		a.input, cmd = a.input.Update(msg)
	case a.dialog != dlgNone:
	case a.focus == paneDialer:
		a.dialer, cmd = a.dialer.Update(msg)
	case a.focus == paneMain && a.tab == tabChat:
		a.chatP, cmd = a.chatP.Update(msg)
	}
	return a, cmd
}

func (a App) dial(target string) tea.Cmd {
	eng, timeout := a.engine, a.opts.CmdTimeout
	return tea.Batch(func() tea.Msg { return dialedMsg{} }, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if _, err := eng.Dial(ctx, "", target); err != nil {
			return statusMsg{"dial " + target + ": " + err.Error()}
		}
		return nil
	})
}

func (a App) answer(id string) tea.Cmd {
	return a.engineCmd("answer", func(ctx context.Context) error { return a.engine.Answer(ctx, id) })
}

func (a *App) openChat(peer string) tea.Cmd {
	a.tab, a.focus = tabChat, paneMain
	delete(a.unread, normURI(peer))
	a.chatP.SetConversation(peer, a.nameFor(peer), nil)
	a.refreshChat()
	a.refreshBuddies()
	return tea.Batch(a.chatP.Focus(), a.loadConversation(peer))
}

func (a App) sendMessage(peer, body string) tea.Cmd {
	eng, timeout, now := a.engine, a.opts.CmdTimeout, a.opts.Now()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		id, err := eng.SendMessage(ctx, "", peer, body)
		line := chat.Line{Outgoing: true, At: now, Body: body, State: chat.Sending}
		if err != nil {
			line.State, line.Reason = chat.Failed, err.Error()
		}
		return sentMsg{peer: peer, id: id, line: line}
	}
}

// setContacts shows a new address book and brings the presence
// subscriptions in line with its favourites.
func (a *App) setContacts(cs []Contact) tea.Cmd {
	a.contacts = cs
	cmd := a.syncSubscriptions()
	a.refreshBuddies()
	a.refreshDialer()
	return cmd
}

// syncSubscriptions subscribes to the presence of every favourite not yet
// subscribed (in address-book order) and unsubscribes from every URI that is
// no longer a favourite's (RFC 6665 §4.1.2.3: a SUBSCRIBE with Expires 0,
// which the engine sends), forgetting its presence.
func (a *App) syncSubscriptions() tea.Cmd {
	eng, timeout := a.engine, a.opts.CmdTimeout
	call := func(key, what string, f func(ctx context.Context) error) tea.Cmd {
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if err := f(ctx); err != nil {
				return subFailedMsg{key: key, what: what, err: err}
			}
			return nil
		}
	}
	var cmds []tea.Cmd
	want := map[string]bool{}
	for _, c := range a.contacts {
		key := normURI(c.URI)
		if !c.Favorite || want[key] {
			continue
		}
		want[key] = true
		if _, ok := a.subscribed[key]; ok {
			continue
		}
		uri := c.URI
		if n, err := dialer.Normalize(uri); err == nil {
			uri = n // user@host → sip:user@host
		}
		a.subscribed[key] = uri
		cmds = append(cmds, call(key, "subscribe", func(ctx context.Context) error { return eng.Subscribe(ctx, "", uri) }))
	}
	var gone []string
	for key := range a.subscribed {
		if !want[key] {
			gone = append(gone, key)
		}
	}
	sort.Strings(gone)
	for _, key := range gone {
		uri := a.subscribed[key]
		delete(a.subscribed, key)
		delete(a.presence, key)
		cmds = append(cmds, call(key, "unsubscribe", func(ctx context.Context) error { return eng.Unsubscribe(ctx, uri) }))
	}
	return tea.Batch(cmds...)
}

func (a App) contactByID(id string) (Contact, bool) {
	for _, c := range a.contacts {
		if c.ID == id {
			return c, true
		}
	}
	return Contact{}, false
}

// storeCmd runs a change to the address book and reads the book back.
func (a App) storeCmd(what string, f func(Store) error) tea.Cmd {
	st := a.store
	return func() tea.Msg {
		if err := f(st); err != nil {
			return statusMsg{what + ": " + err.Error()}
		}
		cs, err := st.Contacts()
		if err != nil {
			return statusMsg{"contacts: " + err.Error()}
		}
		return contactsMsg(cs)
	}
}

// saveContact adds or updates the form's contact; the form stays open with
// the store's error when it refuses.
func (a App) saveContact(fc contactform.Contact) tea.Cmd {
	st := a.store
	c := Contact{ID: fc.ID, Name: fc.Name, URI: fc.URI, Numbers: fc.Numbers, Note: fc.Note, Favorite: fc.Favorite}
	return func() tea.Msg {
		var err error
		if c.ID == "" {
			_, err = st.AddContact(c)
		} else {
			err = st.UpdateContact(c)
		}
		if err != nil {
			return formErrMsg{err}
		}
		name := c.Name
		if name == "" {
			name = c.URI
		}
		cs, err := st.Contacts()
		return contactSavedMsg{contacts: cs, name: name, err: err}
	}
}

func (a App) importVCard(path string) tea.Cmd {
	st := a.store
	return func() tea.Msg {
		n, warnings, err := st.ImportVCard(path)
		if err != nil {
			return statusMsg{"import: " + err.Error()}
		}
		cs, err := st.Contacts()
		if err != nil {
			return statusMsg{"contacts: " + err.Error()}
		}
		return importedMsg{added: n, warnings: warnings, contacts: cs}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// key handles a key press: the modal first, then global keys unless a text
// field has the keyboard, then the focused component.
func (a App) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if key.Matches(k, a.KeyMap.ForceQuit) {
		return a, tea.Quit
	}
	if a.modal != "" {
		id := a.modal
		switch {
		case key.Matches(k, a.KeyMap.Answer):
			a.modal = ""
			a.tab, a.focus = tabCalls, paneMain
			return a, a.answer(id)
		case key.Matches(k, a.KeyMap.Reject):
			a.modal = ""
			return a, a.engineCmd("reject", func(ctx context.Context) error { return a.engine.Reject(ctx, id, 486) })
		case key.Matches(k, a.KeyMap.Dismiss):
			a.modal = ""
			a.tab, a.focus = tabCalls, paneMain
			return a, nil
		}
		return a, nil
	}
	// A dialog has every key: typing in it never reaches global keys.
	var cmd tea.Cmd
	switch a.dialog {
	case dlgForm:
		a.form, cmd = a.form.Update(k)
		return a, cmd
	case dlgConfirm:
		a.confirm, cmd = a.confirm.Update(k)
		return a, cmd
	case dlgImport:
		a.input, cmd = a.input.Update(k)
		return a, cmd
	}
	if a.showHelp {
		a.showHelp = false
		return a, nil
	}
	// Fast typing or a paste arrives as one event with several runes.
	// Outside text fields each rune is a key of its own (DTMF "123" is
	// three digits), handled in order.
	if k.Type == tea.KeyRunes && len(k.Runes) > 1 && !a.textFocused() {
		var m tea.Model = a
		cmds := make([]tea.Cmd, 0, len(k.Runes))
		for _, r := range k.Runes {
			var c tea.Cmd
			m, c = m.(App).key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt})
			cmds = append(cmds, c)
		}
		return m, tea.Sequence(cmds...)
	}
	if k.Type == tea.KeyEsc && a.focus == paneDialer {
		a.dialer.Blur()
		a.focus = paneMain
		return a, nil
	}
	if k.Type == tea.KeyEsc && a.focus == paneMain && a.tab == tabChat && a.chatP.Focused() {
		a.chatP.Blur()
		return a, nil
	}
	if !a.textFocused() || key.Matches(k, a.KeyMap.NextPane, a.KeyMap.PrevPane) {
		switch {
		case key.Matches(k, a.KeyMap.Quit) && !a.textFocused():
			return a, tea.Quit
		case key.Matches(k, a.KeyMap.Help) && !a.textFocused():
			a.showHelp = true
			return a, nil
		case key.Matches(k, a.KeyMap.NextPane):
			return a, a.setFocus((a.focus + 1) % 3)
		case key.Matches(k, a.KeyMap.PrevPane):
			return a, a.setFocus((a.focus + 2) % 3)
		case key.Matches(k, a.KeyMap.Dialer) && !a.textFocused():
			return a, a.setFocus(paneDialer)
		case key.Matches(k, a.KeyMap.TabCalls):
			return a, a.switchTab(tabCalls)
		case key.Matches(k, a.KeyMap.TabChat):
			return a, a.switchTab(tabChat)
		case key.Matches(k, a.KeyMap.TabHistory):
			return a, a.switchTab(tabHistory)
		case key.Matches(k, a.KeyMap.TabTrace):
			return a, a.switchTab(tabTrace)
		}
	}
	switch a.focus {
	case paneBuddies:
		a.buddies, cmd = a.buddies.Update(k)
	case paneDialer:
		a.dialer, cmd = a.dialer.Update(k)
	case paneMain:
		switch a.tab {
		case tabCalls:
			a.callsP, cmd = a.callsP.Update(k)
		case tabChat:
			if !a.chatP.Focused() && k.Type == tea.KeyEnter {
				return a, a.chatP.Focus()
			}
			a.chatP, cmd = a.chatP.Update(k)
		case tabHistory:
			a.histP, cmd = a.histP.Update(k)
		case tabTrace:
			a.traceP, cmd = a.traceP.Update(k)
		}
	}
	return a, cmd
}

// switchTab shows tab t and gives it the focus.
func (a *App) switchTab(t tab) tea.Cmd {
	a.tab, a.focus = t, paneMain
	a.dialer.Blur()
	switch t {
	case tabChat:
		a.refreshChat()
		a.refreshBuddies()
		return a.chatP.Focus()
	case tabTrace:
		a.traceP.SetMessages(a.traceLog)
	}
	return nil
}

// mouse handles clicks and the wheel (tea.WithMouseCellMotion): a click on
// a tab switches to it, on the " Contacts" label or the list focuses the
// list (and selects or calls a contact), on the dialer line focuses the
// dialer, on the content focuses it and selects the row clicked; the wheel
// scrolls the list under the pointer without moving the focus. Dialogs,
// the help overlay and the incoming-call modal take no mouse input.
func (a App) mouse(ms tea.MouseMsg) (tea.Model, tea.Cmd) {
	if a.modal != "" || a.showHelp || a.dialog != dlgNone || a.width < 60 || a.height < 16 {
		return a, nil
	}
	wheel := ms.Button == tea.MouseButtonWheelUp || ms.Button == tea.MouseButtonWheelDown
	if ms.Action != tea.MouseActionPress || !(wheel || ms.Button == tea.MouseButtonLeft) {
		return a, nil
	}
	g := a.geo
	local := func(r rect) tea.MouseMsg {
		l := ms
		l.X, l.Y = ms.X-r.x, ms.Y-r.y
		return l
	}
	var cmd, focus tea.Cmd
	switch {
	case ms.Y == g.tabsY && !wheel:
		if ms.X < g.left {
			return a, a.setFocus(paneBuddies)
		}
		if t, ok := a.tabAt(ms.X); ok {
			return a, a.switchTab(t)
		}
	case g.buddies.contains(ms.X, ms.Y):
		l := local(g.buddies)
		if !wheel && a.focus != paneBuddies {
			focus = a.setFocus(paneBuddies)
			if i := a.buddies.IndexAt(l.Y); i >= 0 && a.buddies.Shown()[i].ID == a.buddies.SelectedID() {
				return a, focus // the first click on an unfocused list never calls
			}
		}
		a.buddies, cmd = a.buddies.Update(l)
	case g.inner.contains(ms.X, ms.Y):
		top := a.contentTop()
		switch {
		case ms.Y < top-1:
			if !wheel && a.focus != paneDialer {
				focus = a.setFocus(paneDialer)
			}
		case ms.Y >= top:
			l := local(rect{x: g.inner.x, y: top})
			if !wheel && a.focus != paneMain {
				focus = a.setFocus(paneMain)
			}
			switch a.tab {
			case tabCalls:
				a.callsP, cmd = a.callsP.Update(l)
			case tabChat:
				a.chatP, cmd = a.chatP.Update(l)
			case tabHistory:
				a.histP, cmd = a.histP.Update(l)
			case tabTrace:
				a.traceP, cmd = a.traceP.Update(l)
			}
		}
	}
	return a, tea.Batch(focus, cmd)
}

// contentTop is the screen row where the current tab's content starts: below
// the dialer (one line, more while it has focus and lists matches) and a
// spacer.
func (a App) contentTop() int {
	n := 1
	if a.focus == paneDialer {
		n = lipgloss.Height(a.dialer.View())
	}
	return a.geo.inner.y + n + 1
}

func (a *App) setFocus(p pane) tea.Cmd {
	a.focus = p
	a.dialer.Blur()
	a.chatP.Blur()
	switch {
	case p == paneDialer:
		return a.dialer.Focus()
	case p == paneMain && a.tab == tabChat:
		return a.chatP.Focus()
	}
	return nil
}

// apply folds one engine event into the model.
func (a *App) apply(ev ua.Event) tea.Cmd {
	switch e := ev.(type) {
	case ua.RegistrationEvent:
		a.accounts[e.Account] = e
		if e.State == ua.RegFailed {
			a.status, a.statusAt = e.Account+": "+e.Reason, a.opts.Now()
		}
	case ua.CallEvent:
		return a.applyCall(e.Call)
	case ua.MediaStatsEvent:
		a.stats[e.CallID] = e
		a.refreshCalls()
	case ua.DTMFEvent:
		a.status, a.statusAt = fmt.Sprintf("DTMF %c received (%d ms)", e.Digit, e.Duration.Milliseconds()), a.opts.Now()
	case ua.MessageEvent:
		key := normURI(e.From)
		a.convs[key] = append(a.convs[key], chat.Line{ID: e.ID, At: e.At, Body: e.Body, State: chat.Received})
		if !(a.tab == tabChat && normURI(a.chatP.Peer()) == key) {
			a.unread[key]++
			if a.chatP.Peer() == "" {
				a.chatP.SetConversation(e.From, a.nameFor(e.From), nil)
			}
		}
		a.refreshChat()
		a.refreshBuddies()
		if a.opts.Bell != nil {
			a.opts.Bell()
		}
	case ua.MessageStatusEvent:
		for key, lines := range a.convs {
			for i := range lines {
				if lines[i].ID == e.ID && lines[i].Outgoing {
					switch e.State {
					case ua.MessageDelivered:
						lines[i].State = chat.Delivered
					case ua.MessageFailed:
						lines[i].State, lines[i].Reason = chat.Failed, reasonText(e.Code, e.Reason)
					}
					a.convs[key] = lines
				}
			}
		}
		a.refreshChat()
	case ua.PresenceEvent:
		a.presence[normURI(e.URI)] = e.Presence
		a.refreshBuddies()
	case ua.SubscriptionEvent:
		if e.State == ua.SubFailed {
			a.status, a.statusAt = "presence of "+e.URI+": "+reasonText(e.Code, e.Reason), a.opts.Now()
		}
	case ua.TraceEvent:
		a.traceLog = append(a.traceLog, trace.Message{At: e.At, Sent: e.Sent, Local: e.Local, Remote: e.Remote,
			CallID: e.CallID, Summary: e.Summary, Raw: e.Raw})
		if len(a.traceLog) > maxTrace {
			a.traceLog = a.traceLog[len(a.traceLog)-maxTrace:]
		}
		if a.tab == tabTrace {
			a.traceP.SetMessages(a.traceLog)
		}
	case ua.ErrorEvent:
		a.status, a.statusAt = e.Op+": "+e.Err, a.opts.Now()
	}
	return nil
}

func (a *App) applyCall(c ua.CallInfo) tea.Cmd {
	prev, seen := a.calls[c.ID]
	a.calls[c.ID] = c
	var cmds []tea.Cmd
	if c.State == ua.CallIncoming && !seen {
		a.modal = c.ID
		if a.opts.Bell != nil {
			a.opts.Bell()
		}
	}
	if c.State != ua.CallIncoming && a.modal == c.ID {
		a.modal = ""
	}
	if c.State == ua.CallEnded && (!seen || prev.State != ua.CallEnded) {
		id := c.ID
		cmds = append(cmds, tea.Tick(5*time.Second, func(time.Time) tea.Msg { return dropEndedMsg{id} }), a.loadHistory(""))
		if c.Reason != "" {
			a.status, a.statusAt = "call with "+a.nameFor(c.Remote)+" ended: "+c.Reason, a.opts.Now()
		}
	}
	a.refreshCalls()
	if !a.ticking && a.liveCalls() > 0 {
		a.ticking = true
		cmds = append(cmds, tick())
	}
	return tea.Batch(cmds...)
}

func (a App) liveCalls() int {
	n := 0
	for _, c := range a.calls {
		if c.State != ua.CallEnded {
			n++
		}
	}
	return n
}

func (a *App) refreshCalls() {
	list := make([]ua.CallInfo, 0, len(a.calls))
	for _, c := range a.calls {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Started.Equal(list[j].Started) {
			return list[i].Started.Before(list[j].Started)
		}
		return list[i].ID < list[j].ID
	})
	rows := make([]calls.Row, 0, len(list))
	for _, c := range list {
		r := calls.Row{ID: c.ID, Remote: a.nameFor(c.Remote), URI: c.Remote, Codec: c.Codec, Muted: c.Muted, Since: c.Started}
		if c.RemoteName != "" && r.Remote == c.Remote {
			r.Remote = c.RemoteName
		}
		switch c.State {
		case ua.CallIncoming:
			r.State = calls.Incoming
		case ua.CallDialing:
			r.State = calls.Dialing
		case ua.CallRinging:
			r.State = calls.Ringing
		case ua.CallEarlyMedia:
			r.State = calls.EarlyMedia
		case ua.CallActive:
			r.State, r.Since = calls.Active, c.Answered
			if c.LocalHold {
				r.State = calls.Held
			} else if c.RemoteHold {
				r.State = calls.RemoteHeld
			}
		case ua.CallEnded:
			r.State, r.Reason = calls.Ended, c.Reason
		}
		if s, ok := a.stats[c.ID]; ok {
			r.MOS, r.TxLevel, r.RxLevel = s.MOS, s.TxLevel, s.RxLevel
		} else {
			r.TxLevel, r.RxLevel = -90, -90
		}
		rows = append(rows, r)
	}
	a.callsP.SetNow(a.opts.Now())
	a.callsP.SetRows(rows)
}

func (a *App) refreshBuddies() {
	bs := make([]buddies.Buddy, 0, len(a.contacts))
	for _, c := range a.contacts {
		key := normURI(c.URI)
		b := buddies.Buddy{ID: c.ID, Name: c.Name, URI: c.URI, Favorite: c.Favorite, Unread: a.unread[key]}
		if p, ok := a.presence[key]; ok {
			b.Status, b.Note = buddyStatus(p), p.Note
		}
		bs = append(bs, b)
	}
	a.buddies.SetBuddies(bs)
}

func buddyStatus(p ua.Presence) buddies.Status {
	if p.Basic == ua.BasicClosed {
		return buddies.Offline
	}
	for _, act := range p.Activities {
		switch act {
		case "away", "vacation", "sleeping", "appointment":
			return buddies.Away
		case "busy", "on-the-phone", "meeting", "meal", "presentation", "performance":
			return buddies.Busy
		}
	}
	if p.Basic == ua.BasicOpen {
		return buddies.Online
	}
	return buddies.Unknown
}

func (a *App) refreshDialer() {
	var cands []dialer.Candidate
	for _, c := range a.contacts {
		label := c.Name
		if label == "" {
			label = c.URI
		}
		cands = append(cands, dialer.Candidate{Label: label, URI: c.URI})
	}
	for _, h := range a.history {
		label := h.Name
		if label == "" {
			label = h.URI
		}
		cands = append(cands, dialer.Candidate{Label: label + " (history)", URI: h.URI})
	}
	a.dialer.SetCandidates(cands)
}

func (a *App) refreshChat() {
	peer := a.chatP.Peer()
	if peer == "" {
		return
	}
	a.chatP.SetConversation(peer, a.nameFor(peer), a.convs[normURI(peer)])
	if a.tab == tabChat {
		delete(a.unread, normURI(peer))
	}
}

// nameFor is the contact name for uri, or uri itself.
func (a App) nameFor(uri string) string {
	key := normURI(uri)
	for _, c := range a.contacts {
		if normURI(c.URI) == key && c.Name != "" {
			return c.Name
		}
	}
	return uri
}

func normURI(s string) string {
	if n, err := contacts.NormalizeURI(s); err == nil {
		return n
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// mergeLines joins stored history with the lines that arrived live since
// start: stored lines older than the first live line, then the live ones
// (which carry the engine's IDs, so delivery updates still find them).
func mergeLines(stored, live []chat.Line) []chat.Line {
	if len(live) == 0 {
		return stored
	}
	var out []chat.Line
	for _, l := range stored {
		if l.At.Before(live[0].At) {
			out = append(out, l)
		}
	}
	return append(out, live...)
}

func reasonText(code int, reason string) string {
	switch {
	case code > 0 && reason != "":
		return fmt.Sprintf("%d %s", code, reason)
	case code > 0:
		return fmt.Sprint(code)
	}
	return reason
}

// leftWidth is the contacts pane's width for a terminal w columns wide.
func leftWidth(w int) int { return min(max(w/3, 24), 40) }

// layout gives each component its size and records where everything is
// drawn (geometry), for View and for hit-testing mouse events.
func (a *App) layout() {
	w, h := a.width, a.height
	left := leftWidth(w)
	right := max(w-left, 20)
	body := max(h-4, 3) // header, tabs line, status, help
	// Rows: 0 header, 1 tabs, 2 top borders, 3… pane contents.
	a.geo = geometry{left: left, right: right, body: body, tabsY: 1,
		buddies: rect{x: 1, y: 3, w: left - 2, h: body - 2},
		inner:   rect{x: left + 1, y: 3, w: right - 2, h: body - 2}}
	a.form.SetWidth(min(72, w-4))
	a.confirm.SetWidth(min(60, w-4))
	a.input.SetWidth(min(72, w-4))
	a.buddies.SetSize(left-2, body-2)
	a.dialer.SetSize(right-2, 1)
	inner := max(body-2-2, 1) // borders, dialer line, a spacer
	a.callsP.SetSize(right-2, inner)
	a.chatP.SetSize(right-2, inner)
	a.histP.SetSize(right-2, inner)
	a.traceP.SetSize(right-2, inner)
	a.help.Width = w
}

// View draws the screen.
func (a App) View() string {
	if a.width == 0 {
		return "starting…"
	}
	if a.width < 60 || a.height < 16 {
		return "teaphone needs a terminal of at least 60×16 (this one is " + fmt.Sprintf("%d×%d", a.width, a.height) + ")"
	}
	header := a.headerView()
	left, right, body := a.geo.left, a.geo.right, a.geo.body

	lp := a.th.Pane(a.focus == paneBuddies).Width(left - 2).Height(body - 2)
	leftView := lp.Render(lipgloss.NewStyle().MaxHeight(body - 2).Render(a.buddies.View()))

	var content string
	switch a.tab {
	case tabCalls:
		content = a.callsP.View()
	case tabChat:
		content = a.chatP.View()
	case tabHistory:
		content = a.histP.View()
	case tabTrace:
		content = a.traceP.View()
	}
	dial := a.dialer.View()
	if a.focus != paneDialer {
		dial = a.styles.muted.Render(strings.Split(dial, "\n")[0])
	}
	inner := lipgloss.JoinVertical(lipgloss.Left, dial, "", content)
	rp := a.th.Pane(a.focus != paneBuddies).Width(right - 2).Height(body - 2)
	rightView := rp.Render(lipgloss.NewStyle().MaxHeight(body - 2).MaxWidth(right - 2).Render(inner))

	main := lipgloss.JoinHorizontal(lipgloss.Top, leftView, rightView)
	screen := lipgloss.JoinVertical(lipgloss.Left, header, a.tabsView(left), main, a.statusView(), a.helpView())
	if a.showHelp {
		return a.overlay(a.fullHelpView())
	}
	if a.modal != "" {
		return a.overlay(a.modalView())
	}
	screen = lipgloss.NewStyle().MaxHeight(a.height).Render(screen)
	switch a.dialog {
	case dlgForm:
		screen = overlayOn(screen, a.form.View(), a.width, a.height)
	case dlgConfirm:
		screen = overlayOn(screen, a.confirm.View(), a.width, a.height)
	case dlgImport:
		screen = overlayOn(screen, a.input.View(), a.width, a.height)
	}
	return screen
}

// overlayOn draws box centred over screen (width×height cells), keeping the
// screen visible around it.
func overlayOn(screen, box string, width, height int) string {
	bg := strings.Split(screen, "\n")
	for len(bg) < height {
		bg = append(bg, "")
	}
	fg := strings.Split(box, "\n")
	fw := lipgloss.Width(box)
	x0, y0 := max((width-fw)/2, 0), max((height-len(fg))/2, 0)
	for i, line := range fg {
		y := y0 + i
		if y >= len(bg) {
			break
		}
		left := ansi.Truncate(bg[y], x0, "")
		if lw := ansi.StringWidth(left); lw < x0 {
			left += strings.Repeat(" ", x0-lw)
		}
		if lw := ansi.StringWidth(line); lw < fw {
			line += strings.Repeat(" ", fw-lw)
		}
		bg[y] = left + ansi.ResetStyle + line + ansi.ResetStyle + ansi.TruncateLeft(bg[y], x0+fw, "")
	}
	return strings.Join(bg, "\n")
}

func (a App) headerView() string {
	names := append([]string(nil), a.opts.Accounts...)
	for name := range a.accounts {
		found := false
		for _, n := range names {
			found = found || n == name
		}
		if !found {
			names = append(names, name)
		}
	}
	parts := []string{a.styles.header.Render("teaphone")}
	for _, n := range names {
		r := a.accounts[n]
		st := r.State.String()
		style := a.styles.muted
		switch r.State {
		case ua.RegRegistered, ua.RegDirect:
			style = a.styles.headerOK
		case ua.RegRegistering:
			style = a.styles.headerWarn
		case ua.RegFailed:
			style = a.styles.headerErr
			if r.Kind != ua.FailNone {
				st += " (" + r.Kind.String() + ")"
			}
		}
		parts = append(parts, n+": "+style.Render(st))
	}
	if n := a.liveCalls(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d call(s)", n))
	}
	line := strings.Join(parts, "  ")
	clock := a.opts.Now().In(a.opts.Location).Format("15:04")
	if a.opts.Audio != "" {
		clock = a.styles.muted.Render("audio: "+a.opts.Audio) + "  " + clock
	}
	pad := a.width - lipgloss.Width(line) - lipgloss.Width(clock)
	if pad < 1 {
		return lipgloss.NewStyle().MaxWidth(a.width).Render(line)
	}
	return line + strings.Repeat(" ", pad) + clock
}

func (a App) tabsView(left int) string {
	var parts []string
	for i, label := range a.tabLabels() {
		if tab(i) == a.tab {
			parts = append(parts, a.styles.tabActive.Render(label))
		} else {
			parts = append(parts, a.styles.tab.Render(label))
		}
	}
	contactsLabel := " Contacts"
	if a.focus == paneBuddies {
		contactsLabel = a.styles.tabActive.Render("[Contacts]")
	}
	return lipgloss.NewStyle().Width(left).Render(contactsLabel) + strings.Join(parts, " ")
}

// tabAt is the tab drawn at column x of the tabs line.
func (a App) tabAt(x int) (tab, bool) {
	pos := a.geo.left
	for i, label := range a.tabLabels() {
		w := lipgloss.Width(label)
		if x >= pos && x < pos+w {
			return tab(i), true
		}
		pos += w + 1
	}
	return 0, false
}

// tabLabels are the tabs as drawn (unstyled), with their badges: the
// current one in brackets, the others padded to the same width.
func (a App) tabLabels() []string {
	var out []string
	for i, name := range tabNames {
		label := name
		switch tab(i) {
		case tabChat:
			if n := a.totalUnread(); n > 0 {
				label += fmt.Sprintf(" (%d)", n)
			}
		case tabHistory:
			if n := a.histP.MissedCount(); n > 0 {
				label += fmt.Sprintf(" (%d missed)", n)
			}
		case tabCalls:
			if n := a.liveCalls(); n > 0 {
				label += fmt.Sprintf(" (%d)", n)
			}
		}
		if tab(i) == a.tab {
			out = append(out, "["+label+"]")
		} else {
			out = append(out, " "+label+" ")
		}
	}
	return out
}

func (a App) totalUnread() int {
	n := 0
	for _, u := range a.unread {
		n += u
	}
	return n
}

func (a App) statusView() string {
	if a.status == "" {
		return ""
	}
	return a.styles.status.Render(lipgloss.NewStyle().MaxWidth(a.width).Render(a.status))
}

func (a App) focusedKeys() ([]key.Binding, [][]key.Binding) {
	switch a.dialog {
	case dlgForm:
		return a.form.ShortHelp(), a.form.FullHelp()
	case dlgConfirm:
		return a.confirm.ShortHelp(), a.confirm.FullHelp()
	case dlgImport:
		return a.input.ShortHelp(), a.input.FullHelp()
	}
	switch a.focus {
	case paneBuddies:
		return a.buddies.ShortHelp(), a.buddies.FullHelp()
	case paneDialer:
		return a.dialer.ShortHelp(), a.dialer.FullHelp()
	}
	switch a.tab {
	case tabCalls:
		return a.callsP.ShortHelp(), a.callsP.FullHelp()
	case tabChat:
		return a.chatP.ShortHelp(), a.chatP.FullHelp()
	case tabHistory:
		return a.histP.ShortHelp(), a.histP.FullHelp()
	}
	return a.traceP.ShortHelp(), a.traceP.FullHelp()
}

func (a App) helpView() string {
	short, _ := a.focusedKeys()
	globals := []key.Binding{a.KeyMap.NextPane, a.KeyMap.Dialer, a.KeyMap.Help, a.KeyMap.Quit}
	switch {
	case a.dialog != dlgNone:
		globals = []key.Binding{a.KeyMap.ForceQuit}
	case a.textFocused():
		globals = []key.Binding{a.KeyMap.NextPane, a.KeyMap.ForceQuit}
	}
	return a.help.ShortHelpView(append(short, globals...))
}

func (a App) fullHelpView() string {
	_, full := a.focusedKeys()
	k := a.KeyMap
	full = append(full,
		[]key.Binding{k.NextPane, k.PrevPane, k.Dialer},
		[]key.Binding{k.TabCalls, k.TabChat, k.TabHistory, k.TabTrace},
		[]key.Binding{k.Help, k.Quit, k.ForceQuit})
	// Flow the groups into rows of columns that fit the screen.
	var blocks []string
	for _, g := range full {
		var lines []string
		kw := 0
		for _, b := range g {
			if b.Enabled() {
				kw = max(kw, lipgloss.Width(b.Help().Key))
			}
		}
		for _, b := range g {
			if b.Enabled() {
				lines = append(lines, fmt.Sprintf("%-*s %s", kw, b.Help().Key, a.styles.muted.Render(b.Help().Desc)))
			}
		}
		if len(lines) > 0 {
			blocks = append(blocks, strings.Join(lines, "\n"))
		}
	}
	avail := max(a.width-10, 20)
	var rows []string
	var row []string
	rowW := 0
	for _, b := range blocks {
		w := lipgloss.Width(b) + 3
		if rowW+w > avail && len(row) > 0 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
			row, rowW = nil, 0
		}
		row = append(row, lipgloss.NewStyle().PaddingRight(3).Render(b))
		rowW += w
	}
	if len(row) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, row...))
	}
	return a.styles.header.Render("Keys") + "  " + a.styles.muted.Render("(any key closes)") + "\n\n" + strings.Join(rows, "\n\n")
}

func (a App) modalView() string {
	c := a.calls[a.modal]
	who := c.RemoteName
	if n := a.nameFor(c.Remote); n != c.Remote {
		who = n
	}
	lines := []string{a.styles.header.Render("Incoming call")}
	if who != "" {
		lines = append(lines, who)
	}
	lines = append(lines, c.Remote)
	if c.Asserted != "" && c.Asserted != c.Remote {
		lines = append(lines, "asserted identity: "+c.Asserted)
	}
	if c.Account != "" {
		lines = append(lines, a.styles.muted.Render("to "+c.Account))
	}
	if c.Waiting {
		lines = append(lines, a.styles.muted.Render("(call waiting: answering holds the current call)"))
	}
	lines = append(lines, "", a.help.ShortHelpView([]key.Binding{a.KeyMap.Answer, a.KeyMap.Reject, a.KeyMap.Dismiss}))
	return strings.Join(lines, "\n")
}

func (a App) overlay(content string) string {
	box := a.styles.modal.Render(content)
	return lipgloss.Place(a.width, a.height, lipgloss.Center, lipgloss.Center, box)
}
