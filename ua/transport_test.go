package ua_test

import (
	"context"
	"net"
	"testing"
	"testing/synctest"

	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

// TestCallOverTCP runs a direct call over TCP listeners: the INVITE goes
// on a new connection, responses come back on it, and in-dialog requests
// reach the Contact (transport=tcp).
func TestCallOverTCP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		tcp := func(ip string) func(*ua.Config) {
			return func(c *ua.Config) {
				direct(c)
				c.Accounts[0].Domain = ip
				c.Accounts[0].Transport = "tcp"
				c.Listeners = []net.Listener{e.nw.MustListen(t, ip+":5060")}
			}
		}
		alice := e.agent("192.0.2.1", "alice", "", tcp("192.0.2.1"))
		if r := alice.wantReg(ua.RegDirect); r.Contact != "<sip:alice@192.0.2.1:5060;transport=tcp>" {
			t.Errorf("contact = %q", r.Contact)
		}
		bob := e.agent("192.0.2.2", "bob", "", tcp("192.0.2.2"))
		bob.wantReg(ua.RegDirect)
		id, err := alice.a.Dial(bg, "", "sip:bob@192.0.2.2;transport=tcp")
		must(t, err)
		alice.wantCall(ua.CallDialing)
		in := bob.wantCall(ua.CallIncoming)
		alice.wantCall(ua.CallRinging)
		must(t, bob.a.Answer(bg, in.ID))
		bob.wantCall(ua.CallActive)
		alice.wantCall(ua.CallActive)
		must(t, bob.a.Hold(bg, in.ID, true))
		if c := alice.wantCall(ua.CallActive); !c.RemoteHold {
			t.Errorf("alice = %+v", c)
		}
		bob.wantCall(ua.CallActive)
		must(t, alice.a.Hangup(bg, id))
		alice.wantCall(ua.CallEnded)
		bob.wantCall(ua.CallEnded)
		for _, tr := range alice.traces {
			if tr.Transport != "tcp" {
				t.Errorf("message over %s: %s", tr.Transport, tr.Summary)
			}
		}
	})
}

func TestSeveralAccounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		p := e.agent("192.0.2.1", "alice", "apw", func(c *ua.Config) {
			c.Accounts = append(c.Accounts, ua.Account{Name: "work", User: "carol", Domain: domain, Password: "cpw",
				Registrar: e.srv.URI(), OutboundProxy: e.srv.URI()})
		})
		got := map[string]ua.RegState{}
		for len(got) < 2 || got["alice"] != ua.RegRegistered || got["work"] != ua.RegRegistered {
			r := p.next().(ua.RegistrationEvent)
			got[r.Account] = r.State
		}
		bob := e.registered("192.0.2.2", "bob", "bpw", nil)
		bob.a.Dial(bg, "", "carol")
		c := p.wantCall(ua.CallIncoming)
		if c.Account != "work" {
			t.Errorf("call for carol on account %q", c.Account)
		}
		// dial from the second account: bob sees carol
		must(t, p.a.Hangup(bg, c.ID))
		p.wantCall(ua.CallEnded)
		p.a.Dial(context.Background(), "work", "bob")
		in := bob.want("incoming", func(ev ua.Event) bool {
			c, ok := ev.(ua.CallEvent)
			return ok && c.Call.State == ua.CallIncoming
		}).(ua.CallEvent)
		if in.Call.Remote != "sip:carol@"+domain {
			t.Errorf("bob sees %q", in.Call.Remote)
		}
	})
}
