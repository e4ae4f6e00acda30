package main

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/teaphone/teaphone/contacts"
	"github.com/teaphone/teaphone/contacts/history"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ui"
	"github.com/teaphone/teaphone/ui/chat"
)

func openHistory(t *testing.T) *history.Store {
	t.Helper()
	h, err := history.Open(filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestRecorderCalls(t *testing.T) {
	h := openHistory(t)
	r := newRecorder(h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

	// An answered outgoing call, a missed incoming one, a busy one, a cancelled one.
	out := ua.CallInfo{ID: "c1", Account: "a", Direction: ua.Outgoing, Remote: "sip:bob@x", State: ua.CallDialing, Started: t0}
	r.observe(ua.CallEvent{Call: out})
	out.State, out.Answered = ua.CallActive, t0.Add(2*time.Second)
	r.observe(ua.CallEvent{Call: out})
	r.observe(ua.CallEvent{Call: out}) // repeated snapshots change nothing
	out.State, out.Ended, out.Code, out.Reason = ua.CallEnded, t0.Add(62*time.Second), 200, "hung up"
	r.observe(ua.CallEvent{Call: out})

	in := ua.CallInfo{ID: "c2", Direction: ua.Incoming, Remote: "sip:carol@x", RemoteName: "Carol", State: ua.CallIncoming, Started: t0.Add(time.Minute)}
	r.observe(ua.CallEvent{Call: in})
	in.State, in.Ended, in.Code, in.Reason = ua.CallEnded, t0.Add(70*time.Second), 487, "cancelled by caller"
	r.observe(ua.CallEvent{Call: in})

	busy := ua.CallInfo{ID: "c3", Direction: ua.Outgoing, Remote: "sip:dave@x", State: ua.CallEnded, Started: t0.Add(2 * time.Minute), Ended: t0.Add(2 * time.Minute), Code: 486, Reason: "Busy Here"}
	r.observe(ua.CallEvent{Call: busy})
	cancel := ua.CallInfo{ID: "c4", Direction: ua.Outgoing, Remote: "sip:erin@x", State: ua.CallEnded, Started: t0.Add(3 * time.Minute), Ended: t0.Add(3 * time.Minute), Code: 487}
	r.observe(ua.CallEvent{Call: cancel})

	calls, err := h.Calls(history.CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]history.Call{}
	for _, c := range calls {
		got[c.RemoteURI] = c
	}
	if len(calls) != 4 {
		t.Fatalf("history has %d calls, want 4: %+v", len(calls), calls)
	}
	if c := got["sip:bob@x"]; c.Result != history.Answered || c.Duration != time.Minute || c.Code != 200 {
		t.Errorf("bob: %+v, want answered, 1m, 200", c)
	}
	if c := got["sip:carol@x"]; c.Result != history.Missed || c.RemoteName != "Carol" {
		t.Errorf("carol: %+v, want missed with the display name", c)
	}
	if c := got["sip:dave@x"]; c.Result != history.Busy {
		t.Errorf("dave: %+v, want busy", c)
	}
	if c := got["sip:erin@x"]; c.Result != history.Cancelled {
		t.Errorf("erin: %+v, want cancelled", c)
	}
}

func TestRecorderMessagesAndStore(t *testing.T) {
	h := openHistory(t)
	r := newRecorder(h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t0 := time.Now().Add(-time.Minute)
	r.observe(ua.MessageEvent{ID: "r1", From: "sip:echo@x", Body: "hello", At: t0})
	// The delivery report may overtake sent(): both orders must end up delivered.
	r.observe(ua.MessageStatusEvent{ID: "m1", State: ua.MessageDelivered, Code: 200})
	r.sent("a", "m1", "sip:echo@x", "hi", nil)
	r.sent("a", "m2", "sip:echo@x", "again", nil)
	r.observe(ua.MessageStatusEvent{ID: "m2", State: ua.MessageFailed, Code: 404, Reason: "Not Found"})
	r.sent("a", "", "sip:echo@x", "never left", errors.New("no route"))

	book := contacts.NewBook()
	if _, err := book.Add(contacts.Contact{Name: "Echo", URI: "sip:echo@x", Favorite: true}); err != nil {
		t.Fatal(err)
	}
	s := &bookStore{book: book, hist: h}
	lines, err := s.Conversation("sip:echo@x")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		body  string
		out   bool
		state chat.Delivery
	}{{"hello", false, chat.Received}, {"hi", true, chat.Delivered}, {"again", true, chat.Failed}, {"never left", true, chat.Failed}}
	if len(lines) != len(want) {
		t.Fatalf("conversation = %+v, want %d lines", lines, len(want))
	}
	for i, w := range want {
		if l := lines[i]; l.Body != w.body || l.Outgoing != w.out || l.State != w.state {
			t.Errorf("line %d = %+v, want %+v", i, l, w)
		}
	}
	if lines[2].Reason != "404 Not Found" {
		t.Errorf("failure reason = %q, want 404 Not Found", lines[2].Reason)
	}
	cs, _ := s.Contacts()
	if len(cs) != 1 || cs[0].Name != "Echo" || !cs[0].Favorite {
		t.Errorf("contacts = %+v", cs)
	}
}

func TestEngineConfigMapping(t *testing.T) {
	c, _, err := loadConfig("config.example.toml", func(k string) string {
		if k == "TEAPHONE_WORK_PASSWORD" {
			return "s3cret"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	uc, mc, _ := engineConfig(c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(uc.Accounts) == 0 || uc.Accounts[0].Password != "s3cret" {
		t.Fatalf("accounts = %+v, want the password from the environment", uc.Accounts)
	}
	if mc.RecordDir != "" {
		t.Errorf("recording is on by default (RecordDir %q); it must be opt-in", mc.RecordDir)
	}
	if uc.UserAgent != "teaphone/"+buildVersion() {
		t.Errorf("user agent %q, want teaphone/%s", uc.UserAgent, buildVersion())
	}
}

func TestBookStoreEdits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "contacts.toml")
	s := &bookStore{book: contacts.NewBook(), bookPath: path}
	added, err := s.AddContact(ui.Contact{Name: "Bob", URI: "sip:bob@example.com", Favorite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddContact(ui.Contact{Name: "Bob again", URI: "sip:bob@example.com"}); err == nil {
		t.Error("a second contact with the same address was accepted")
	}
	added.Name = "Robert"
	if err := s.UpdateContact(added); err != nil {
		t.Fatal(err)
	}
	reloaded, err := contacts.Load(path)
	if err != nil {
		t.Fatalf("the saved file does not load: %v", err)
	}
	if all := reloaded.All(); len(all) != 1 || all[0].Name != "Robert" || !all[0].Favorite {
		t.Errorf("saved contacts = %+v, want Robert, favourite", all)
	}
	vcf := filepath.Join(dir, "cards.vcf")
	card := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Carol\r\nTEL;TYPE=cell:+15550100\r\nEND:VCARD\r\n"
	if err := os.WriteFile(vcf, []byte(card), 0o600); err != nil {
		t.Fatal(err)
	}
	n, warns, err := s.ImportVCard(vcf)
	if err != nil || n != 1 {
		t.Errorf("ImportVCard = %d, %v, %v; want 1 contact", n, warns, err)
	}
	if _, _, err := s.ImportVCard(filepath.Join(dir, "missing.vcf")); err == nil {
		t.Error("importing a missing file succeeded")
	}
	if err := s.DeleteContact(added.ID); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.Contacts(); len(cs) != 1 || cs[0].Name != "Carol" {
		t.Errorf("contacts after delete = %+v, want only Carol", cs)
	}
}
