package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teaphone/teaphone/ua"
)

// fakeEngine records calls and answers from a script.
type fakeEngine struct {
	mu     sync.Mutex
	log    []string
	calls  []ua.CallInfo
	events chan ua.Event
	fail   error
}

func (f *fakeEngine) rec(format string, a ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf(format, a...))
	return f.fail
}

func (f *fakeEngine) Dial(_ context.Context, account, target string) (string, error) {
	return "c9", f.rec("dial %s %s", account, target)
}
func (f *fakeEngine) Answer(_ context.Context, id string) error { return f.rec("answer %s", id) }
func (f *fakeEngine) Reject(_ context.Context, id string, code int) error {
	return f.rec("reject %s %d", id, code)
}
func (f *fakeEngine) Hangup(_ context.Context, id string) error { return f.rec("hangup %s", id) }
func (f *fakeEngine) Hold(_ context.Context, id string, on bool) error {
	return f.rec("hold %s %v", id, on)
}
func (f *fakeEngine) Mute(_ context.Context, id string, on bool) error {
	return f.rec("mute %s %v", id, on)
}
func (f *fakeEngine) SendDTMF(_ context.Context, id, d string) error {
	return f.rec("dtmf %s %s", id, d)
}
func (f *fakeEngine) SendMessage(_ context.Context, account, to, body string) (string, error) {
	return "m1", f.rec("message %s %s %q", account, to, body)
}
func (f *fakeEngine) Subscribe(_ context.Context, account, uri string) error {
	return f.rec("subscribe %s %s", account, uri)
}
func (f *fakeEngine) Unsubscribe(_ context.Context, uri string) error {
	return f.rec("unsubscribe %s", uri)
}
func (f *fakeEngine) Publish(_ context.Context, account string, p ua.Presence) error {
	return f.rec("publish %s %v %v %q", account, p.Basic, p.Activities, p.Note)
}
func (f *fakeEngine) SetDND(_ context.Context, on bool) error { return f.rec("dnd %v", on) }
func (f *fakeEngine) Calls() []ua.CallInfo                    { return f.calls }
func (f *fakeEngine) Events() <-chan ua.Event                 { return f.events }

func decodeLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line is not JSON: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestAgentCommands(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	eng := &fakeEngine{calls: []ua.CallInfo{
		{ID: "c1", State: ua.CallActive, Started: t0},
		{ID: "c2", State: ua.CallIncoming, Started: t0.Add(time.Second)},
		{ID: "c0", State: ua.CallEnded, Started: t0.Add(time.Hour)},
	}}
	input := strings.Join([]string{
		"dial sip:bob@127.0.0.1",
		"dial work 1000",
		"answer",    // newest live call: c2
		"hold c1",   //
		"resume c1", //
		"mute",      //
		"dtmf c1 12*#a",
		"dtmf 5x",
		"reject c2 603",
		"reject 200",
		"message sip:bob@127.0.0.1   hello   there ",
		"message work 1000 hi",
		"publish away  out for lunch",
		"publish sleeping",
		"subscribe sip:bob@127.0.0.1",
		"dnd on",
		"# a comment",
		"",
		"frobnicate",
		"quit",
		"dial never-reached",
	}, "\n")
	var buf bytes.Buffer
	out := newJSONOut(&buf, nil)
	if err := runAgent(t.Context(), eng, strings.NewReader(input), out, agentOptions{DefaultUser: "home"}); err != nil {
		t.Fatalf("runAgent: %v", err)
	}
	wantLog := []string{
		"dial home sip:bob@127.0.0.1",
		"dial work 1000",
		"answer c2",
		"hold c1 true",
		"hold c1 false",
		"mute c2 true",
		"dtmf c1 12*#A",
		"reject c2 603",
		`message home sip:bob@127.0.0.1 "hello   there"`,
		`message work 1000 "hi"`,
		`publish home 1 [away] "out for lunch"`,
		"subscribe home sip:bob@127.0.0.1",
		"dnd true",
	}
	if got := strings.Join(eng.log, "\n"); got != strings.Join(wantLog, "\n") {
		t.Errorf("engine calls:\n%s\nwant:\n%s", got, strings.Join(wantLog, "\n"))
	}
	lines := decodeLines(t, buf.Bytes())
	var errs []string
	for _, l := range lines {
		if l["event"] == "error" {
			errs = append(errs, l["cmd"].(string)+": "+l["error"].(string))
		}
	}
	wantErrs := []string{
		`dtmf: "X" is not a DTMF digit`,
		"reject: reject code 200 is not a 4xx-6xx failure",
		`publish: unknown status "sleeping" (open, closed, away, busy, on-the-phone)`,
		`frobnicate: unknown command "frobnicate" (try help)`,
	}
	if strings.Join(errs, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(wantErrs, "\n"))
	}
	if last := lines[len(lines)-1]; last["cmd"] != "quit" || last["event"] != "ok" {
		t.Errorf("last line = %v, want the quit reply", last)
	}
	if lines[0]["call"] != "c9" {
		t.Errorf("dial reply = %v, want call c9", lines[0])
	}
}

