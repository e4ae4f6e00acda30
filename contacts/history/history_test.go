package history

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.Local)

func at(d time.Duration) time.Time { return t0.Add(d) }

func openTest(t *testing.T, cfg config) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	s, err := open(path, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestOpenPragmasAndSchema(t *testing.T) {
	s, path := openTest(t, config{})
	var mode string
	var sync, version int
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 {
		t.Errorf("journal_mode = %q, synchronous = %d; want wal, 2 (FULL)", mode, sync)
	}
	if version != SchemaVersion || SchemaVersion != len(migrations) {
		t.Errorf("user_version = %d, SchemaVersion = %d, migrations = %d", version, SchemaVersion, len(migrations))
	}
	for _, f := range []string{path, path + "-wal"} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(f), got)
		}
	}
	if !s.fts {
		t.Error("modernc.org/sqlite has FTS5 but the store does not use it")
	}
	// The queries the UI runs often are served by indexes.
	for q, idx := range map[string]string{
		"SELECT id FROM calls WHERE remote_key = 'x' ORDER BY start_ms DESC LIMIT 10":      "calls_remote",
		"SELECT id FROM calls ORDER BY start_ms DESC LIMIT 10":                             "calls_start",
		"SELECT id FROM messages WHERE remote_key = 'x' ORDER BY time_ms DESC LIMIT 10":    "messages_remote",
		"SELECT count(*) FROM calls WHERE seen = 0 AND result = 'missed'":                  "calls_unseen",
		"SELECT count(*) FROM messages u WHERE u.remote_key = 'x' AND u.read = 0":          "messages_unread",
		"SELECT id FROM calls WHERE session = 1 AND end_ms IS NULL":                        "calls_open",
		"SELECT id, max(time_ms) AS t FROM messages GROUP BY remote_key ORDER BY t DESC":   "messages_remote",
		"SELECT id FROM messages WHERE time_ms > 5 ORDER BY time_ms DESC LIMIT 10":         "messages_time",
		"SELECT id FROM messages WHERE session = 1 AND state = 'sending'":                  "messages_sending",
		"SELECT id FROM calls WHERE start_ms >= 5 AND start_ms < 9 ORDER BY start_ms DESC": "calls_start",
	} {
		plan := queryPlan(t, s, q)
		if !containsStr(plan, idx) {
			t.Errorf("plan for %q does not use %s: %q", q, idx, plan)
		}
	}
	// Reopening an up-to-date database is a no-op; a newer schema is refused.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if _, err := s2.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	_ = s2.Close()
	if _, err := Open(path); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open of newer schema = %v, want ErrNewerSchema", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "a?b.db")); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open with ? in path = %v, want ErrInvalid", err)
	}
}

