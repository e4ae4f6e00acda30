package ua_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

// TestLoopbackCall runs two agents on real loopback UDP sockets (real
// time): call, DTMF by INFO, MESSAGE, hang up, close — and no goroutine
// is left behind.
func TestLoopbackCall(t *testing.T) {
	siptest.CheckGoroutines(t)
	start := func(user string) (*ua.Agent, string) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		must(t, err)
		a, err := ua.New(ua.Config{
			Accounts:      []ua.Account{{User: user, Domain: "127.0.0.1", NoRegister: true, DTMF: ua.DTMFInfo}},
			PacketConns:   []net.PacketConn{pc},
			Media:         &uatest.Media{},
			StatsInterval: -1,
			AutoAnswer:    user == "bob",
		})
		must(t, err)
		must(t, a.Start(bg))
		return a, pc.LocalAddr().String()
	}
	alice, aliceAddr := start("alice")
	bob, bobAddr := start("bob")
	ctx, cancel := context.WithTimeout(bg, 20*time.Second)
	defer cancel()
	next := func(a *ua.Agent, f func(ua.Event) bool) ua.Event {
		t.Helper()
		for {
			select {
			case ev := <-a.Events():
				if f(ev) {
					return ev
				}
			case <-ctx.Done():
				t.Fatal("timed out")
			}
		}
	}
	state := func(s ua.CallState) func(ua.Event) bool {
		return func(ev ua.Event) bool { c, ok := ev.(ua.CallEvent); return ok && c.Call.State == s }
	}
	id, err := alice.Dial(ctx, "", "sip:bob@"+bobAddr)
	must(t, err)
	next(alice, state(ua.CallActive))
	bin := next(bob, state(ua.CallActive)).(ua.CallEvent).Call
	must(t, alice.SendDTMF(ctx, id, "42"))
	d1 := next(bob, isDTMF).(ua.DTMFEvent)
	d2 := next(bob, isDTMF).(ua.DTMFEvent)
	if string([]rune{d1.Digit, d2.Digit}) != "42" || d1.CallID != bin.ID {
		t.Errorf("digits %c%c on %s", d1.Digit, d2.Digit, d1.CallID)
	}
	_, err = bob.SendMessage(ctx, "", "sip:alice@"+aliceAddr, "over loopback")
	must(t, err)
	m := next(alice, func(ev ua.Event) bool { _, ok := ev.(ua.MessageEvent); return ok }).(ua.MessageEvent)
	if m.Body != "over loopback" {
		t.Errorf("message = %+v", m)
	}
	must(t, alice.Hangup(ctx, id))
	next(bob, state(ua.CallEnded))
	for _, a := range []*ua.Agent{alice, bob} {
		go func() {
			for range a.Events() {
			}
		}()
		must(t, a.Close(ctx))
	}
}
