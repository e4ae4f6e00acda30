package main

// Joining the engine with the address book and the history database: the
// recorder writes calls and messages into history as engine events pass by,
// and bookStore shows contacts and history to the TUI.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teaphone/teaphone/contacts"
	"github.com/teaphone/teaphone/contacts/history"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ui"
	"github.com/teaphone/teaphone/ui/chat"
	uihistory "github.com/teaphone/teaphone/ui/history"
)

// recorder keeps history in step with engine events. Each write commits at
// once, so a killed teaphone leaves at most the open call, which the next
// start marks interrupted.
type recorder struct {
	hist *history.Store
	log  *slog.Logger

	mu       sync.Mutex
	calls    map[string]int64 // engine call ID → history row
	answered map[string]bool
	msgs     map[string]int64 // engine message ID → history row (outgoing)
	pending  map[string]ua.MessageStatusEvent
}

func newRecorder(h *history.Store, log *slog.Logger) *recorder {
	return &recorder{hist: h, log: log, calls: map[string]int64{}, answered: map[string]bool{},
		msgs: map[string]int64{}, pending: map[string]ua.MessageStatusEvent{}}
}

// observe records what ev says about calls and messages.
func (r *recorder) observe(ev ua.Event) {
	if r == nil || r.hist == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := ev.(type) {
	case ua.CallEvent:
		r.call(e.Call)
	case ua.MessageEvent:
		_, err := r.hist.MessageAdded(history.Message{Account: e.Account, Direction: history.Incoming,
			RemoteURI: e.From, RemoteName: e.FromName, Time: e.At, Body: e.Body, State: history.StateDelivered})
		r.check("record message", err)
	case ua.MessageStatusEvent:
		row, ok := r.msgs[e.ID]
		if !ok {
			r.pending[e.ID] = e // the status beat sent() to the lock
			return
		}
		r.status(row, e)
	}
}

func (r *recorder) call(c ua.CallInfo) {
	row, ok := r.calls[c.ID]
	if !ok {
		dir := history.Outgoing
		if c.Direction == ua.Incoming {
			dir = history.Incoming
		}
		start := c.Started
		if start.IsZero() {
			start = time.Now()
		}
		id, err := r.hist.CallStarted(history.Call{Account: c.Account, Direction: dir, RemoteURI: c.Remote,
			RemoteName: c.RemoteName, Start: start})
		if r.check("record call", err) {
			return
		}
		row = id
		r.calls[c.ID] = row
	}
	if !c.Answered.IsZero() && !r.answered[c.ID] {
		r.answered[c.ID] = true
		r.check("record answer", r.hist.CallAnswered(row, c.Answered))
	}
	if c.State == ua.CallEnded {
		end := c.Ended
		if end.IsZero() {
			end = time.Now()
		}
		r.check("record call end", r.hist.CallEnded(row, end, callResult(c), c.Code, c.Reason))
		delete(r.calls, c.ID)
		delete(r.answered, c.ID)
	}
}

// callResult classifies how a call ended for the history.
func callResult(c ua.CallInfo) history.Result {
	switch {
	case !c.Answered.IsZero():
		return history.Answered
	case c.Code == 486 || c.Code == 600:
		return history.Busy
	case c.Code == 603:
		return history.Rejected
	case c.Direction == ua.Incoming && (c.Code == 487 || c.Code == 0):
		return history.Missed
	case c.Direction == ua.Incoming:
		return history.Rejected
	case c.Code == 487:
		return history.Cancelled
	}
	return history.Failed
}

// sent records an outgoing message handed to the engine.
func (r *recorder) sent(account, id, to, body string, err error) {
	if r == nil || r.hist == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := history.Message{Account: account, Direction: history.Outgoing, RemoteURI: to, Time: time.Now(), Body: body, State: history.StateSending}
	if err != nil {
		m.State, m.Reason = history.StateFailed, err.Error()
	}
	row, herr := r.hist.MessageAdded(m)
	if r.check("record message", herr) || id == "" {
		return
	}
	r.msgs[id] = row
	if e, ok := r.pending[id]; ok {
		delete(r.pending, id)
		r.status(row, e)
	}
}

func (r *recorder) status(row int64, e ua.MessageStatusEvent) {
	switch e.State {
	case ua.MessageDelivered:
		r.check("record delivery", r.hist.MessageState(row, history.StateDelivered, ""))
	case ua.MessageFailed:
		reason := e.Reason
		if e.Code > 0 {
			reason = strconv.Itoa(e.Code) + " " + e.Reason
		}
		r.check("record delivery", r.hist.MessageState(row, history.StateFailed, reason))
	default:
		return
	}
	delete(r.msgs, e.ID)
}

func (r *recorder) check(what string, err error) bool {
	if err != nil {
		r.log.Warn(what, "err", err)
		return true
	}
	return false
}

// recordingEngine is the engine as the TUI and the agent see it: the same
// methods, with outgoing messages recorded and events passed through the
// recorder (and any other observers) before they reach the front end.
type recordingEngine struct {
	*ua.Agent
	rec    *recorder
	events chan ua.Event
}

// newRecordingEngine starts copying agent events to the front end. observe
// functions see every event first, in order, on the copying goroutine.
func newRecordingEngine(agent *ua.Agent, rec *recorder, observe ...func(ua.Event)) *recordingEngine {
	e := &recordingEngine{Agent: agent, rec: rec, events: make(chan ua.Event)}
	go func() {
		defer close(e.events)
		for ev := range agent.Events() {
			rec.observe(ev)
			for _, f := range observe {
				f(ev)
			}
			e.events <- ev
		}
	}()
	return e
}

