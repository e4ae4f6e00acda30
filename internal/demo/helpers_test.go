package demo

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/callmedia"
	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/ua"
)

// waitLimit bounds every wait for an event: generous, since the machine
// may be loaded; nothing here asserts on it.
const waitLimit = 10 * time.Second

// TestMain fails the run if any goroutine of the engine, the media or this
// package outlives the tests (each test closes what it made).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// ours reports whether a goroutine's stack runs teaphone code (other than
// the test functions themselves).
func ours(stack string) bool {
	for _, p := range []string{"teaphone/ua.", "teaphone/ua/", "teaphone/sipcore/", "teaphone/media/", "teaphone/internal/callmedia.", "teaphone/internal/demo.(*", "teaphone/internal/demo.Start", "teaphone/internal/demo.newPacer"} {
		if strings.Contains(stack, p) {
			return true
		}
	}
	return false
}

// leakedGoroutines waits up to limit for every teaphone goroutine but the
// caller's to end and returns the stacks of those still there.
func leakedGoroutines(limit time.Duration) string {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		gs := strings.Split(string(buf), "\n\n")
		var left []string
		for _, g := range gs[1:] { // gs[0] is the caller
			if ours(g) {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		<-tick.C
	}
}

// startPeer starts the demo with opts and closes it at the end of the test
// (after the user's agent, which registers its cleanup later).
func startPeer(t *testing.T, opts Options) *Peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	p, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Peer.Close: %v", err)
		}
	})
	return p
}

// user is the user's agent configured from UserConfig, as main does.
type user struct {
	t       *testing.T
	a       *ua.Agent
	media   *callmedia.Factory
	ev      <-chan ua.Event
	backlog []ua.Event
	seen    []string
}

// newUser starts the user's agent against p with media (callmedia with
// devices, or null devices when nil) and closes it at the end of the test.
func newUser(t *testing.T, p *Peer, devices callmedia.AudioDevices) *user {
	t.Helper()
	u := openUser(t, p, devices)
	t.Cleanup(func() {
		u.close()
		if err := u.media.Close(); err != nil {
			t.Errorf("media close: %v", err)
		}
	})
	return u
}

// openUser starts the user's agent; the caller closes it (close, then
// media.Close).
func openUser(t *testing.T, p *Peer, devices callmedia.AudioDevices) *user {
	t.Helper()
	if devices == nil {
		devices = callmedia.Null{}
	}
	media, err := callmedia.New(callmedia.Config{Devices: devices})
	if err != nil {
		t.Fatal(err)
	}
	uc := p.UserConfig()
	a, err := ua.New(ua.Config{
		Accounts: []ua.Account{{
			Name: "me", User: uc.User, Domain: uc.Domain, DisplayName: uc.DisplayName, NoRegister: true,
		}},
		PacketConns:   []net.PacketConn{uc.Conn},
		Media:         media,
		StatsInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return &user{t: t, a: a, ev: a.Events(), media: media}
}

func (u *user) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	u.t.Cleanup(cancel)
	return ctx
}

// close closes the agent while draining its events.
func (u *user) close() {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range u.ev {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := u.a.Close(ctx); err != nil {
		u.t.Errorf("user agent Close: %v", err)
	}
	wg.Wait()
}

func describe(ev ua.Event) string {
	switch ev := ev.(type) {
	case ua.CallEvent:
		return fmt.Sprintf("call %s %s %s %d %q", ev.Call.ID, ev.Call.Remote, ev.Call.State, ev.Call.Code, ev.Call.Reason)
	case ua.PresenceEvent:
		return fmt.Sprintf("presence %s %+v", ev.URI, ev.Presence)
	case ua.MessageEvent:
		return fmt.Sprintf("message from %s %q", ev.From, ev.Body)
	case ua.MessageStatusEvent:
		return fmt.Sprintf("message status %s %d %d %q", ev.To, ev.State, ev.Code, ev.Reason)
	case ua.SubscriptionEvent:
		return fmt.Sprintf("subscription %s %d %d %q", ev.URI, ev.State, ev.Code, ev.Reason)
	case ua.TraceEvent:
		return "trace " + ev.Summary
	}
	return fmt.Sprintf("%T %+v", ev, ev)
}

// waitFor returns the first event (queued or new) that match accepts; the
// others stay queued for later waits.
func (u *user) waitFor(what string, match func(ua.Event) bool) ua.Event {
	u.t.Helper()
	for i, ev := range u.backlog {
		if match(ev) {
			u.backlog = append(u.backlog[:i:i], u.backlog[i+1:]...)
			return ev
		}
	}
	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-u.ev:
			if !ok {
				u.t.Fatalf("events closed while waiting for %s", what)
			}
			if _, trace := ev.(ua.TraceEvent); !trace {
				u.seen = append(u.seen, describe(ev))
			}
			if match(ev) {
				return ev
			}
			u.backlog = append(u.backlog, ev)
		case <-timer.C:
			u.t.Fatalf("no %s within %v; saw:\n%s", what, waitLimit, strings.Join(u.seen, "\n"))
		}
	}
}

