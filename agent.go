package main

// The headless agent: `teaphone agent`. Line commands on stdin, one JSON
// event per line on stdout. It is a thin layer over the same engine the TUI
// drives, and the black-box interface integration tests use.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/teaphone/teaphone/ua"
)

// agentEngine is what the headless agent needs from the engine (*ua.Agent).
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

// agentOptions tune what the agent prints.
type agentOptions struct {
	Trace       bool          // print every SIP message as a "sip" event
	Stats       bool          // print media statistics as "stats" events
	CmdTimeout  time.Duration // bound on each command; 0 → 32 s (Timer B)
	DefaultUser string        // account used when a command names none ("" → the engine's default)
}

const agentHelp = `commands (optional [call-id] defaults to the only or newest call):
  dial [account] TARGET         call a sip:/sips:/tel: URI, user@host or number
  answer [id] | reject [id] [code] | hangup [id]
  hold [id] | resume [id] | mute [id] | unmute [id]
  dtmf [id] DIGITS              send 0-9 * # A-D
  message [account] TO TEXT...  send an instant message
  subscribe URI | unsubscribe URI
  publish open|closed|away|busy|on-the-phone [NOTE...]
  dnd on|off | calls | help | quit`

// runAgent reads commands from in until EOF or "quit", printing events and
// command results as JSON lines on out. It returns when in is exhausted (or
// ctx ends); the caller then closes the engine, whose remaining events are
// printed by drainEvents.
func runAgent(ctx context.Context, eng agentEngine, in io.Reader, out *jsonOut, opts agentOptions) error {
	if opts.CmdTimeout <= 0 {
		opts.CmdTimeout = 32 * time.Second
	}
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return <-readErr
			}
			if quit := agentCommand(ctx, eng, line, out, opts); quit {
				return nil
			}
		}
	}
}

// agentCommand runs one line; it reports whether the line was "quit".
func agentCommand(ctx context.Context, eng agentEngine, line string, out *jsonOut, opts agentOptions) bool {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return false
	}
	if !utf8.ValidString(line) {
		out.write(map[string]any{"event": "error", "error": "command is not valid UTF-8"})
		return false
	}
	words := strings.Fields(line)
	cmd, args := strings.ToLower(words[0]), words[1:]
	cctx, cancel := context.WithTimeout(ctx, opts.CmdTimeout)
	defer cancel()

	reply := map[string]any{"event": "ok", "cmd": cmd}
	var err error
	switch cmd {
	case "quit", "exit":
		out.write(reply)
		return true
	case "help":
		reply["help"] = agentHelp
	case "dial", "call":
		account, target := opts.DefaultUser, ""
		switch len(args) {
		case 1:
			target = args[0]
		case 2:
			account, target = args[0], args[1]
		default:
			err = errors.New("usage: dial [account] TARGET")
		}
		if err == nil {
			var id string
			id, err = eng.Dial(cctx, account, target)
			reply["call"] = id
		}
	case "answer", "hangup", "hold", "resume", "mute", "unmute":
		var id string
		if id, err = pickCall(eng, args, cmd); err == nil {
			reply["call"] = id
			switch cmd {
			case "answer":
				err = eng.Answer(cctx, id)
			case "hangup":
				err = eng.Hangup(cctx, id)
			case "hold", "resume":
				err = eng.Hold(cctx, id, cmd == "hold")
			case "mute", "unmute":
				err = eng.Mute(cctx, id, cmd == "mute")
			}
		}
	case "reject":
		code := 486
		if n := len(args); n > 0 {
			if c, perr := strconv.Atoi(args[n-1]); perr == nil {
				code, args = c, args[:n-1]
			}
		}
		if code < 400 || code > 699 {
			err = fmt.Errorf("reject code %d is not a 4xx-6xx failure", code)
			break
		}
		var id string
		if id, err = pickCall(eng, args, cmd); err == nil {
			reply["call"] = id
			err = eng.Reject(cctx, id, code)
		}
	case "dtmf":
		if len(args) == 0 {
			err = errors.New("usage: dtmf [id] DIGITS")
			break
		}
		digits := args[len(args)-1]
		if bad := strings.TrimLeft(strings.ToUpper(digits), "0123456789*#ABCD"); bad != "" {
			err = fmt.Errorf("%q is not a DTMF digit", bad[:1])
			break
		}
		var id string
		if id, err = pickCall(eng, args[:len(args)-1], cmd); err == nil {
			reply["call"] = id
			err = eng.SendDTMF(cctx, id, strings.ToUpper(digits))
		}
	case "message", "msg":
		// message [account] TO TEXT...: the account is named when the first
		// word is not an address (no ':' or '@') and a second word follows.
		account := opts.DefaultUser
		if len(args) >= 3 && !strings.ContainsAny(args[0], ":@") {
			account, args = args[0], args[1:]
		}
		if len(args) < 2 {
			err = errors.New("usage: message [account] TO TEXT…")
			break
		}
		to := args[0]
		body := afterFields(line, len(words)-len(args)+1)
		var id string
		id, err = eng.SendMessage(cctx, account, to, body)
		reply["message"] = id
	case "subscribe", "unsubscribe":
		if len(args) != 1 {
			err = fmt.Errorf("usage: %s URI", cmd)
			break
		}
		if cmd == "subscribe" {
			err = eng.Subscribe(cctx, opts.DefaultUser, args[0])
		} else {
			err = eng.Unsubscribe(cctx, args[0])
		}
	case "publish":
		var p ua.Presence
		if p, err = parsePresence(args); err == nil {
			err = eng.Publish(cctx, opts.DefaultUser, p)
		}
	case "dnd":
		if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
			err = errors.New("usage: dnd on|off")
			break
		}
		err = eng.SetDND(cctx, args[0] == "on")
	case "calls":
		var calls []map[string]any
		for _, c := range eng.Calls() {
			calls = append(calls, callJSON(c))
		}
		reply["calls"] = calls
	default:
		err = fmt.Errorf("unknown command %q (try help)", cmd)
	}
	if err != nil {
		reply["event"] = "error"
		reply["error"] = err.Error()
		var re interface{ SIPStatus() (int, string) }
		if errors.As(err, &re) {
			reply["code"], reply["reason"] = re.SIPStatus()
		}
	}
	out.write(reply)
	return false
}

