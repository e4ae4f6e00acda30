package e2e

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// kamailioArgs are the agent flags for an account of k over transport,
// with k as registrar and outbound proxy.
func kamailioArgs(k *interop.Kamailio, user, password, transport string) []string {
	addr := k.Addr
	if transport == "tls" {
		addr = k.TLSAddr
	}
	uri := "sip:" + addr + ";transport=" + transport
	args := []string{"-user", user, "-domain", k.IP, "-password", password,
		"-registrar", uri, "-proxy", uri, "-transport", transport,
		"-listen", "udp:127.0.0.1:0", "-expires", "5m", "-trace"}
	if transport == "tcp" || transport == "tls" {
		args = append(args, "-listen", "tcp:127.0.0.1:0")
	}
	if transport == "tls" {
		args = append(args, "-ca-file", k.CAFile)
	}
	return args
}

func TestKamailio(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		transport string
		qop       bool
	}{
		{"udp", "udp", false},
		{"udp-qop", "udp", true},
		{"tcp", "tcp", false},
		{"tls-qop", "tls", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kamailioCall(t, tc.transport, tc.qop)
		})
	}
}

// kamailioCall: two agents register through Kamailio over transport; alice
// calls bob; hold/resume seen on both sides; DTMF; MESSAGE both ways;
// alice PUBLISHes away and bob, subscribed, sees it; audio both ways.
func kamailioCall(t *testing.T, transport string, qop bool) {
	k := interop.StartKamailio(t, interop.KamailioOptions{QOP: qop})
	dir := t.TempDir()
	aliceWAV, bobWAV := filepath.Join(dir, "alice-rx.wav"), filepath.Join(dir, "bob-rx.wav")
	alice := StartAgent(t, AgentOptions{Args: append(kamailioArgs(k, "alice", k.Password("alice"), transport),
		"-audio", "tone:440,"+aliceWAV)})
	bob := StartAgent(t, AgentOptions{Args: append(kamailioArgs(k, "bob", k.Password("bob"), transport),
		"-audio", "tone:880,"+bobWAV)})
	alice.Expect(t, 0, 20*time.Second, "register", Is("registered"))
	bob.Expect(t, 0, 20*time.Second, "register", Is("registered"))
	if _, err := k.WaitRegistered(t.Context(), "bob"); err != nil {
		t.Fatal(err)
	}

	// bob watches alice's presence (RFC 3856 through Kamailio's presence server).
	bob.MustCmd(t, "subscribe sip:alice@127.0.0.1")

	ma, mb := alice.Mark(), bob.Mark()
	call := alice.MustCmd(t, "dial sip:bob@127.0.0.1").Str("call")
	in := bob.Expect(t, mb, 15*time.Second, "incoming call", Is("incoming"))
	bob.MustCmd(t, "answer "+in.Str("call"))
	alice.Expect(t, ma, 15*time.Second, "answered", Is("answered", "call", call))
	bob.Expect(t, mb, 15*time.Second, "answered", Is("answered"))

	// Hold and resume (RFC 3264 §8.4): both sides see it.
	ma, mb = alice.Mark(), bob.Mark()
	alice.MustCmd(t, "hold")
	alice.Expect(t, ma, 10*time.Second, "held", Is("held"))
	bob.Expect(t, mb, 10*time.Second, "remote_held", Is("remote_held"))
	ma, mb = alice.Mark(), bob.Mark()
	alice.MustCmd(t, "resume")
	alice.Expect(t, ma, 10*time.Second, "resumed", Is("resumed"))
	bob.Expect(t, mb, 10*time.Second, "remote_resumed", Is("remote_resumed"))

	// DTMF (RFC 4733) alice → bob.
	mb = bob.Mark()
	alice.MustCmd(t, "dtmf 19#")
	expectDigits(t, bob, mb, "19#")

	// MESSAGE (RFC 3428) both ways, through the proxy.
	ma, mb = alice.Mark(), bob.Mark()
	id := alice.MustCmd(t, "message sip:bob@127.0.0.1 hello bob, over "+transport).Str("message")
	alice.Expect(t, ma, 15*time.Second, "message_delivered", Is("message_delivered", "id", id))
	bob.Expect(t, mb, 15*time.Second, "message", Is("message", "body", "hello bob, over "+transport))
	ma, mb = alice.Mark(), bob.Mark()
	id = bob.MustCmd(t, "message sip:alice@127.0.0.1 hi alice").Str("message")
	bob.Expect(t, mb, 15*time.Second, "message_delivered", Is("message_delivered", "id", id))
	alice.Expect(t, ma, 15*time.Second, "message", Is("message", "body", "hi alice"))

	// PUBLISH (RFC 3903) away; bob's subscription reports it.
	mb = bob.Mark()
	alice.MustCmd(t, "publish away")
	bob.Expect(t, mb, 15*time.Second, "presence of alice away", func(e Event) bool {
		return e.Name() == "presence" && slices.Contains(activities(e), "away")
	})

	// Audio both ways for 2 s after the resume.
	waitAudio(t, aliceWAV, 2*time.Second)
	waitAudio(t, bobWAV, 2*time.Second)
	ma, mb = alice.Mark(), bob.Mark()
	alice.MustCmd(t, "hangup")
	alice.Expect(t, ma, 10*time.Second, "ended", Is("ended"))
	bob.Expect(t, mb, 10*time.Second, "ended", Is("ended"))
	expectTone(t, aliceWAV, 880, 440)
	expectTone(t, bobWAV, 440, 880)

	// quit un-registers (RFC 3261 §10.2.2) and stops.
	for _, a := range []*Agent{alice, bob} {
		m := a.Mark()
		a.MustCmd(t, "quit")
		a.Expect(t, m, 15*time.Second, "unregistered", Is("unregistered"))
		a.Expect(t, m, 15*time.Second, "stopped", Is("stopped"))
	}
	for _, u := range []string{"alice", "bob"} {
		if c, err := k.Lookup(u); err == nil {
			t.Errorf("kamailio still has bindings for %s after quit: %v", u, c)
		}
	}
}

