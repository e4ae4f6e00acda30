package demo

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teaphone/teaphone/ua"
)

func TestUserConfig(t *testing.T) {
	p := startPeer(t, Options{})
	uc := p.UserConfig()
	t.Cleanup(func() { uc.Conn.Close() })
	host, port, err := net.SplitHostPort(uc.Domain)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("Domain = %q, want 127.0.0.1:PORT", uc.Domain)
	}
	if got := uc.Conn.LocalAddr().String(); got != uc.Domain {
		t.Errorf("Conn bound to %s, want %s", got, uc.Domain)
	}
	if n, _ := strconv.Atoi(port); n == 0 {
		t.Errorf("port %q, want an ephemeral port", port)
	}
	if want := "sip:me@" + uc.Domain; uc.User != "me" || uc.AOR != want {
		t.Errorf("User, AOR = %q, %q; want me, %s", uc.User, uc.AOR, want)
	}
	if want := "udp:" + uc.Domain; uc.Listen != want {
		t.Errorf("Listen = %q, want %q", uc.Listen, want)
	}
	var got []string
	for _, c := range uc.Contacts {
		got = append(got, c.Name+" "+c.URI+" "+strconv.FormatBool(c.Favourite))
		if c.Note == "" {
			t.Errorf("contact %s has no note", c.Name)
		}
	}
	want := []string{"Echo " + p.Echo() + " true", "Alice " + p.Alice() + " true"}
	if !slices.Equal(got, want) {
		t.Errorf("contacts = %q, want %q", got, want)
	}
	for _, uri := range []string{p.Echo(), p.Alice()} {
		if !strings.HasPrefix(uri, "sip:") || !strings.Contains(uri, "@127.0.0.1:") {
			t.Errorf("peer address %q is not a loopback SIP URI with a port", uri)
		}
	}
	if p.Echo() == p.Alice() || p.Echo() == uc.AOR {
		t.Errorf("addresses collide: echo %s alice %s me %s", p.Echo(), p.Alice(), uc.AOR)
	}
}

// TestCloseReleasesUntakenSocket: nobody asked for UserConfig, so Close
// frees the user's socket.
func TestCloseReleasesUntakenSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	p, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := p.user.LocalAddr().String()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("user socket %s still bound after Close: %v", addr, err)
	}
	pc.Close()
}

// TestCallEcho: Echo answers at once; hanging up ends the call normally.
func TestCallEcho(t *testing.T) {
	p := startPeer(t, Options{})
	u := newUser(t, p, nil)
	id := u.dial(p.Echo())
	c := u.waitCall(id, ua.CallActive)
	if c.Remote != p.Echo() || c.Codec == "" {
		t.Errorf("active call: remote %q codec %q; want %s and a codec", c.Remote, c.Codec, p.Echo())
	}
	t.Logf("answered %v after dialling, codec %s", c.Answered.Sub(c.Started), c.Codec)
	if err := u.a.Hangup(u.ctx(), id); err != nil {
		t.Fatal(err)
	}
	if c := u.waitCall(id, ua.CallEnded); c.Code != 200 {
		t.Errorf("ended with %d %q, want 200", c.Code, c.Reason)
	}
}

// TestCallEchoRings: with RingTime, Echo rings before it answers.
func TestCallEchoRings(t *testing.T) {
	p := startPeer(t, Options{RingTime: 200 * time.Millisecond})
	u := newUser(t, p, nil)
	id := u.dial(p.Echo())
	u.waitCall(id, ua.CallRinging)
	u.waitCall(id, ua.CallActive)
}