func (u *user) waitCall(id string, state ua.CallState) ua.CallInfo {
	u.t.Helper()
	ev := u.waitFor(fmt.Sprintf("call %s %s", id, state), func(ev ua.Event) bool {
		ce, ok := ev.(ua.CallEvent)
		return ok && ce.Call.ID == id && ce.Call.State == state
	})
	return ev.(ua.CallEvent).Call
}

func (u *user) waitMessage(from string) ua.MessageEvent {
	u.t.Helper()
	return u.waitFor("message from "+from, func(ev ua.Event) bool {
		m, ok := ev.(ua.MessageEvent)
		return ok && m.From == from
	}).(ua.MessageEvent)
}

func (u *user) waitPresence(uri string, match func(ua.Presence) bool) ua.Presence {
	u.t.Helper()
	return u.waitFor("presence of "+uri, func(ev ua.Event) bool {
		p, ok := ev.(ua.PresenceEvent)
		return ok && p.URI == uri && match(p.Presence)
	}).(ua.PresenceEvent).Presence
}

func (u *user) dial(target string) string {
	u.t.Helper()
	id, err := u.a.Dial(u.ctx(), "me", target)
	if err != nil {
		u.t.Fatalf("Dial %s: %v", target, err)
	}
	return id
}

// toneDevices is the user's sound card in the echo test: a 440 Hz tone as
// the microphone (its first read is the tone's start) and a speaker that
// records the 440 Hz level and the time of every frame.
type toneDevices struct {
	hz float64

	mu       sync.Mutex
	micStart time.Time
	frames   []heard
	wrote    chan struct{}
}

type heard struct {
	at    time.Time
	level float64 // dBFS at hz
}

func (d *toneDevices) OpenInput(rate int) (audio.Source, error) {
	src, err := callmedia.Tone{Hz: d.hz}.OpenInput(rate)
	if err != nil {
		return nil, err
	}
	return &stampSource{Source: src, d: d}, nil
}

func (d *toneDevices) OpenOutput(rate int) (audio.Sink, error) {
	sink, err := callmedia.Null{}.OpenOutput(rate)
	if err != nil {
		return nil, err
	}
	return &levelSink{Sink: sink, d: d}, nil
}

type stampSource struct {
	audio.Source
	d *toneDevices
}

func (s *stampSource) Read(frame []int16) (int, error) {
	n, err := s.Source.Read(frame)
	s.d.mu.Lock()
	if s.d.micStart.IsZero() && n > 0 {
		s.d.micStart = time.Now()
	}
	s.d.mu.Unlock()
	return n, err
}

type levelSink struct {
	audio.Sink
	d *toneDevices
}

func (s *levelSink) Write(frame []int16) (int, error) {
	lvl := audio.ToneLevel(frame, s.SampleRate(), s.d.hz)
	s.d.mu.Lock()
	s.d.frames = append(s.d.frames, heard{at: time.Now(), level: lvl})
	s.d.mu.Unlock()
	select {
	case s.d.wrote <- struct{}{}:
	default:
	}
	return s.Sink.Write(frame)
}