func activities(e Event) []string {
	var out []string
	if l, ok := e["activities"].([]any); ok {
		for _, v := range l {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestKamailioWrongPassword: a 401 to the credentials is reported as a
// wrong password, with and without qop.
func TestKamailioWrongPassword(t *testing.T) {
	t.Parallel()
	for _, qop := range []bool{false, true} {
		name := map[bool]string{false: "no-qop", true: "qop"}[qop]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := interop.StartKamailio(t, interop.KamailioOptions{QOP: qop})
			a := StartAgent(t, AgentOptions{Args: kamailioArgs(k, "carol", "not-"+k.Password("carol"), "udp")})
			ev := a.Expect(t, 0, 20*time.Second, "registration_failed", func(e Event) bool {
				return e.Name() == "registration_failed" || e.Name() == "registered"
			})
			if ev.Name() != "registration_failed" {
				t.Fatalf("event %s, want registration_failed", ev)
			}
			if got, want := ev.Str("kind"), "wrong password or user name"; got != want {
				t.Errorf("registration_failed kind = %q, want %q (%s)", got, want, ev)
			}
			if _, err := k.Lookup("carol"); err == nil {
				t.Errorf("kamailio has a binding for carol after a wrong password")
			}
		})
	}
}

// TestQuitWithTLSSubscription: an agent registered over TLS with an active
// presence subscription stops within 5 s of "quit". Kamailio's presence
// server gives its dialog Contact as sip:127.0.0.1:SIP_PORT;transport=tls
// (its plain TCP port), so the un-SUBSCRIBE (RFC 6665 §4.1.2.3) goes to a
// port that never completes a TLS handshake: the agent must bound the
// handshake (or give up on it) instead of holding quit for its whole 10 s
// close bound.
func TestQuitWithTLSSubscription(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	bob := StartAgent(t, AgentOptions{Args: kamailioArgs(k, "bob", k.Password("bob"), "tls")})
	bob.Expect(t, 0, 20*time.Second, "register", Is("registered"))
	bob.MustCmd(t, "subscribe sip:alice@127.0.0.1")
	bob.Expect(t, 0, 15*time.Second, "subscription active", Is("subscription", "state", "active"))
	m := bob.Mark()
	start := time.Now()
	bob.MustCmd(t, "quit")
	bob.Expect(t, m, 20*time.Second, "stopped", Is("stopped"))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("quit took %v, want < 5 s; stderr: %s", d.Round(time.Millisecond), tail(bob.stderr.String(), 5))
	}
}

// TestKamailioTLSUntrusted: without Kamailio's CA (its certificate is
// self-signed), registration over TLS fails and is reported as a TLS
// problem, not as a wrong password or a timeout.
func TestKamailioTLSUntrusted(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	args := kamailioArgs(k, "alice", k.Password("alice"), "tls")
	if i := slices.Index(args, "-ca-file"); i >= 0 {
		args = slices.Delete(args, i, i+2)
	}
	a := StartAgent(t, AgentOptions{Args: args})
	ev := a.Expect(t, 0, 40*time.Second, "registration_failed", func(e Event) bool {
		return e.Name() == "registration_failed" || e.Name() == "registered"
	})
	if ev.Name() != "registration_failed" || ev.Str("kind") != "TLS" {
		t.Errorf("event %s, want registration_failed with kind TLS", ev)
	}
}