// afterFields returns line without its first n whitespace-separated
// fields, keeping the spacing inside the rest.
func afterFields(line string, n int) string {
	rest := strings.TrimSpace(line)
	for range n {
		i := strings.IndexAny(rest, " \t")
		if i < 0 {
			return ""
		}
		rest = strings.TrimLeft(rest[i:], " \t")
	}
	return rest
}

// pickCall returns the call named in args, or the newest live call.
func pickCall(eng agentEngine, args []string, cmd string) (string, error) {
	if len(args) > 1 {
		return "", fmt.Errorf("usage: %s [call-id]", cmd)
	}
	if len(args) == 1 {
		return args[0], nil
	}
	var id string
	var newest time.Time
	for _, c := range eng.Calls() {
		if c.State == ua.CallEnded {
			continue
		}
		if id == "" || c.Started.After(newest) {
			id, newest = c.ID, c.Started
		}
	}
	if id == "" {
		return "", errors.New("no call")
	}
	return id, nil
}

func parsePresence(args []string) (ua.Presence, error) {
	if len(args) == 0 {
		return ua.Presence{}, errors.New("usage: publish open|closed|away|busy|on-the-phone [NOTE…]")
	}
	p := ua.Presence{Basic: ua.BasicOpen, Note: strings.Join(args[1:], " ")}
	switch strings.ToLower(args[0]) {
	case "open", "online":
	case "closed", "offline":
		p.Basic = ua.BasicClosed
	case "away", "busy", "on-the-phone":
		p.Activities = []string{strings.ToLower(args[0])}
	default:
		return ua.Presence{}, fmt.Errorf("unknown status %q (open, closed, away, busy, on-the-phone)", args[0])
	}
	return p, nil
}

// jsonOut writes one JSON object per line, from several goroutines.
type jsonOut struct {
	mu  sync.Mutex
	enc *json.Encoder
	now func() time.Time
}

func newJSONOut(w io.Writer, now func() time.Time) *jsonOut {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &jsonOut{enc: enc, now: now}
}

