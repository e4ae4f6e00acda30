package dialog_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

var peer = transaction.Target{Transport: "UDP", Addr: netip.MustParseAddrPort("192.0.2.2:5060")}

type sentMsg struct {
	at  time.Duration
	raw string
	to  transaction.Target
}

// recTransport records sends with their fake time.
type recTransport struct {
	start time.Time
	mu    sync.Mutex
	sent  []sentMsg
}

func newRec() *recTransport { return &recTransport{start: time.Now()} }

func (r *recTransport) Send(_ context.Context, msg sip.Message, to transaction.Target) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, sentMsg{at: time.Since(r.start), raw: msg.String(), to: to})
	return nil
}

// find returns the sent messages whose start line begins with prefix.
func (r *recTransport) find(prefix string) []sentMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sentMsg
	for _, s := range r.sent {
		if strings.HasPrefix(s.raw, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func mustParse(t *testing.T, raw string) sip.Message {
	t.Helper()
	m, err := sip.Parse([]byte(raw))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, raw)
	}
	return m
}

func mustReq(t *testing.T, raw string) *sip.Request {
	t.Helper()
	r, ok := mustParse(t, raw).(*sip.Request)
	if !ok {
		t.Fatalf("not a request:\n%s", raw)
	}
	return r
}

func mustResp(t *testing.T, raw string) *sip.Response {
	t.Helper()
	r, ok := mustParse(t, raw).(*sip.Response)
	if !ok {
		t.Fatalf("not a response:\n%s", raw)
	}
	return r
}

func mustURI(t *testing.T, s string) sip.URI {
	t.Helper()
	u, err := sip.ParseURI(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustAddr(t *testing.T, s string) sip.Address {
	t.Helper()
	a, err := sip.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// invite builds an initial INVITE from alice to bob.
func invite(t *testing.T) *sip.Request {
	t.Helper()
	req := sip.NewRequest(sip.MethodInvite, mustURI(t, "sip:bob@192.0.2.2"))
	req.SetFrom(mustAddr(t, "Alice <sip:alice@192.0.2.1>;tag="+sip.NewTag()))
	req.SetTo(mustAddr(t, "Bob <sip:bob@192.0.2.2>"))
	req.SetCallID(sip.NewCallID("192.0.2.1"))
	req.SetCSeq(sip.CSeq{Seq: 10, Method: sip.MethodInvite})
	req.SetContacts(mustAddr(t, "<sip:alice@192.0.2.1:5060>"))
	return req
}

// answer builds a response from a UAS at contact with tag and
// Record-Route values (in the order the proxies added them).
func answer(t *testing.T, req *sip.Request, code int, tag, contact string, rr ...string) *sip.Response {
	t.Helper()
	r := sip.NewResponse(req, code, "")
	if tag != "" {
		if err := r.SetToTag(tag); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range rr {
		r.AddHeader(sip.HeaderRecordRoute, v)
	}
	if contact != "" {
		r.SetContacts(mustAddr(t, contact))
	}
	return r
}

func routeStrings(as []sip.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.URI.String()
	}
	return out
}

func eqStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// uasFixture is a Manager fed by hand, as a UAS.
type uasFixture struct {
	tp      *recTransport
	m       *dialog.Manager
	newReqs chan *transaction.Server
	inDlg   chan *transaction.Server
	mu      sync.Mutex
	acks    []*sip.Request
	ends    []error
}

func newUAS(t *testing.T) *uasFixture {
	f := &uasFixture{tp: newRec(), newReqs: make(chan *transaction.Server, 8), inDlg: make(chan *transaction.Server, 8)}
	f.m = dialog.NewManager(f.tp, dialog.Config{
		Transaction: transaction.Config{Handler: func(s *transaction.Server) { f.newReqs <- s }},
		Contact:     mustAddr(t, "<sip:bob@192.0.2.2:5060>"),
		Resolve: func(_ context.Context, u sip.URI) (transaction.Target, error) {
			to := peer
			to.Host = u.HostPort()
			return to, nil
		},
		OnRequest: func(_ *dialog.Dialog, s *transaction.Server) { f.inDlg <- s },
		OnACK: func(_ *dialog.Dialog, ack *sip.Request) {
			f.mu.Lock()
			f.acks = append(f.acks, ack)
			f.mu.Unlock()
		},
		OnTerminate: func(_ *dialog.Dialog, reason error) {
			f.mu.Lock()
			f.ends = append(f.ends, reason)
			f.mu.Unlock()
		},
	})
	t.Cleanup(func() { f.m.Close() })
	return f
}

func (f *uasFixture) endReasons() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.ends...)
}

// establish runs INVITE → 200 and returns the UAS dialog, the INVITE and
// the 200.
func (f *uasFixture) establish(t *testing.T, inv *sip.Request) (*dialog.Dialog, *sip.Response) {
	t.Helper()
	f.m.Layer().HandleMessage(inv, peer)
	s := <-f.newReqs
	d, err := f.m.NewUAS(s)
	if err != nil {
		t.Fatal(err)
	}
	ok := d.NewResponse(s.Request(), 200, "")
	if err := d.Respond(s, ok); err != nil {
		t.Fatal(err)
	}
	return d, ok
}

// inDialog builds a request from the peer within the dialog of ok.
func inDialog(t *testing.T, inv *sip.Request, ok *sip.Response, method string, seq uint32) *sip.Request {
	t.Helper()
	r := sip.NewRequest(method, mustURI(t, "sip:bob@192.0.2.2:5060"))
	r.PrependVia(sip.Via{Transport: "UDP", Host: "192.0.2.1", Port: 5060, Params: sip.Params{{Name: "branch", Value: sip.NewBranch()}}})
	r.SetHeader(sip.HeaderFrom, inv.Header(sip.HeaderFrom))
	r.SetHeader(sip.HeaderTo, ok.Header(sip.HeaderTo))
	r.SetCallID(inv.CallID())
	r.SetCSeq(sip.CSeq{Seq: seq, Method: method})
	return r
}

func withVia(req *sip.Request) *sip.Request {
	req.PrependVia(sip.Via{Transport: "UDP", Host: "192.0.2.1", Port: 5060, Params: sip.Params{{Name: "branch", Value: sip.NewBranch()}}})
	return req
}
