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
// Imports: ua (types only), contacts (URI normalization), the components,
// bubbletea/bubbles/lipgloss. Never media or sipcore.
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

	"github.com/teaphone/teaphone/contacts"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ui/buddies"
	"github.com/teaphone/teaphone/ui/calls"
	"github.com/teaphone/teaphone/ui/chat"
	"github.com/teaphone/teaphone/ui/dialer"
	"github.com/teaphone/teaphone/ui/history"
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

// Contact is an address-book entry as the TUI shows it.
type Contact struct {
	ID, Name, URI string
	Favorite      bool
}

// Store is the address book and history.
type Store interface {
	Contacts() ([]Contact, error)
	SetFavorite(id string, on bool) error
	DeleteContact(id string) error
	// History returns calls, newest first, matching query ("" for all).
	History(query string) ([]history.Entry, error)
	// Conversation returns the messages exchanged with peer, oldest first.
	Conversation(peer string) ([]chat.Line, error)
}

// Options configure the TUI.
type Options struct {
	Theme    theme.Theme
	Accounts []string         // account names in configuration order, for the header
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
	status   string
	statusAt time.Time
	ticking  bool
	closed   bool

	buddies buddies.Model
	dialer  dialer.Model
	callsP  calls.Model
	chatP   chat.Model
	histP   history.Model
	traceP  trace.Model
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
		help:     help.New(),
	}
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

// textFocused reports whether a text field has the keyboard.
func (a App) textFocused() bool {
	switch {
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
		a.contacts = msg
		a.refreshBuddies()
		a.refreshDialer()
		return a, a.subscribeFavorites()
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
		st := a.store
		id, on := msg.ID, msg.On
		return a, func() tea.Msg {
			if err := st.SetFavorite(id, on); err != nil {
				return statusMsg{"favourite: " + err.Error()}
			}
			cs, err := st.Contacts()
			if err != nil {
				return statusMsg{"contacts: " + err.Error()}
			}
			return contactsMsg(cs)
		}
	case buddies.DeleteMsg:
		st := a.store
		id := msg.ID
		return a, func() tea.Msg {
			if err := st.DeleteContact(id); err != nil {
				return statusMsg{"delete: " + err.Error()}
			}
			cs, err := st.Contacts()
			if err != nil {
				return statusMsg{"contacts: " + err.Error()}
			}
			return contactsMsg(cs)
		}
	case buddies.AddMsg, buddies.EditMsg:
		a.status, a.statusAt = "editing contacts from the TUI is not available yet: edit contacts.toml", a.opts.Now()
		return a, nil
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

func (a App) subscribeFavorites() tea.Cmd {
	var cmds []tea.Cmd
	for _, c := range a.contacts {
		if c.Favorite {
			uri := c.URI
			cmds = append(cmds, a.engineCmd("subscribe "+uri, func(ctx context.Context) error {
				return a.engine.Subscribe(ctx, "", uri)
			}))
		}
	}
	return tea.Batch(cmds...)
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
	if a.showHelp {
		a.showHelp = false
		return a, nil
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
			a.tab, a.focus = tabCalls, paneMain
			return a, nil
		case key.Matches(k, a.KeyMap.TabChat):
			a.tab, a.focus = tabChat, paneMain
			a.refreshChat()
			a.refreshBuddies()
			return a, a.chatP.Focus()
		case key.Matches(k, a.KeyMap.TabHistory):
			a.tab, a.focus = tabHistory, paneMain
			return a, nil
		case key.Matches(k, a.KeyMap.TabTrace):
			a.tab, a.focus = tabTrace, paneMain
			a.traceP.SetMessages(a.traceLog)
			return a, nil
		}
	}
	var cmd tea.Cmd
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
		cands = append(cands, dialer.Candidate{Label: c.Name, URI: c.URI})
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

// layout gives each component its size.
func (a *App) layout() {
	w, h := a.width, a.height
	left := leftWidth(w)
	right := max(w-left, 20)
	body := max(h-4, 3) // header, tabs line, status, help
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
	left := leftWidth(a.width)
	right := a.width - left
	body := a.height - 4

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
	return lipgloss.NewStyle().MaxHeight(a.height).Render(screen)
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
	pad := a.width - lipgloss.Width(line) - lipgloss.Width(clock)
	if pad < 1 {
		return lipgloss.NewStyle().MaxWidth(a.width).Render(line)
	}
	return line + strings.Repeat(" ", pad) + clock
}

func (a App) tabsView(left int) string {
	var parts []string
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
			parts = append(parts, a.styles.tabActive.Render("["+label+"]"))
		} else {
			parts = append(parts, a.styles.tab.Render(" "+label+" "))
		}
	}
	contactsLabel := " Contacts"
	if a.focus == paneBuddies {
		contactsLabel = a.styles.tabActive.Render("[Contacts]")
	}
	return lipgloss.NewStyle().Width(left).Render(contactsLabel) + strings.Join(parts, " ")
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
	if a.textFocused() {
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