func (o *jsonOut) write(v map[string]any) {
	if o.now != nil {
		v["time"] = o.now().UTC().Format(time.RFC3339Nano)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.enc.Encode(v) // stdout gone: nothing useful left to do
}

// eventPrinter turns engine events into agent JSON events. It remembers each
// call's last snapshot so that a CallEvent becomes the specific change it
// carries (answered, held, resumed, …).
type eventPrinter struct {
	out   *jsonOut
	opts  agentOptions
	calls map[string]ua.CallInfo
}

func newEventPrinter(out *jsonOut, opts agentOptions) *eventPrinter {
	return &eventPrinter{out: out, opts: opts, calls: map[string]ua.CallInfo{}}
}

// drain prints events until the channel closes.
func (p *eventPrinter) drain(events <-chan ua.Event) {
	for ev := range events {
		p.print(ev)
	}
}

func (p *eventPrinter) print(ev ua.Event) {
	switch e := ev.(type) {
	case ua.RegistrationEvent:
		name := map[ua.RegState]string{
			ua.RegUnregistered: "unregistered", ua.RegRegistering: "registering", ua.RegRegistered: "registered",
			ua.RegFailed: "registration_failed", ua.RegDirect: "ready",
		}[e.State]
		m := map[string]any{"event": name, "account": e.Account, "aor": e.AOR}
		if e.State == ua.RegRegistered {
			m["expires"] = int(e.Expires / time.Second)
			m["contact"] = e.Contact
		}
		if e.State == ua.RegFailed {
			m["code"], m["reason"], m["kind"] = e.Code, e.Reason, e.Kind.String()
		}
		p.out.write(m)
	case ua.CallEvent:
		p.call(e.Call)
	case ua.DTMFEvent:
		p.out.write(map[string]any{"event": "dtmf", "call": e.CallID, "digit": string(e.Digit),
			"duration_ms": e.Duration.Milliseconds(), "method": e.Method})
	case ua.MediaStatsEvent:
		if p.opts.Stats {
			p.out.write(map[string]any{"event": "stats", "call": e.CallID, "mos": e.MOS, "loss": e.LossPercent,
				"jitter_ms": e.JitterMillis, "rtt_ms": e.RTTMillis, "tx_dbfs": e.TxLevel, "rx_dbfs": e.RxLevel,
				"sent": e.PacketsSent, "received": e.PacketsReceived})
		}
	case ua.MessageEvent:
		p.out.write(map[string]any{"event": "message", "id": e.ID, "account": e.Account, "from": e.From,
			"from_name": e.FromName, "content_type": e.ContentType, "body": e.Body})
	case ua.MessageStatusEvent:
		switch e.State {
		case ua.MessageDelivered:
			p.out.write(map[string]any{"event": "message_delivered", "id": e.ID, "to": e.To, "code": e.Code})
		case ua.MessageFailed:
			p.out.write(map[string]any{"event": "message_failed", "id": e.ID, "to": e.To, "code": e.Code,
				"reason": e.Reason, "kind": e.Kind.String()})
		}
	case ua.PresenceEvent:
		basic := map[ua.Basic]string{ua.BasicUnknown: "unknown", ua.BasicOpen: "open", ua.BasicClosed: "closed"}[e.Presence.Basic]
		acts := e.Presence.Activities
		if acts == nil {
			acts = []string{}
		}
		p.out.write(map[string]any{"event": "presence", "uri": e.URI, "basic": basic, "activities": acts, "note": e.Presence.Note})
	case ua.SubscriptionEvent:
		state := map[ua.SubState]string{ua.SubPending: "pending", ua.SubActive: "active", ua.SubTerminated: "terminated", ua.SubFailed: "failed"}[e.State]
		p.out.write(map[string]any{"event": "subscription", "uri": e.URI, "package": e.Event, "state": state, "code": e.Code, "reason": e.Reason})
	case ua.TraceEvent:
		if p.opts.Trace {
			dir := "recv"
			if e.Sent {
				dir = "sent"
			}
			p.out.write(map[string]any{"event": "sip", "dir": dir, "transport": e.Transport, "local": e.Local,
				"remote": e.Remote, "call_id": e.CallID, "summary": e.Summary, "raw": e.Raw})
		}
	case ua.ErrorEvent:
		p.out.write(map[string]any{"event": "error", "op": e.Op, "error": e.Err})
	}
}

func callJSON(c ua.CallInfo) map[string]any {
	m := map[string]any{"call": c.ID, "account": c.Account, "direction": c.Direction.String(), "remote": c.Remote,
		"state": c.State.String(), "local_hold": c.LocalHold, "remote_hold": c.RemoteHold, "muted": c.Muted}
	if c.RemoteName != "" {
		m["remote_name"] = c.RemoteName
	}
	if c.Asserted != "" {
		m["asserted"] = c.Asserted
	}
	if c.Codec != "" {
		m["codec"] = c.Codec
	}
	return m
}

// call prints what changed between the call's previous snapshot and c.
func (p *eventPrinter) call(c ua.CallInfo) {
	prev, seen := p.calls[c.ID]
	if c.State == ua.CallEnded {
		delete(p.calls, c.ID)
		if len(p.calls) == 0 {
			p.calls = map[string]ua.CallInfo{} // let go of a burst's buckets
		}
	} else {
		p.calls[c.ID] = c
	}
	emit := func(name string, extra map[string]any) {
		m := callJSON(c)
		m["event"] = name
		for k, v := range extra {
			m[k] = v
		}
		p.out.write(m)
	}
	if !seen || prev.State != c.State {
		switch c.State {
		case ua.CallIncoming:
			emit("incoming", map[string]any{"waiting": c.Waiting})
		case ua.CallDialing:
			emit("dialing", nil)
		case ua.CallRinging:
			emit("ringing", nil)
		case ua.CallEarlyMedia:
			emit("early_media", nil)
		case ua.CallActive:
			emit("answered", nil)
		case ua.CallEnded:
			emit("ended", map[string]any{"code": c.Code, "reason": c.Reason,
				"duration_s": durationSeconds(c)})
			return
		}
	}
	if seen && prev.LocalHold != c.LocalHold {
		emit(map[bool]string{true: "held", false: "resumed"}[c.LocalHold], nil)
	}
	if seen && prev.RemoteHold != c.RemoteHold {
		emit(map[bool]string{true: "remote_held", false: "remote_resumed"}[c.RemoteHold], nil)
	}
	if seen && prev.Muted != c.Muted {
		emit(map[bool]string{true: "muted", false: "unmuted"}[c.Muted], nil)
	}
}

func durationSeconds(c ua.CallInfo) float64 {
	if c.Answered.IsZero() || c.Ended.IsZero() {
		return 0
	}
	return c.Ended.Sub(c.Answered).Round(time.Millisecond).Seconds()
}