// TestMessageEcho: a MESSAGE to Echo is delivered and answered.
func TestMessageEcho(t *testing.T) {
	p := startPeer(t, Options{})
	u := newUser(t, p, nil)
	id, err := u.a.SendMessage(u.ctx(), "me", p.Echo(), "hello there")
	if err != nil {
		t.Fatal(err)
	}
	st := u.waitFor("delivery", func(ev ua.Event) bool {
		s, ok := ev.(ua.MessageStatusEvent)
		return ok && s.ID == id && s.State != ua.MessageSending
	}).(ua.MessageStatusEvent)
	if st.State != ua.MessageDelivered {
		t.Fatalf("message state %d %d %q, want delivered", st.State, st.Code, st.Reason)
	}
	if m := u.waitMessage(p.Echo()); m.Body != "echo: hello there" {
		t.Errorf("reply %q, want %q", m.Body, "echo: hello there")
	}
}

// TestDTMFComesBackAsMessage: digits sent in a call to Echo (RFC 4733)
// come back as messages.
func TestDTMFComesBackAsMessage(t *testing.T) {
	p := startPeer(t, Options{})
	u := newUser(t, p, nil)
	id := u.dial(p.Echo())
	u.waitCall(id, ua.CallActive)
	if err := u.a.SendDTMF(u.ctx(), id, "5#"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"you pressed 5", "you pressed #"} {
		if m := u.waitMessage(p.Echo()); m.Body != want {
			t.Errorf("got %q, want %q", m.Body, want)
		}
	}
}

// TestAlice: Alice shows away, rejects calls with 480 and auto-replies.
func TestAlice(t *testing.T) {
	p := startPeer(t, Options{})
	u := newUser(t, p, nil)
	if err := u.a.Subscribe(u.ctx(), "me", p.Alice()); err != nil {
		t.Fatal(err)
	}
	pr := u.waitPresence(p.Alice(), func(ua.Presence) bool { return true })
	if want := alicePresence(); pr.Basic != want.Basic || !slices.Equal(pr.Activities, want.Activities) || pr.Note != want.Note {
		t.Errorf("Alice's presence %+v, want %+v", pr, want)
	}
	id := u.dial(p.Alice())
	if c := u.waitCall(id, ua.CallEnded); c.Code != 480 {
		t.Errorf("call to Alice ended with %d %q, want 480", c.Code, c.Reason)
	}
	if _, err := u.a.SendMessage(u.ctx(), "me", p.Alice(), "are you there?"); err != nil {
		t.Fatal(err)
	}
	if m := u.waitMessage(p.Alice()); m.Body != aliceAutoReply {
		t.Errorf("Alice replied %q, want %q", m.Body, aliceAutoReply)
	}
}

// TestEchoPresenceCycles: subscribed to Echo, the user sees its idle
// presence change every PresencePeriod, in order.
func TestEchoPresenceCycles(t *testing.T) {
	p := startPeer(t, Options{PresencePeriod: 150 * time.Millisecond})
	u := newUser(t, p, nil)
	if err := u.a.Subscribe(u.ctx(), "me", p.Echo()); err != nil {
		t.Fatal(err)
	}
	first := u.waitPresence(p.Echo(), func(ua.Presence) bool { return true })
	if first.Basic != ua.BasicOpen {
		t.Errorf("Echo's basic status %v, want open", first.Basic)
	}
	step := -1
	for i := range 3 {
		if echoIdle(i).Note == first.Note {
			step = i
		}
	}
	if step < 0 {
		t.Fatalf("first presence %+v is none of the idle states", first)
	}
	// The next two changes follow the cycle.
	for i := 1; i <= 2; i++ {
		want := echoIdle(step + i)
		got := u.waitPresence(p.Echo(), func(pr ua.Presence) bool { return pr.Note != first.Note })
		if got.Note != want.Note || !slices.Equal(got.Activities, want.Activities) {
			t.Errorf("change %d: %+v, want %+v", i, got, want)
		}
		first = got
	}
}

