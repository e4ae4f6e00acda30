package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// agentBin is the teaphone binary TestMain builds; read-only afterwards.
var agentBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "teaphone-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	agentBin = filepath.Join(dir, "teaphone")
	if bin := os.Getenv("TEAPHONE_E2E_BIN"); bin != "" {
		// A prebuilt binary (e.g. to bisect, or while the tree does not build).
		agentBin = bin
		return m.Run()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", agentBin, "github.com/teaphone/teaphone")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build teaphone: %v\n%s", err, out)
		return 1
	}
	base := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		// Every reader and waiter must have ended with its process.
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond) // polling a counter, not synchronising
		}
		if n := runtime.NumGoroutine(); n > base {
			buf := make([]byte, 1<<20)
			fmt.Fprintf(os.Stderr, "e2e: %d goroutines leaked:\n%s\n", n-base, buf[:runtime.Stack(buf, true)])
			code = 1
		}
	}
	return code
}

// require skips the test when cond is false, or fails it under CI=true.
func require(tb testing.TB, cond bool, format string, args ...any) {
	tb.Helper()
	if cond {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// requireRoot is require for the parts that need network namespaces.
func requireRoot(tb testing.TB, what string) {
	tb.Helper()
	require(tb, os.Geteuid() == 0, "e2e: %s needs root (network namespaces): run the tests as root", what)
}

// requireTool is require for an external program, naming its Debian package.
func requireTool(tb testing.TB, bin, pkg string) {
	tb.Helper()
	_, err := exec.LookPath(bin)
	require(tb, err == nil, "e2e: %s not found on PATH: install the Debian package %q (scripts/deps.sh test)", bin, pkg)
}

// Event is one JSON line of the agent's stdout.
type Event map[string]any

// Name is the event's "event" field.
func (e Event) Name() string { return e.Str("event") }

// Str returns field k as a string ("" when absent; numbers and other
// values formatted).
func (e Event) Str(k string) string {
	switch v := e[k].(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return fmt.Sprintf("%g", v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// Int returns a numeric field (0 when absent).
func (e Event) Int(k string) int {
	f, _ := e[k].(float64)
	return int(f)
}

func (e Event) String() string {
	b, _ := json.Marshal(map[string]any(e))
	return string(b)
}

// Is matches events named name whose fields equal the given key/value
// pairs (compared as strings).
func Is(name string, kv ...string) func(Event) bool {
	return func(e Event) bool {
		if e.Name() != name {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if e.Str(kv[i]) != kv[i+1] {
				return false
			}
		}
		return true
	}
}

// AgentOptions configures StartAgent.
type AgentOptions struct {
	Name  string   // label in logs (default: the -user flag)
	Args  []string // flags after "teaphone agent"
	Netns string   // run inside this network namespace (ip netns exec)
}

// Agent is a running `teaphone agent` process.
type Agent struct {
	Name   string
	PID    int
	Listen []string // from the "started" event, e.g. "udp:127.0.0.1:40000"

	tb     testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	done   chan struct{} // closed after stdout hit EOF and the process was reaped

	mu      sync.Mutex
	events  []Event
	lines   []string
	changed chan struct{} // closed and replaced on every event

	cmdMu    sync.Mutex
	stopOnce sync.Once
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartAgent starts `teaphone agent ARGS` and waits (bounded) for its
// "started" event. A t.Cleanup stops it by PID and, when the test failed,
// logs its events and stderr.
func StartAgent(tb testing.TB, opts AgentOptions) *Agent {
	tb.Helper()
	name := opts.Name
	if name == "" {
		if i := slices.Index(opts.Args, "-user"); i >= 0 && i+1 < len(opts.Args) {
			name = opts.Args[i+1]
		} else {
			name = "agent"
		}
	}
	args := append([]string{"agent"}, opts.Args...)
	cmd := exec.Command(agentBin, args...)
	if opts.Netns != "" {
		// ip netns exec execs the program: the PID is the agent's.
		cmd = exec.Command("ip", append([]string{"netns", "exec", opts.Netns, agentBin}, args...)...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	a := &Agent{Name: name, tb: tb, cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{}), changed: make(chan struct{})}
	cmd.Stderr = a.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if a.stdin, err = cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("e2e: start agent %s: %v", name, err)
	}
	a.PID = cmd.Process.Pid
	go a.read(stdout)
	tb.Cleanup(func() {
		a.Stop()
		if tb.Failed() {
			tb.Logf("--- agent %s (pid %d) %s\nevents (last 400):\n%s\nstderr:\n%s", a.Name, a.PID, strings.Join(args, " "), tail(a.Log(), 400), tail(a.stderr.String(), 40))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ev, _, err := a.WaitEventFrom(ctx, 0, Is("started"))
	if err != nil {
		tb.Fatalf("e2e: agent %s: %v", name, err)
	}
	if l, ok := ev["listen"].([]any); ok {
		for _, s := range l {
			a.Listen = append(a.Listen, fmt.Sprint(s))
		}
	}
	return a
}

func (a *Agent) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var ev Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			ev = Event{"event": "_not_json", "line": line}
		}
		a.mu.Lock()
		a.events = append(a.events, ev)
		a.lines = append(a.lines, line)
		close(a.changed)
		a.changed = make(chan struct{})
		a.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, stdout)
	_ = a.cmd.Wait()
	close(a.done)
}

// Mark is the index the next event will have: WaitEventFrom(ctx, Mark(), …)
// waits for events that arrive after now.
func (a *Agent) Mark() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.events)
}

// Events returns a copy of every event so far.
func (a *Agent) Events() []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.events)
}

// Log is the agent's stdout so far (the trace events shortened).
func (a *Agent) Log() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b strings.Builder
	for i, l := range a.lines {
		if a.events[i].Name() == "sip" {
			l = fmt.Sprintf("sip %s %s %s %s", a.events[i].Str("dir"), a.events[i].Str("transport"), a.events[i].Str("remote"), a.events[i].Str("summary"))
		}
		fmt.Fprintf(&b, "%4d %s\n", i, l)
	}
	return b.String()
}

// Trace returns the raw SIP messages of the "sip" events (agent run with
// -trace), for bug reports.
func (a *Agent) Trace() string {
	var b strings.Builder
	for _, e := range a.Events() {
		if e.Name() == "sip" {
			fmt.Fprintf(&b, "--- %s %s %s\n%s\n", e.Str("dir"), e.Str("transport"), e.Str("remote"), e.Str("raw"))
		}
	}
	return b.String()
}

// WaitEventFrom waits until an event at index ≥ from matches pred and
// returns it with its index; it fails when ctx ends or the process exits
// first.
func (a *Agent) WaitEventFrom(ctx context.Context, from int, pred func(Event) bool) (Event, int, error) {
	for {
		a.mu.Lock()
		for i := from; i < len(a.events); i++ {
			if pred(a.events[i]) {
				ev := a.events[i]
				a.mu.Unlock()
				return ev, i, nil
			}
		}
		from = max(from, len(a.events))
		ch := a.changed
		a.mu.Unlock()
		select {
		case <-ch:
		case <-a.done:
			a.mu.Lock()
			n := len(a.events)
			a.mu.Unlock()
			if n > from {
				continue
			}
			return nil, 0, fmt.Errorf("agent %s exited (%v) before the awaited event", a.Name, a.cmd.ProcessState)
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("agent %s: awaited event not seen: %w", a.Name, ctx.Err())
		}
	}
}

// WaitEvent waits for any event (from the first on) matching pred.
func (a *Agent) WaitEvent(ctx context.Context, pred func(Event) bool) (Event, error) {
	ev, _, err := a.WaitEventFrom(ctx, 0, pred)
	return ev, err
}

// Expect is WaitEventFrom bounded by d that fails the test (naming what)
// when the event does not come.
func (a *Agent) Expect(tb testing.TB, from int, d time.Duration, what string, pred func(Event) bool) Event {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	ev, _, err := a.WaitEventFrom(ctx, from, pred)
	if err != nil {
		tb.Fatalf("%s: %s: %v", a.Name, what, err)
	}
	return ev
}

// Send writes one command line without waiting for its reply.
func (a *Agent) Send(line string) error {
	_, err := io.WriteString(a.stdin, line+"\n")
	return err
}

// Cmd writes one command line and waits (bounded by 40 s: the agent bounds
// each command by 32 s) for its {"event":"ok"|"error","cmd":…} reply. An
// error reply is returned as an error carrying the reply.
func (a *Agent) Cmd(line string) (Event, error) {
	a.cmdMu.Lock()
	defer a.cmdMu.Unlock()
	word := strings.ToLower(strings.Fields(line)[0])
	from := a.Mark()
	if err := a.Send(line); err != nil {
		return nil, fmt.Errorf("agent %s: %q: %w", a.Name, line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ev, _, err := a.WaitEventFrom(ctx, from, func(e Event) bool {
		return (e.Name() == "ok" || e.Name() == "error") && e.Str("cmd") == word
	})
	if err != nil {
		return nil, fmt.Errorf("%q: %w", line, err)
	}
	if ev.Name() == "error" {
		return ev, fmt.Errorf("agent %s: %q failed: %s", a.Name, line, ev)
	}
	return ev, nil
}

// MustCmd is Cmd failing the test on an error reply.
func (a *Agent) MustCmd(tb testing.TB, line string) Event {
	tb.Helper()
	ev, err := a.Cmd(line)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// Exited reports whether the process has exited.
func (a *Agent) Exited() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// Stop ends the agent: "quit" (it un-registers and hangs up, bounded by
// 10 s inside), then closing stdin, then SIGTERM, then SIGKILL by PID, each
// step bounded. Idempotent.
func (a *Agent) Stop() {
	a.stopOnce.Do(func() {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 5*time.Second {
				a.tb.Logf("e2e: agent %s took %v to stop", a.Name, d.Round(time.Millisecond))
			}
		}()
		steps := []struct {
			do   func()
			wait time.Duration
		}{
			{func() { _ = a.Send("quit") }, 12 * time.Second},
			{func() { _ = a.stdin.Close() }, 2 * time.Second},
			{func() { _ = syscall.Kill(a.PID, syscall.SIGTERM) }, 3 * time.Second},
			{func() { _ = syscall.Kill(a.PID, syscall.SIGKILL) }, 10 * time.Second},
		}
		for _, s := range steps {
			if a.Exited() {
				break
			}
			s.do()
			select {
			case <-a.done:
			case <-time.After(s.wait):
			}
		}
		_ = a.stdin.Close()
		if !a.Exited() {
			a.tb.Errorf("e2e: agent %s (pid %d) did not exit after SIGKILL", a.Name, a.PID)
		}
	})
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// listenAddr returns the host:port of the agent's first listener of
// transport ("udp", "tcp").
func (a *Agent) listenAddr(transport string) string {
	for _, l := range a.Listen {
		if t, addr, ok := strings.Cut(l, ":"); ok && t == transport {
			return addr
		}
	}
	return ""
}