func queryPlan(t *testing.T, s *Store, q string) []string {
	t.Helper()
	rows, err := s.db.Query("EXPLAIN QUERY PLAN " + q)
	if err != nil {
		t.Fatalf("explain %q: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return out
}

func containsStr(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestCallLifecycle(t *testing.T) {
	s, _ := openTest(t, config{})
	id, err := s.CallStarted(Call{Account: "work", Direction: Outgoing, RemoteURI: "sip:bob@example.com;transport=tcp",
		RemoteName: "Bob", Start: at(0)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Call(id)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Ongoing() || c.Result != "" || !c.Start.Equal(at(0)) {
		t.Errorf("new call = %+v", c)
	}
	if err := s.CallAnswered(id, at(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.CallAnswered(id, at(4*time.Second)); err != nil { // repeated: first time kept
		t.Fatal(err)
	}
	if err := s.CallEnded(id, at(63*time.Second+500*time.Millisecond), Answered, 200, "OK"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Call(id)
	want := Call{ID: id, Account: "work", Direction: Outgoing, RemoteURI: "sip:bob@example.com;transport=tcp",
		RemoteName: "Bob", Start: at(0), Answered: at(3 * time.Second), End: at(63*time.Second + 500*time.Millisecond),
		Duration: 60*time.Second + 500*time.Millisecond, Result: Answered, Code: 200, Reason: "OK"}
	if !callEqual(got, want) {
		t.Errorf("call =\n %+v\nwant\n %+v", got, want)
	}
	if err := s.CallEnded(id, at(70*time.Second), Failed, 0, ""); !errors.Is(err, ErrCallEnded) {
		t.Errorf("second CallEnded = %v, want ErrCallEnded", err)
	}
	if err := s.CallAnswered(id, at(70*time.Second)); !errors.Is(err, ErrCallEnded) {
		t.Errorf("CallAnswered after end = %v, want ErrCallEnded", err)
	}
	if err := s.CallEnded(999, at(0), Failed, 0, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("CallEnded(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.CallAnswered(999, at(0)); !errors.Is(err, ErrNotFound) {
		t.Errorf("CallAnswered(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.CallEnded(id, at(0), "hung", 0, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("CallEnded bad result = %v, want ErrInvalid", err)
	}
	if _, err := s.CallStarted(Call{Direction: "sideways", RemoteURI: "sip:x@y"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("CallStarted bad direction = %v", err)
	}
	if _, err := s.CallStarted(Call{Direction: Incoming}); !errors.Is(err, ErrInvalid) {
		t.Errorf("CallStarted no uri = %v", err)
	}
	// An unanswered call has no duration; an end before the start is clamped.
	id2, _ := s.CallStarted(Call{Direction: Incoming, RemoteURI: "sip:carol@example.com", Start: at(time.Hour)})
	if err := s.CallEnded(id2, at(time.Hour-time.Second), Missed, 487, "Request Terminated"); err != nil {
		t.Fatal(err)
	}
	c2, _ := s.Call(id2)
	if c2.Duration != 0 || !c2.End.Equal(at(time.Hour)) || c2.Result != Missed || c2.Code != 487 {
		t.Errorf("missed call = %+v", c2)
	}
}

func callEqual(a, b Call) bool {
	return a.ID == b.ID && a.Account == b.Account && a.Direction == b.Direction && a.RemoteURI == b.RemoteURI &&
		a.RemoteName == b.RemoteName && a.Start.Equal(b.Start) && a.Answered.Equal(b.Answered) &&
		a.End.Equal(b.End) && a.Duration == b.Duration && a.Result == b.Result && a.Code == b.Code && a.Reason == b.Reason
}

func TestCallsFilterAndMissed(t *testing.T) {
	s, _ := openTest(t, config{})
	type spec struct {
		dir    Direction
		uri    string
		result Result
	}
	specs := []spec{
		{Incoming, "sip:alice@example.com", Missed},
		{Outgoing, "sip:bob@example.com", Answered},
		{Incoming, `"Alice" <sip:alice@EXAMPLE.com:5060>;tag=x`, Answered},
		{Outgoing, "sip:alice@example.com", Busy},
		{Incoming, "tel:+1-555-0100", Missed},
		{Incoming, "sip:bob@example.com", Rejected},
	}
	var ids []int64
	for i, sp := range specs {
		id, err := s.CallStarted(Call{Account: "a", Direction: sp.dir, RemoteURI: sp.uri, Start: at(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CallEnded(id, at(time.Duration(i)*time.Minute+time.Second), sp.result, 0, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ongoing, _ := s.CallStarted(Call{Account: "b", Direction: Outgoing, RemoteURI: "sip:alice@example.com", Start: at(time.Hour)})
	callIDs := func(f CallFilter) []int64 {
		t.Helper()
		cs, err := s.Calls(f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    CallFilter
		want []int64
	}{
		{"all newest first", CallFilter{}, []int64{ongoing, ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"by remote, normalized", CallFilter{RemoteURI: "<sip:alice@example.com>"}, []int64{ongoing, ids[3], ids[2], ids[0]}},
		{"tel by digits", CallFilter{RemoteURI: "+15550100"}, []int64{ids[4]}},
		{"missed", CallFilter{Result: Missed}, []int64{ids[4], ids[0]}},
		{"incoming", CallFilter{Direction: Incoming}, []int64{ids[5], ids[4], ids[2], ids[0]}},
		{"account", CallFilter{Account: "b"}, []int64{ongoing}},
		{"time range", CallFilter{Since: at(time.Minute), Until: at(3 * time.Minute)}, []int64{ids[2], ids[1]}},
		{"limit", CallFilter{Limit: 2}, []int64{ongoing, ids[5]}},
		{"page 2", CallFilter{Limit: 2, BeforeID: ids[5]}, []int64{ids[4], ids[3]}},
	}
	for _, tt := range tests {
		if got := callIDs(tt.f); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Calls = %v, want %v", tt.name, got, tt.want)
		}
	}
	n, err := s.MissedCount()
	if err != nil || n != 2 {
		t.Errorf("MissedCount = %d, %v; want 2", n, err)
	}
	if err := s.MarkMissedSeen(); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.MissedCount(); n != 0 {
		t.Errorf("MissedCount after MarkMissedSeen = %d", n)
	}
}

func TestMessages(t *testing.T) {
	s, _ := openTest(t, config{})
	add := func(m Message) int64 {
		t.Helper()
		id, err := s.MessageAdded(m)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1 := add(Message{Direction: Incoming, RemoteURI: "sip:alice@example.com", RemoteName: "Alice", Time: at(0), Body: "hi"})
	a2 := add(Message{Direction: Outgoing, RemoteURI: "sip:alice@example.com", Time: at(time.Second), Body: "hello"})
	b1 := add(Message{Direction: Incoming, RemoteURI: "sip:bob@example.com", Time: at(2 * time.Second), Body: "ping"})
	a3 := add(Message{Direction: Incoming, RemoteURI: `<sip:alice@Example.com;transport=tls>`, Time: at(3 * time.Second), Body: "are you there?"})
	a4 := add(Message{Direction: Incoming, RemoteURI: "sip:alice@example.com", Time: at(3 * time.Second), Body: "same ms"})

	if m, _ := s.Message(a2); m.State != StateSending || !m.Read {
		t.Errorf("outgoing message = %+v, want sending and read", m)
	}
	if m, _ := s.Message(a1); m.State != StateDelivered || m.Read {
		t.Errorf("incoming message = %+v, want delivered and unread", m)
	}
	if err := s.MessageState(a2, StateFailed, "408 Request Timeout"); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(a2); m.State != StateFailed || m.Reason != "408 Request Timeout" {
		t.Errorf("after MessageState: %+v", m)
	}
	if err := s.MessageState(a2, StateDelivered, "ignored"); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Message(a2); m.State != StateDelivered || m.Reason != "" {
		t.Errorf("after retry delivered: %+v", m)
	}
	if err := s.MessageState(12345, StateDelivered, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("MessageState unknown = %v", err)
	}
	if err := s.MessageState(a2, "lost", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("MessageState bad state = %v", err)
	}

	msgIDs := func(conv string, p Page) []int64 {
		t.Helper()
		ms, err := s.Messages(conv, p)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	if got, want := msgIDs("alice@example.com", Page{}), []int64{a1, a2, a3, a4}; !reflect.DeepEqual(got, want) {
		t.Errorf("Messages = %v, want %v (oldest first)", got, want)
	}
	if got, want := msgIDs("sip:alice@example.com", Page{Limit: 2}), []int64{a3, a4}; !reflect.DeepEqual(got, want) {
		t.Errorf("Messages limit 2 = %v, want %v", got, want)
	}
	if got, want := msgIDs("sip:alice@example.com", Page{Limit: 2, BeforeID: a3}), []int64{a1, a2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Messages before a3 = %v, want %v", got, want)
	}

	convs, err := s.Conversations(0)
	if err != nil {
		t.Fatal(err)
	}
	type cv struct {
		uri    string
		last   int64
		unread int
	}
	var got []cv
	for _, c := range convs {
		got = append(got, cv{c.RemoteURI, c.Last.ID, c.Unread})
	}
	want := []cv{{"sip:alice@example.com", a4, 3}, {"sip:bob@example.com", b1, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Conversations = %+v, want %+v", got, want)
	}
	if n, _ := s.UnreadCount(); n != 4 {
		t.Errorf("UnreadCount = %d, want 4", n)
	}
	if err := s.MarkRead("<sip:alice@example.com>"); err != nil {
		t.Fatal(err)
	}
	convs, _ = s.Conversations(1)
	if len(convs) != 1 || convs[0].Unread != 0 {
		t.Errorf("after MarkRead: %+v", convs)
	}
	if n, _ := s.UnreadCount(); n != 1 {
		t.Errorf("UnreadCount after MarkRead = %d, want 1", n)
	}
	if _, err := s.MessageAdded(Message{Direction: Incoming, Body: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("MessageAdded without uri = %v", err)
	}
}

func TestSearch(t *testing.T) {
	for _, cfg := range []config{{}, {noFTS: true}} {
		t.Run(fmt.Sprintf("fts=%v", !cfg.noFTS), func(t *testing.T) {
			s, _ := openTest(t, cfg)
			if s.fts == cfg.noFTS {
				t.Fatalf("fts = %v with config %+v", s.fts, cfg)
			}
			c1, _ := s.CallStarted(Call{Direction: Incoming, RemoteURI: "sip:alice@wonderland.example", RemoteName: "Alice Liddell", Start: at(0)})
			c2, _ := s.CallStarted(Call{Direction: Outgoing, RemoteURI: "tel:+15550100", Start: at(time.Minute)})
			m1, _ := s.MessageAdded(Message{Direction: Incoming, RemoteURI: "sip:bob@example.com", Time: at(2 * time.Minute), Body: "Lunch at the Wonderland café?"})
			m2, _ := s.MessageAdded(Message{Direction: Outgoing, RemoteURI: "sip:bob@example.com", Time: at(3 * time.Minute), Body: "100% yes, see you at noon"})
			m3, _ := s.MessageAdded(Message{Direction: Incoming, RemoteURI: "sip:carol@example.com", RemoteName: "Carol", Time: at(4 * time.Minute), Body: "call me"})
			type ref struct {
				call bool
				id   int64
			}
			tests := []struct {
				q    string
				want []ref
			}{
				{"wonderland", []ref{{false, m1}, {true, c1}}},
				{"WONDER", []ref{{false, m1}, {true, c1}}},
				{"café", []ref{{false, m1}}},
				{"alice", []ref{{true, c1}}},
				{"bob", []ref{{false, m2}, {false, m1}}},
				{"100%", []ref{{false, m2}}}, // LIKE wildcard taken literally
				{"5550100", []ref{{true, c2}}},
				{"see noon", []ref{{false, m2}}}, // every word
				{"me", []ref{{false, m3}}},       // short word: LIKE path
				{"carol", []ref{{false, m3}}},
				{`"quoted" OR x`, nil}, // FTS syntax is literal
				{"   ", nil},
			}
			for _, tt := range tests {
				hits, err := s.Search(tt.q, 0)
				if err != nil {
					t.Fatalf("Search(%q): %v", tt.q, err)
				}
				var got []ref
				for _, h := range hits {
					if h.Call != nil {
						got = append(got, ref{true, h.Call.ID})
					} else {
						got = append(got, ref{false, h.Message.ID})
					}
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Search(%q) = %v, want %v", tt.q, got, tt.want)
				}
			}
			if hits, _ := s.Search("e", 2); len(hits) != 2 {
				t.Errorf("Search limit 2 returned %d", len(hits))
			}
		})
	}
}

// TestAbandonedStoreRecovered: a Store dropped without Close (same
// process, another session) has its open calls interrupted on the next
// Open; Close interrupts its own.
func TestAbandonedStoreRecovered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	s1, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := s1.CallStarted(Call{Direction: Outgoing, RemoteURI: "sip:bob@example.com", Start: at(0)})
	_ = s1.CallAnswered(id, at(time.Second))
	_ = s1.Heartbeat(at(10 * time.Second))
	_ = s1.Heartbeat(at(5 * time.Second)) // never goes back
	// s1 is abandoned (its connection stays open, as in a hung process).
	t.Cleanup(func() { _ = s1.db.Close() })

	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Recovered(); !reflect.DeepEqual(got, []int64{id}) {
		t.Errorf("Recovered = %v, want [%d]", got, id)
	}
	c, _ := s2.Call(id)
	if c.Result != Interrupted || !c.End.Equal(at(10*time.Second)) || c.Duration != 9*time.Second {
		t.Errorf("recovered call = %+v", c)
	}
	// Close interrupts this store's own ongoing call at its last known time.
	id2, _ := s2.CallStarted(Call{Direction: Incoming, RemoteURI: "sip:carol@example.com", Start: at(time.Hour)})
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s2.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	s3, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	c2, _ := s3.Call(id2)
	if c2.Result != Interrupted || !c2.End.Equal(at(time.Hour)) || c2.Duration != 0 {
		t.Errorf("call open at Close = %+v", c2)
	}
	if len(s3.Recovered()) != 0 {
		t.Errorf("Recovered after clean Close = %v", s3.Recovered())
	}
}

// TestLiveSessionLeftAlone: calls of a session whose process still runs
// (another teaphone on the same file) are not interrupted.
func TestLiveSessionLeftAlone(t *testing.T) {
	s, path := openTest(t, config{})
	res, err := s.db.Exec("INSERT INTO sessions(pid, started_ms) VALUES (?, 0)", os.Getppid())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := res.LastInsertId()
	if _, err := s.db.Exec(`INSERT INTO calls(session, direction, remote_uri, remote_key, start_ms, last_seen_ms)
		VALUES (?, 'in', 'sip:x@y', 'sip:x@y', 0, 0)`, other); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := s2.Recovered(); len(got) != 0 {
		t.Errorf("Recovered = %v, want none (session of a live process)", got)
	}
}

// TestConcurrentUse is meant for -race.
func TestConcurrentUse(t *testing.T) {
	s, _ := openTest(t, config{})
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 20 {
				uri := fmt.Sprintf("sip:user%d@example.com", g)
				id, err := s.CallStarted(Call{Direction: Incoming, RemoteURI: uri, Start: at(time.Duration(i) * time.Second)})
				if err != nil {
					t.Errorf("CallStarted: %v", err)
					return
				}
				if err := s.CallEnded(id, at(time.Duration(i+1)*time.Second), Missed, 487, ""); err != nil {
					t.Errorf("CallEnded: %v", err)
				}
				if _, err := s.MessageAdded(Message{Direction: Incoming, RemoteURI: uri, Body: "msg"}); err != nil {
					t.Errorf("MessageAdded: %v", err)
				}
				if _, err := s.Conversations(10); err != nil {
					t.Errorf("Conversations: %v", err)
				}
				if _, err := s.Search("user", 10); err != nil {
					t.Errorf("Search: %v", err)
				}
				if _, err := s.MissedCount(); err != nil {
					t.Errorf("MissedCount: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if n, _ := s.MissedCount(); n != 120 {
		t.Errorf("MissedCount = %d, want 120", n)
	}
}