// TestEchoPresenceFollowsCalls: Echo is on the phone while a call is up
// and idle again after it.
func TestEchoPresenceFollowsCalls(t *testing.T) {
	p := startPeer(t, Options{PresencePeriod: -1})
	u := newUser(t, p, nil)
	if err := u.a.Subscribe(u.ctx(), "me", p.Echo()); err != nil {
		t.Fatal(err)
	}
	if pr := u.waitPresence(p.Echo(), func(ua.Presence) bool { return true }); pr.Note != echoIdle(0).Note {
		t.Errorf("initial presence %+v, want %+v", pr, echoIdle(0))
	}
	id := u.dial(p.Echo())
	u.waitCall(id, ua.CallActive)
	onPhone := func(pr ua.Presence) bool { return slices.Contains(pr.Activities, "on-the-phone") }
	if pr := u.waitPresence(p.Echo(), onPhone); pr.Basic != ua.BasicOpen {
		t.Errorf("in-call presence %+v, want open", pr)
	}
	if err := u.a.Hangup(u.ctx(), id); err != nil {
		t.Fatal(err)
	}
	u.waitCall(id, ua.CallEnded)
	if pr := u.waitPresence(p.Echo(), func(pr ua.Presence) bool { return !onPhone(pr) }); pr.Note != echoIdle(0).Note {
		t.Errorf("after the call: %+v, want %+v", pr, echoIdle(0))
	}
}

// TestToneEchoedAfterDelay: a 440 Hz tone sent to Echo comes back, and
// not before the echo delay. The measured lag is logged.
func TestToneEchoedAfterDelay(t *testing.T) {
	const delay = 400 * time.Millisecond
	p := startPeer(t, Options{EchoDelay: delay})
	dev := &toneDevices{hz: 440, wrote: make(chan struct{}, 1)}
	u := newUser(t, p, dev)
	id := u.dial(p.Echo())
	u.waitCall(id, ua.CallActive)

	// Wait (bounded) for 100 ms of tone in a row on the speaker.
	const threshold = -40.0 // dBFS; the tone is sent at -20
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	var start, back time.Time
	for back.IsZero() {
		select {
		case <-dev.wrote:
		case <-deadline.C:
			t.Fatalf("no 440 Hz came back within %v", waitLimit)
		}
		dev.mu.Lock()
		start = dev.micStart
		run := 0
		for i, f := range dev.frames {
			if f.level > threshold {
				run++
			} else {
				run = 0
			}
			if run*20 >= 100 {
				back = dev.frames[i-run+1].at
				break
			}
		}
		dev.mu.Unlock()
	}
	if start.IsZero() {
		t.Fatal("the microphone never opened")
	}
	lag := back.Sub(start)
	t.Logf("tone sent at mic open, heard back after %v (echo delay %v)", lag, delay)
	// Frames are 20 ms: allow one frame early for timestamp granularity.
	if lag < delay-20*time.Millisecond {
		t.Errorf("tone came back after %v, before the echo delay %v", lag, delay)
	}
	if lag > delay+2*time.Second {
		t.Errorf("tone came back after %v, far beyond the echo delay %v", lag, delay)
	}
}

// TestCloseLeavesNoGoroutines: after a call, a message and subscriptions,
// closing the user's agent and the peer ends every goroutine.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	if leaked := leakedGoroutines(5 * time.Second); leaked != "" {
		t.Fatalf("goroutines left over from earlier tests:\n%s", leaked)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	p, err := Start(ctx, Options{PresencePeriod: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	u := openUser(t, p, nil)
	id := u.dial(p.Echo())
	u.waitCall(id, ua.CallActive)
	if _, err := u.a.SendMessage(u.ctx(), "me", p.Echo(), "bye"); err != nil {
		t.Fatal(err)
	}
	u.waitMessage(p.Echo())
	for _, b := range []string{p.Echo(), p.Alice()} {
		if err := u.a.Subscribe(u.ctx(), "me", b); err != nil {
			t.Fatal(err)
		}
		u.waitPresence(b, func(ua.Presence) bool { return true })
	}
	// The call is still up: Close hangs it up.
	u.close()
	if err := u.media.Close(); err != nil {
		t.Errorf("user media close: %v", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Errorf("Peer.Close: %v", err)
	}
	if leaked := leakedGoroutines(5 * time.Second); leaked != "" {
		t.Errorf("goroutines left after Close:\n%s", leaked)
	}
}
