package demo

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/teaphone/teaphone/ua"
)

// opTimeout bounds each engine call a peer makes in reaction to an event.
const opTimeout = 5 * time.Second

// echoIdle is Echo's idle presence at step n: it cycles through three
// states (one step per Options.PresencePeriod), so a newcomer watches
// presence change; basic status stays open because Echo always answers.
// Activities are RPID's (RFC 4480 §3.2).
func echoIdle(n int) ua.Presence {
	switch n % 3 {
	case 1:
		return ua.Presence{Basic: ua.BasicOpen, Activities: []string{"busy"}, Note: "tuning my delay line, call anyway"}
	case 2:
		return ua.Presence{Basic: ua.BasicOpen, Activities: []string{"away"}, Note: "out for tea, I still answer"}
	}
	return ua.Presence{Basic: ua.BasicOpen, Note: "ready to echo: call me"}
}

// echoInCall is Echo's presence while any call is up (RFC 4480 §3.2
// activity on-the-phone).
func echoInCall() ua.Presence {
	return ua.Presence{Basic: ua.BasicOpen, Activities: []string{"on-the-phone"}, Note: "echoing a call"}
}

// alicePresence is Alice's fixed status: open but away (RFC 4480 §3.2).
func alicePresence() ua.Presence {
	return ua.Presence{Basic: ua.BasicOpen, Activities: []string{"away"}, Note: "back in 10 minutes"}
}

// aliceAutoReply answers every message sent to Alice.
const aliceAutoReply = "Auto-reply: I'm away, back in 10 minutes. I'll read your message then."

// echoPeer drives the echo user's agent from its events. Only its run
// goroutine touches its fields after Start.
type echoPeer struct {
	a      *ua.Agent
	aor    string
	opts   Options
	log    *slog.Logger
	ignore []string          // the demo's own addresses: never answered
	calls  map[string]string // live call ID → remote URI
	step   int
}

func (e *echoPeer) idle() ua.Presence { return echoIdle(e.step) }

func (e *echoPeer) publish(ctx context.Context, p ua.Presence) error {
	return e.a.Publish(ctx, "echo", p)
}

// run handles the agent's events until Close closes them; ctx ends with
// Close too and bounds the reactions.
func (e *echoPeer) run(ctx context.Context) {
	var tick <-chan time.Time
	if e.opts.PresencePeriod > 0 {
		t := time.NewTicker(e.opts.PresencePeriod)
		defer t.Stop()
		tick = t.C
	}
	events := e.a.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			e.handle(ctx, ev)
		case <-tick:
			e.step++
			if len(e.calls) == 0 {
				e.do(ctx, "publish", func(ctx context.Context) error { return e.publish(ctx, e.idle()) })
			}
		}
	}
}

func (e *echoPeer) do(ctx context.Context, op string, fn func(context.Context) error) {
	if ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := fn(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("demo echo: "+op+" failed", "err", err)
	}
}

func (e *echoPeer) handle(ctx context.Context, ev ua.Event) {
	switch ev := ev.(type) {
	case ua.CallEvent:
		// The engine auto-answers (Config.AutoAnswer); presence follows
		// whether any call is up.
		before := len(e.calls)
		if ev.Call.State == ua.CallEnded {
			delete(e.calls, ev.Call.ID)
		} else {
			e.calls[ev.Call.ID] = ev.Call.Remote
		}
		switch after := len(e.calls); {
		case before == 0 && after > 0:
			e.do(ctx, "publish", func(ctx context.Context) error { return e.publish(ctx, echoInCall()) })
		case before > 0 && after == 0:
			e.do(ctx, "publish", func(ctx context.Context) error { return e.publish(ctx, e.idle()) })
		}
	case ua.DTMFEvent:
		remote, ok := e.calls[ev.CallID]
		if !ok || slices.Contains(e.ignore, remote) {
			return
		}
		e.do(ctx, "dtmf reply", func(ctx context.Context) error {
			_, err := e.a.SendMessage(ctx, "echo", remote, fmt.Sprintf("you pressed %c", ev.Digit))
			return err
		})
	case ua.MessageEvent:
		if slices.Contains(e.ignore, ev.From) {
			return
		}
		e.do(ctx, "message reply", func(ctx context.Context) error {
			_, err := e.a.SendMessage(ctx, "echo", ev.From, "echo: "+ev.Body)
			return err
		})
	}
}

// alicePeer drives Alice's agent: she is away, rejects calls with 480 and
// auto-replies to messages.
type alicePeer struct {
	a      *ua.Agent
	aor    string
	log    *slog.Logger
	ignore []string
}

func (p *alicePeer) run(ctx context.Context) {
	for ev := range p.a.Events() {
		p.handle(ctx, ev)
	}
}

func (p *alicePeer) do(ctx context.Context, op string, fn func(context.Context) error) {
	if ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if err := fn(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("demo alice: "+op+" failed", "err", err)
	}
}

func (p *alicePeer) handle(ctx context.Context, ev ua.Event) {
	switch ev := ev.(type) {
	case ua.CallEvent:
		if ev.Call.State == ua.CallIncoming {
			// RFC 3261 §21.4.18: reachable, but not taking calls now.
			p.do(ctx, "reject", func(ctx context.Context) error { return p.a.Reject(ctx, ev.Call.ID, 480) })
		}
	case ua.MessageEvent:
		if slices.Contains(p.ignore, ev.From) {
			return
		}
		p.do(ctx, "auto-reply", func(ctx context.Context) error {
			_, err := p.a.SendMessage(ctx, "alice", ev.From, aliceAutoReply)
			return err
		})
	}
}