func (e *recordingEngine) Events() <-chan ua.Event { return e.events }

func (e *recordingEngine) SendMessage(ctx context.Context, account, to, body string) (string, error) {
	id, err := e.Agent.SendMessage(ctx, account, to, body)
	e.rec.sent(account, id, to, body, err)
	return id, err
}

// bookStore shows the address book and history to the TUI.
type bookStore struct {
	book     *contacts.Book
	bookPath string // "" for an in-memory book (the demo)
	hist     *history.Store
}

var _ ui.Store = (*bookStore)(nil)

func (s *bookStore) Contacts() ([]ui.Contact, error) {
	var out []ui.Contact
	for _, c := range s.book.All() {
		out = append(out, ui.Contact{ID: c.ID, Name: c.Name, URI: c.URI, Numbers: c.Numbers, Note: c.Note, Favorite: c.Favorite})
	}
	return out, nil
}

// AddContact adds a contact made in the TUI and saves the file.
func (s *bookStore) AddContact(c ui.Contact) (ui.Contact, error) {
	got, err := s.book.Add(contacts.Contact{Name: c.Name, URI: c.URI, Numbers: c.Numbers, Note: c.Note, Favorite: c.Favorite})
	if err != nil {
		return ui.Contact{}, err
	}
	if err := s.save(); err != nil {
		return ui.Contact{}, err
	}
	return ui.Contact{ID: got.ID, Name: got.Name, URI: got.URI, Numbers: got.Numbers, Note: got.Note, Favorite: got.Favorite}, nil
}

// UpdateContact replaces the fields the TUI edits, keeping the others
// (tags, unknown keys of the file), and saves the file.
func (s *bookStore) UpdateContact(c ui.Contact) error {
	old, ok := s.book.Get(c.ID)
	if !ok {
		return contacts.ErrNotFound
	}
	old.Name, old.URI, old.Numbers, old.Note, old.Favorite = c.Name, c.URI, c.Numbers, c.Note, c.Favorite
	if err := s.book.Update(old); err != nil {
		return err
	}
	return s.save()
}

// ImportVCard adds the cards of a vCard file ("~/" is the home directory);
// the warnings are the reader's, then one per card the book refused (a
// duplicate address, say).
func (s *bookStore) ImportVCard(path string) (int, []string, error) {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, rest)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	cs, warns, err := contacts.ImportVCard(f)
	if err != nil {
		return 0, nil, err
	}
	var out []string
	for _, w := range warns {
		out = append(out, w.String())
	}
	added, errs := s.book.Import(cs)
	for _, e := range errs {
		out = append(out, e.Error())
	}
	if len(added) > 0 {
		if err := s.save(); err != nil {
			return len(added), out, err
		}
	}
	return len(added), out, nil
}

func (s *bookStore) save() error {
	if s.bookPath == "" {
		return nil
	}
	if err := s.book.Save(s.bookPath); err != nil {
		return fmt.Errorf("save contacts: %w", err)
	}
	return nil
}

func (s *bookStore) SetFavorite(id string, on bool) error {
	if err := s.book.SetFavorite(id, on); err != nil {
		return err
	}
	return s.save()
}

func (s *bookStore) DeleteContact(id string) error {
	if err := s.book.Delete(id); err != nil {
		return err
	}
	return s.save()
}

func (s *bookStore) History(query string) ([]uihistory.Entry, error) {
	if s.hist == nil {
		return nil, nil
	}
	calls, err := s.hist.Calls(history.CallFilter{})
	if err != nil {
		return nil, err
	}
	var out []uihistory.Entry
	for _, c := range calls {
		name := c.RemoteName
		if ct, ok := s.book.Lookup(c.RemoteURI); ok {
			name = ct.DisplayName()
		}
		if query != "" && !containsFold(name, query) && !containsFold(c.RemoteURI, query) {
			continue
		}
		result := string(c.Result)
		if c.Ongoing() {
			result = "ongoing"
		}
		out = append(out, uihistory.Entry{ID: strconv.FormatInt(c.ID, 10), Name: name, URI: c.RemoteURI,
			Incoming: c.Direction == history.Incoming, At: c.Start, Duration: c.Duration, Result: result,
			Reason: reasonOf(c)})
	}
	return out, nil
}

func reasonOf(c history.Call) string {
	if c.Code > 0 && c.Reason != "" {
		return strconv.Itoa(c.Code) + " " + c.Reason
	}
	return c.Reason
}

func (s *bookStore) Conversation(peer string) ([]chat.Line, error) {
	if s.hist == nil {
		return nil, nil
	}
	msgs, err := s.hist.Messages(peer, history.Page{})
	if err != nil {
		return nil, err
	}
	var out []chat.Line
	for _, m := range msgs {
		l := chat.Line{ID: "h" + strconv.FormatInt(m.ID, 10), Outgoing: m.Direction == history.Outgoing, At: m.Time, Body: m.Body}
		switch m.State {
		case history.StateSending:
			l.State = chat.Sending
		case history.StateDelivered:
			l.State = chat.Delivered
		case history.StateFailed:
			l.State, l.Reason = chat.Failed, m.Reason
		}
		if !l.Outgoing {
			l.State = chat.Received
		}
		out = append(out, l)
	}
	_ = s.hist.MarkRead(peer)
	return out, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
