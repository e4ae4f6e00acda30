package ua_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

func isPresence(ev ua.Event) bool { _, ok := ev.(ua.PresenceEvent); return ok }

func isSub(st ua.SubState) func(ua.Event) bool {
	return func(ev ua.Event) bool {
		s, ok := ev.(ua.SubscriptionEvent)
		return ok && s.State == st
	}
}

func TestPresenceThroughServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		must(t, alice.a.Publish(bg, "", ua.Presence{Basic: ua.BasicOpen, Activities: []string{"away"}, Note: "lunch"}))
		synctest.Wait()
		etag := e.srv.PublishedETag("alice")
		if etag == "" {
			t.Fatal("nothing published")
		}
		must(t, bob.a.Subscribe(bg, "", "alice"))
		bob.want("pending", isSub(ua.SubPending))
		p := bob.want("presence", isPresence).(ua.PresenceEvent)
		if p.URI != "sip:alice@"+domain || p.Presence.Basic != ua.BasicOpen || len(p.Presence.Activities) != 1 || p.Presence.Activities[0] != "away" || p.Presence.Note != "lunch" {
			t.Errorf("presence = %+v", p)
		}
		bob.want("active", isSub(ua.SubActive))
		// a change is published with SIP-If-Match and reaches bob
		must(t, alice.a.Publish(bg, "", ua.Presence{Basic: ua.BasicClosed}))
		p = bob.want("presence", isPresence).(ua.PresenceEvent)
		if p.Presence.Basic != ua.BasicClosed {
			t.Errorf("presence = %+v", p)
		}
		// the publication is refreshed before it expires (no body)
		n := e.srv.Count("PUBLISH")
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := e.srv.Count("PUBLISH"); got != n+1 {
			t.Errorf("PUBLISH count %d → %d over an hour, want one refresh", n, got)
		}
		// the server forgot it: 412 → a fresh PUBLISH with the body
		e.srv.ForgetPublication("alice")
		time.Sleep(time.Hour)
		synctest.Wait()
		if e.srv.PublishedETag("alice") == "" {
			t.Error("no fresh publication after 412")
		}
		// the subscription was refreshed too
		if n := e.srv.Count("SUBSCRIBE"); n < 2 {
			t.Errorf("%d SUBSCRIBEs after 2 h, want refreshes", n)
		}
	})
}

func TestResubscribeAfterTermination(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		must(t, alice.a.Publish(bg, "", ua.Presence{Basic: ua.BasicOpen}))
		must(t, bob.a.Subscribe(bg, "", "alice"))
		bob.want("active", isSub(ua.SubActive))
		e.srv.Terminate("alice", "deactivated")
		if s := bob.want("terminated", isSub(ua.SubTerminated)).(ua.SubscriptionEvent); s.Reason != "deactivated" {
			t.Errorf("terminated = %+v", s)
		}
		bob.want("active again", isSub(ua.SubActive))
		if n := e.srv.Count("SUBSCRIBE"); n != 2 {
			t.Errorf("%d SUBSCRIBEs, want 2", n)
		}
		e.srv.Terminate("alice", "rejected")
		bob.want("terminated", isSub(ua.SubTerminated))
		synctest.Wait()
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if n := e.srv.Count("SUBSCRIBE"); n != 2 {
			t.Errorf("%d SUBSCRIBEs after rejected, want no new one", n)
		}
	})
}

func TestPresencePeerToPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		alice := e.agent("192.0.2.1", "alice", "", func(c *ua.Config) { direct(c); c.Accounts[0].Domain = "192.0.2.1" })
		alice.wantReg(ua.RegDirect)
		bob := e.agent("192.0.2.2", "bob", "", func(c *ua.Config) { direct(c); c.Accounts[0].Domain = "192.0.2.2" })
		bob.wantReg(ua.RegDirect)
		must(t, alice.a.Publish(bg, "", ua.Presence{Basic: ua.BasicOpen, Activities: []string{"busy"}}))
		must(t, bob.a.Subscribe(bg, "", "sip:alice@192.0.2.1"))
		p := bob.want("presence", isPresence).(ua.PresenceEvent)
		if p.Presence.Basic != ua.BasicOpen || len(p.Presence.Activities) != 1 || p.Presence.Activities[0] != "busy" {
			t.Errorf("presence = %+v", p)
		}
		must(t, alice.a.Publish(bg, "", ua.Presence{Basic: ua.BasicOpen, Activities: []string{"away"}}))
		p = bob.want("presence", isPresence).(ua.PresenceEvent)
		if len(p.Presence.Activities) != 1 || p.Presence.Activities[0] != "away" {
			t.Errorf("presence = %+v", p)
		}
		if n := e.srv.Count("PUBLISH"); n != 0 {
			t.Errorf("direct account sent %d PUBLISH", n)
		}
		// alice leaves: bob gets a terminated NOTIFY
		alice.close()
		if s := bob.want("terminated", isSub(ua.SubTerminated)).(ua.SubscriptionEvent); s.Reason != "probation" {
			t.Errorf("terminated = %+v", s)
		}
	})
}

func TestSubscribeFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		bob := e.agent("192.0.2.2", "bob", "", func(c *ua.Config) { direct(c); c.Accounts[0].Domain = "192.0.2.2" })
		bob.wantReg(ua.RegDirect)
		// nobody there: 408 after Timer F, then a retry a minute later
		must(t, bob.a.Subscribe(bg, "", "sip:nobody@192.0.2.99"))
		bob.want("pending", isSub(ua.SubPending))
		start := time.Now()
		s := bob.want("failed", isSub(ua.SubFailed)).(ua.SubscriptionEvent)
		if s.Code != 408 || time.Since(start) != 32*time.Second {
			t.Errorf("failed = %+v after %v", s, time.Since(start))
		}
		bob.want("failed again", isSub(ua.SubFailed))
		if d := time.Since(start); d != 2*32*time.Second+time.Minute {
			t.Errorf("second failure after %v", d)
		}
		must(t, bob.a.Unsubscribe(bg, "sip:nobody@192.0.2.99"))
		bob.want("terminated", isSub(ua.SubTerminated))
		// an agent that does not know the event package: 489, no retry
		alice := e.agent("192.0.2.1", "alice", "", func(c *ua.Config) { direct(c); c.Accounts[0].Domain = "192.0.2.1" })
		alice.wantReg(ua.RegDirect)
		raw := newRaw(t, e, "192.0.2.3:5060")
		sub := siptestRequest(t, "SUBSCRIBE", "sip:alice@192.0.2.1")
		sub.SetHeader("Event", "message-summary")
		raw.send(sub, alice.addr())
		if r := raw.recvResp(489); r.Header("Allow-Events") != "presence" {
			t.Errorf("489 Allow-Events = %q", r.Header("Allow-Events"))
		}
	})
}
