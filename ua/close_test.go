package ua_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

// agentEngine mirrors main's interface: *ua.Agent must satisfy it.
type agentEngine interface {
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
	Publish(ctx context.Context, account string, p ua.Presence) error
	SetDND(ctx context.Context, on bool) error
	Calls() []ua.CallInfo
	Events() <-chan ua.Event
}

var _ agentEngine = (*ua.Agent)(nil)

var _ interface{ SIPStatus() (int, string) } = (*ua.ResponseError)(nil)

func TestCloseCleansUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		must(t, bob.a.Publish(bg, "", ua.Presence{Basic: ua.BasicOpen}))
		synctest.Wait()
		must(t, alice.a.Subscribe(bg, "", "bob"))
		alice.want("active", isSub(ua.SubActive))
		alice.drain()
		connect(t, alice, bob)
		if e.srv.Watchers("bob") != 1 {
			t.Fatal("no watcher at the server")
		}
		// Close alice: hang up (BYE), unsubscribe, unregister; then the
		// events channel closes.
		var seen []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ev := range alice.ev {
				switch e := ev.(type) {
				case ua.CallEvent:
					seen = append(seen, "call "+e.Call.State.String()+" "+e.Call.Reason)
				case ua.SubscriptionEvent:
					seen = append(seen, "sub "+itoaSub(e.State)+" "+e.Reason)
				case ua.RegistrationEvent:
					seen = append(seen, "reg "+e.State.String())
				}
			}
		}()
		alice.done = true
		ctx, cancel := context.WithTimeout(bg, time.Minute)
		defer cancel()
		must(t, alice.a.Close(ctx))
		<-done
		want := []string{"call ended agent closing", "sub terminated unsubscribed", "reg unregistered"}
		if strings.Join(seen, "|") != strings.Join(want, "|") {
			t.Errorf("events on close = %q, want %q", seen, want)
		}
		if c := bob.wantCall(ua.CallEnded); c.Reason != "BYE from peer" {
			t.Errorf("bob ended = %+v", c)
		}
		regs := e.srv.Registers()
		if last := regs[len(regs)-1]; last.User != "alice" || last.Expires != 0 {
			t.Errorf("last REGISTER = %+v, want alice expires=0", last)
		}
		synctest.Wait()
		if n := e.srv.Watchers("bob"); n != 0 {
			t.Errorf("%d watchers left after alice unsubscribed", n)
		}
		// a closed agent refuses work
		if _, err := alice.a.Dial(bg, "", "bob"); err == nil {
			t.Error("Dial after Close succeeded")
		}
		// closing twice is fine
		must(t, alice.a.Close(bg))
		// bob publishes on close: the server forgets him
		bob.close()
		if e.srv.PublishedETag("bob") != "" {
			t.Error("publication left after bob's Close")
		}
	})
}

func itoaSub(s ua.SubState) string {
	return map[ua.SubState]string{ua.SubPending: "pending", ua.SubActive: "active", ua.SubTerminated: "terminated", ua.SubFailed: "failed"}[s]
}

func TestTraceRedacted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		p := e.agent("192.0.2.1", "alice", "apw", nil)
		var auth *ua.TraceEvent
		var all []ua.TraceEvent
		p.want("registered", func(ev ua.Event) bool {
			if tr, ok := ev.(ua.TraceEvent); ok {
				all = append(all, tr)
				if tr.Sent && strings.Contains(tr.Raw, "Authorization:") && auth == nil {
					auth = &tr
				}
			}
			r, ok := ev.(ua.RegistrationEvent)
			return ok && r.State == ua.RegRegistered
		})
		if auth == nil {
			t.Fatal("no REGISTER with credentials traced")
		}
		if auth.Summary != "REGISTER "+e.srv.URI() || auth.Transport != "udp" || auth.Local != "192.0.2.1:5060" || auth.Remote != "192.0.2.10:5060" || auth.CallID == "" {
			t.Errorf("trace = %+v", auth)
		}
		line := ""
		for _, l := range strings.Split(auth.Raw, "\r\n") {
			if strings.HasPrefix(l, "Authorization:") {
				line = l
			}
		}
		if !strings.Contains(line, `username="alice"`) || !strings.Contains(line, "[redacted]") || strings.Contains(line, "response=") || strings.Contains(line, "cnonce") {
			t.Errorf("authorization line not redacted: %q", line)
		}
		for _, tr := range all {
			if strings.Contains(tr.Raw, "apw") {
				t.Errorf("password in trace: %s", tr.Raw)
			}
		}
		_ = sip.StatusText
	})
}

func TestLearnedPublicAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A scripted registrar sees alice at 203.0.113.5:40000 (a NAT):
		// received and rport say so, and alice registers that address
		// instead (RFC 3581 §4).
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		reg := newRaw(t, e, "192.0.2.11:5060")
		p := e.agent("192.0.2.1", "alice", "apw", func(c *ua.Config) {
			c.Accounts[0].Registrar = "sip:192.0.2.11:5060"
			c.Accounts[0].OutboundProxy = ""
		})
		p.wantReg(ua.RegRegistering)
		answer := func() string {
			r, from := reg.recvReq("REGISTER")
			resp := sip.NewResponse(r, 200, "")
			v, _ := resp.TopVia()
			v.SetReceived("203.0.113.5")
			v.SetRPort(40000)
			resp.SetTopVia(v)
			cs, _ := r.Contacts()
			c := cs[0]
			c.Params = c.Params.Set("expires", "600")
			resp.SetContacts(c)
			reg.send(resp, from)
			return c.URI.String()
		}
		if c := answer(); c != "sip:alice@192.0.2.1:5060" {
			t.Errorf("first contact %q", c)
		}
		r2, from := reg.recvReq("REGISTER")
		cs, _ := r2.Contacts()
		if len(cs) != 2 || cs[0].URI.String() != "sip:alice@203.0.113.5:40000" || cs[1].URI.String() != "sip:alice@192.0.2.1:5060" || !hasParam(cs[1].Params, "expires", "0") {
			t.Errorf("second REGISTER contacts = %v", cs)
		}
		resp := sip.NewResponse(r2, 200, "")
		c := cs[0]
		c.Params = c.Params.Set("expires", "600")
		resp.SetContacts(c)
		v, _ := resp.TopVia()
		v.SetReceived("203.0.113.5")
		v.SetRPort(40000)
		resp.SetTopVia(v)
		reg.send(resp, from)
		r := p.wantReg(ua.RegRegistered)
		if r.Contact != "<sip:alice@203.0.113.5:40000>" || r.Expires != 10*time.Minute {
			t.Errorf("registered = %+v", r)
		}
	})
}

func TestMediaStats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stats := func(c *ua.Config) { c.StatsInterval = time.Second }
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, stats, nil)
		defer e.close()
		aid, _ := connect(t, alice, bob)
		start := time.Now()
		var got []ua.MediaStatsEvent
		for len(got) < 3 {
			ev := <-alice.ev
			if s, ok := ev.(ua.MediaStatsEvent); ok {
				got = append(got, s)
			}
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("3 stats in %v", d)
		}
		if got[0].CallID != aid || got[0].MOS != 4.3 || got[0].PacketsSent != 50 {
			t.Errorf("stats = %+v", got[0])
		}
	})
}

func hasParam(p sip.Params, name, value string) bool {
	v, ok := p.Get(name)
	return ok && v == value
}