type statusErr struct{}

func (statusErr) Error() string            { return "invite rejected: 486 busy here" }
func (statusErr) SIPStatus() (int, string) { return 486, "Busy Here" }

func TestAgentErrorCarriesSIPStatus(t *testing.T) {
	eng := &fakeEngine{fail: fmt.Errorf("dial: %w", statusErr{})}
	var buf bytes.Buffer
	if err := runAgent(t.Context(), eng, strings.NewReader("dial sip:x@y\nanswer\n"), newJSONOut(&buf, nil), agentOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := decodeLines(t, buf.Bytes())
	if lines[0]["code"] != float64(486) || lines[0]["reason"] != "Busy Here" {
		t.Errorf("dial error = %v, want code 486 reason Busy Here", lines[0])
	}
	if lines[1]["error"] != "no call" {
		t.Errorf("answer with no call = %v, want error 'no call'", lines[1])
	}
}

func TestEventPrinter(t *testing.T) {
	var buf bytes.Buffer
	p := newEventPrinter(newJSONOut(&buf, nil), agentOptions{})
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	c := ua.CallInfo{ID: "c1", Direction: ua.Incoming, Remote: "sip:bob@x", RemoteName: "Bob", State: ua.CallIncoming}
	evs := make(chan ua.Event, 32)
	evs <- ua.RegistrationEvent{Account: "a", AOR: "sip:a@x", State: ua.RegRegistered, Expires: 600 * time.Second, Contact: "<sip:a@1.2.3.4:5060>"}
	evs <- ua.RegistrationEvent{Account: "a", AOR: "sip:a@x", State: ua.RegFailed, Code: 401, Reason: "wrong password", Kind: ua.FailAuth}
	evs <- ua.CallEvent{Call: c}
	c.State, c.Answered, c.Codec = ua.CallActive, t0, "PCMU/8000"
	evs <- ua.CallEvent{Call: c}
	c.LocalHold = true
	evs <- ua.CallEvent{Call: c}
	c.LocalHold, c.RemoteHold = false, true
	evs <- ua.CallEvent{Call: c}
	c.Codec = "PCMA/8000" // no visible change: no event
	evs <- ua.CallEvent{Call: c}
	c.State, c.Ended, c.Code, c.Reason = ua.CallEnded, t0.Add(83*time.Second), 200, "BYE from peer"
	evs <- ua.CallEvent{Call: c}
	evs <- ua.DTMFEvent{CallID: "c1", Digit: '#', Duration: 120 * time.Millisecond, Method: "rfc4733"}
	evs <- ua.MessageEvent{ID: "m1", From: "sip:bob@x", Body: "hi"}
	evs <- ua.MessageStatusEvent{ID: "m2", State: ua.MessageFailed, Code: 404, Reason: "Not Found", Kind: ua.FailRejected}
	evs <- ua.PresenceEvent{URI: "sip:bob@x", Presence: ua.Presence{Basic: ua.BasicOpen, Activities: []string{"away"}, Note: "lunch"}}
	evs <- ua.TraceEvent{Summary: "INVITE"} // not printed without Trace
	evs <- ua.MediaStatsEvent{CallID: "c1"} // not printed without Stats
	close(evs)
	p.drain(evs)

	var got []string
	for _, l := range decodeLines(t, buf.Bytes()) {
		s := l["event"].(string)
		for _, k := range []string{"kind", "code", "codec", "duration_s", "digit", "body", "activities"} {
			if v, ok := l[k]; ok {
				s += fmt.Sprintf(" %s=%v", k, v)
			}
		}
		got = append(got, s)
	}
	want := []string{
		"registered",
		"registration_failed kind=wrong password or user name code=401",
		"incoming",
		"answered codec=PCMU/8000",
		"held codec=PCMU/8000",
		"resumed codec=PCMU/8000",
		"remote_held codec=PCMU/8000",
		"ended code=200 codec=PCMA/8000 duration_s=83",
		"dtmf digit=#",
		"message body=hi",
		"message_failed kind=rejected code=404",
		"presence activities=[away]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
