package ua_test

import (
	"strings"
	"testing"
	"testing/synctest"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

func isMsgStatus(st ua.MessageState) func(ua.Event) bool {
	return func(ev ua.Event) bool {
		m, ok := ev.(ua.MessageStatusEvent)
		return ok && m.State == st
	}
}

func TestMessageBothWays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// the proxy challenges MESSAGE: the engine answers with credentials
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{AuthRequests: true}, nil, nil)
		defer e.close()
		id, err := alice.a.SendMessage(bg, "", "bob", "hello bob")
		must(t, err)
		if s := alice.next().(ua.MessageStatusEvent); s.ID != id || s.State != ua.MessageSending {
			t.Errorf("status = %+v", s)
		}
		m := bob.want("message", func(ev ua.Event) bool { _, ok := ev.(ua.MessageEvent); return ok }).(ua.MessageEvent)
		if m.Body != "hello bob" || m.From != "sip:alice@"+domain || m.Account != "bob" || !strings.HasPrefix(m.ContentType, "text/plain") {
			t.Errorf("bob got %+v", m)
		}
		if s := alice.next().(ua.MessageStatusEvent); s.ID != id || s.State != ua.MessageDelivered || s.Code != 200 {
			t.Errorf("status = %+v", s)
		}
		bob.a.SendMessage(bg, "", "sip:alice@"+domain, "hi alice")
		m = alice.want("message", func(ev ua.Event) bool { _, ok := ev.(ua.MessageEvent); return ok }).(ua.MessageEvent)
		if m.Body != "hi alice" {
			t.Errorf("alice got %+v", m)
		}
		bob.want("delivered", isMsgStatus(ua.MessageDelivered))
	})
}

func TestMessageFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, _ := twoRegistered(t, uatest.ServerConfig{Hook: func(r *sip.Request) (*sip.Response, bool) {
			return nil, r.Method == "MESSAGE" && r.URI.User == "void"
		}}, nil, nil)
		defer e.close()
		alice.a.SendMessage(bg, "", "nobody", "x")
		s := alice.want("failed", isMsgStatus(ua.MessageFailed)).(ua.MessageStatusEvent)
		if s.Code != 404 || s.Kind != ua.FailRejected {
			t.Errorf("404 status = %+v", s)
		}
		alice.a.SendMessage(bg, "", "void", "x")
		s = alice.want("failed", isMsgStatus(ua.MessageFailed)).(ua.MessageStatusEvent)
		if s.Code != 408 || s.Kind != ua.FailTimeout {
			t.Errorf("timeout status = %+v", s)
		}
	})
}

func TestMessageUnsupportedType(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		bob := e.agent("192.0.2.2", "bob", "", direct)
		bob.wantReg(ua.RegDirect)
		raw := newRaw(t, e, "192.0.2.3:5060")
		m := siptestRequest(t, "MESSAGE", "sip:bob@192.0.2.2")
		m.SetContent("application/im-iscomposing+xml", []byte("<x/>"))
		raw.send(m, bob.addr())
		r := raw.recvResp(415)
		if !strings.Contains(r.Header("Accept"), "text/plain") {
			t.Errorf("415 Accept = %q", r.Header("Accept"))
		}
	})
}
