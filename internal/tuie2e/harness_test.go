package tuie2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the teaphone binary TestMain builds; it is set once, before
// any test runs, and only read afterwards.
var binary string

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

// binaryEnv names a prebuilt teaphone binary to test instead of building
// one (e.g. the binary a CI job is about to ship).
const binaryEnv = "TEAPHONE_E2E_BINARY"

func runTests(m *testing.M) int {
	if bin := os.Getenv(binaryEnv); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "tuie2e:", err)
			return 1
		}
		binary = abs
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "tuie2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tuie2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "teaphone")
	// go test puts its own GOROOT/bin first on PATH, so "go" is the same
	// toolchain that builds this test.
	build := exec.Command("go", "build", "-o", bin, "github.com/teaphone/teaphone")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "tuie2e: building teaphone:", err)
		return 1
	}
	binary = bin
	return m.Run()
}

// Polling bounds for the screen: every step of a test waits at most
// stepTimeout for what it expects, looking every pollInterval.
const (
	stepTimeout  = 10 * time.Second
	pollInterval = 50 * time.Millisecond
	// exitTimeout bounds how long a quitting teaphone may take to exit.
	// The engine gives its goodbyes (BYE, un-SUBSCRIBE) 5 s at most.
	exitTimeout = 15 * time.Second
)

// requireTmux skips the test when tmux is missing, except under CI.
func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tmux is required under CI (Debian package tmux): %v", err)
		}
		t.Skipf("tmux not installed (Debian package tmux); skipping the end-to-end TUI test: %v", err)
	}
}

// dirs is an isolated set of XDG directories (and HOME) for one run.
type dirs struct {
	home, config, state, data string
}

func newDirs(t *testing.T) dirs {
	t.Helper()
	root := t.TempDir()
	d := dirs{
		home:   filepath.Join(root, "home"),
		config: filepath.Join(root, "config"),
		state:  filepath.Join(root, "state"),
		data:   filepath.Join(root, "data"),
	}
	for _, p := range []string{d.home, d.config, d.state, d.data} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (d dirs) env() []string {
	return []string{
		"HOME=" + d.home,
		"XDG_CONFIG_HOME=" + d.config,
		"XDG_STATE_HOME=" + d.state,
		"XDG_DATA_HOME=" + d.data,
		"LC_ALL=C.UTF-8",
	}
}

// logFile is where teaphone writes its log while the TUI runs.
func (d dirs) logFile() string { return filepath.Join(d.state, "teaphone", "teaphone.log") }

// tui is teaphone running in a detached tmux session on its own server.
type tui struct {
	t         *testing.T
	socket    string // tmux -L name: a server of our own
	dirs      dirs
	pid       int // teaphone
	serverPID int
	started   time.Time // just before tmux was asked to start teaphone

	pidFile, rcFile, outFile string
	socketPath               string
}

// tuiOptions describe one run.
type tuiOptions struct {
	width, height int
	args          []string // teaphone's arguments
	dirs          *dirs    // nil: fresh isolated directories
}

// startTUI starts teaphone in a width×height tmux pane and registers its
// cleanup: teaphone and the tmux server are stopped by PID if still there.
func startTUI(t *testing.T, o tuiOptions) *tui {
	t.Helper()
	requireTmux(t)
	if o.width == 0 {
		o.width, o.height = 120, 40
	}
	d := newDirs(t)
	if o.dirs != nil {
		d = *o.dirs
	}
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	// remain-on-exit keeps the pane after teaphone exits, so the test reads
	// its exit status and what it left on the terminal; no status line, so
	// teaphone gets every row.
	confText := "set -s exit-empty off\nset -g remain-on-exit on\nset -g status off\nset -g default-shell /bin/sh\nset -s escape-time 0\n"
	if err := os.WriteFile(conf, []byte(confText), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &tui{t: t, socket: fmt.Sprintf("tpe2e-%d-%s", os.Getpid(), sanitize(t.Name())), dirs: d}
	run := t.TempDir()
	s.pidFile, s.rcFile, s.outFile = filepath.Join(run, "pid"), filepath.Join(run, "rc"), filepath.Join(run, "out")

	// The pane runs sh, which runs teaphone in the foreground and writes
	// its exit status (tmux's own pane_dead_status is not reliable: the
	// tmux 3.3 server sometimes misses the SIGCHLD and leaves a zombie).
	// The inner sh writes its PID and execs teaphone, keeping that PID.
	var cmd strings.Builder
	cmd.WriteString(`sh -c 'echo $$ > "$0"; exec "$@"' ` + shellQuote(s.pidFile) + " " + shellQuote(binary))
	for _, a := range o.args {
		cmd.WriteString(" " + shellQuote(a))
	}
	cmd.WriteString("; echo $? > " + shellQuote(s.rcFile+".tmp") + " && mv " + shellQuote(s.rcFile+".tmp") + " " + shellQuote(s.rcFile))
	args := []string{"-f", conf, "new-session", "-d", "-s", "tp",
		"-x", strconv.Itoa(o.width), "-y", strconv.Itoa(o.height)}
	for _, e := range d.env() {
		args = append(args, "-e", e)
	}
	args = append(args, cmd.String())
	// The server first (exit-empty off keeps it up without a session), so
	// the start-up time below is teaphone's, not tmux's.
	if out, err := s.tmuxErr("-f", conf, "start-server"); err != nil {
		t.Fatalf("tmux start-server: %v: %s", err, out)
	}
	t.Cleanup(s.stop)
	var err error
	pidAndSocket := strings.SplitN(s.tmux("display-message", "-p", "#{pid} #{socket_path}"), " ", 2)
	if s.serverPID, err = strconv.Atoi(pidAndSocket[0]); err != nil || len(pidAndSocket) != 2 {
		t.Fatalf("tmux server pid and socket: %q: %v", pidAndSocket, err)
	}
	s.socketPath = pidAndSocket[1]
	s.started = time.Now()
	if out, err := s.tmuxErr(args...); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	// Everything teaphone writes to the terminal, to check what it leaves
	// the terminal in (the first bytes may be missed; the last are not).
	s.tmux("pipe-pane", "-t", "tp", "cat >> "+shellQuote(s.outFile))
	s.pid = s.waitPID()
	return s
}

// waitPID reads teaphone's PID from the file its shell writes.
func (s *tui) waitPID() int {
	s.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		b, err := os.ReadFile(s.pidFile)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				s.t.Fatalf("pid file: %v", err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("teaphone did not start within %v; screen:\n%s", stepTimeout, s.screen())
		}
		<-tick.C
	}
}

// exitStatus is teaphone's exit status once it has exited.
func (s *tui) exitStatus() (string, bool) {
	b, err := os.ReadFile(s.rcFile)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// output is everything teaphone wrote to the terminal.
func (s *tui) output() string {
	b, _ := os.ReadFile(s.outFile)
	return string(b)
}

// sanitize makes a test name fit a tmux socket name (the socket path must
// stay well under the 108 bytes of a Unix socket address).
func sanitize(name string) string {
	s := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(name, "-")
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return s
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (s *tui) tmuxErr(args ...string) (string, error) {
	full := append([]string{"-u", "-L", s.socket}, args...)
	cmd := exec.Command("tmux", full...)
	cmd.Env = tmuxEnv()
	out, err := cmd.CombinedOutput()
	return strings.TrimRight(string(out), "\n"), err
}

// tmuxEnv is the environment for tmux commands: ours without $TMUX, so a
// test started from inside tmux still gets a server of its own.
func tmuxEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "TMUX=") && !strings.HasPrefix(e, "TMUX_PANE=") {
			env = append(env, e)
		}
	}
	return env
}

func (s *tui) tmux(args ...string) string {
	s.t.Helper()
	out, err := s.tmuxErr(args...)
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out
}

// screen is the pane's text now, colours stripped, trailing blanks trimmed.
func (s *tui) screen() string {
	s.t.Helper()
	out := s.tmux("capture-pane", "-p", "-t", "tp")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// keys sends tmux key names ("Down", "Enter", "F4", "x", "M-3").
func (s *tui) keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", "tp"}, keys...)...)
}

// text types s literally.
func (s *tui) text(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", "tp", "-l", text)
}

// paneState is the pane's terminal modes as tmux sees them.
type paneState struct {
	altScreen, mouseAny, mouseClick bool
}

func (s *tui) state() paneState {
	s.t.Helper()
	f := strings.Fields(s.tmux("display-message", "-p", "-t", "tp",
		"#{alternate_on} #{mouse_any_flag} #{mouse_button_flag}"))
	if len(f) != 3 {
		s.t.Fatalf("tmux pane state: %q", f)
	}
	return paneState{altScreen: f[0] == "1", mouseAny: f[1] == "1", mouseClick: f[2] == "1"}
}

// waitFor polls the screen until ok accepts it, for at most within. It
// fails the test with the last screen (and the log) when time runs out or
// teaphone exits first.
func (s *tui) waitFor(what string, within time.Duration, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		scr := s.screen()
		if ok(scr) {
			return scr
		}
		if rc, done := s.exitStatus(); done {
			s.t.Fatalf("teaphone exited (status %s) while waiting for %s; screen:\n%s%s", rc, what, scr, s.logTail())
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %s within %v; screen:\n%s%s", what, within, scr, s.logTail())
		}
		<-tick.C
	}
}

// waitText waits until every text is on the screen.
func (s *tui) waitText(texts ...string) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q on screen", texts), stepTimeout, func(scr string) bool {
		for _, x := range texts {
			if !strings.Contains(scr, x) {
				return false
			}
		}
		return true
	})
}

// waitMatch waits until re matches the screen and returns the submatches.
func (s *tui) waitMatch(re *regexp.Regexp) []string {
	s.t.Helper()
	var m []string
	s.waitFor(fmt.Sprintf("a match of /%s/", re), stepTimeout, func(scr string) bool {
		m = re.FindStringSubmatch(scr)
		return m != nil
	})
	return m
}

// waitExit waits for teaphone to exit and returns its exit status and how
// long that took from the call.
func (s *tui) waitExit(within time.Duration) (string, time.Duration) {
	s.t.Helper()
	start := time.Now()
	tick := time.NewTicker(pollInterval / 5)
	defer tick.Stop()
	for {
		if rc, done := s.exitStatus(); done {
			return rc, time.Since(start)
		}
		if time.Since(start) > within {
			s.t.Fatalf("teaphone still running %v after quitting; screen:\n%s%s", within, s.screen(), s.logTail())
		}
		<-tick.C
	}
}

func (s *tui) logTail() string {
	b, err := os.ReadFile(s.dirs.logFile())
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return "\nteaphone.log (tail):\n" + strings.Join(lines, "\n")
}

// stop ends teaphone (if it still runs) and the tmux server, by PID.
func (s *tui) stop() {
	if alive(s.pid) && s.ours(s.pid) {
		_ = syscall.Kill(s.pid, syscall.SIGTERM)
		if !waitGone(s.pid, 10*time.Second) {
			_ = syscall.Kill(s.pid, syscall.SIGKILL)
			waitGone(s.pid, 5*time.Second)
		}
	}
	_, _ = s.tmuxErr("kill-server")
	if !waitGone(s.serverPID, 5*time.Second) {
		_ = syscall.Kill(s.serverPID, syscall.SIGKILL)
		waitGone(s.serverPID, 5*time.Second)
	}
	if s.socketPath != "" {
		_ = os.Remove(s.socketPath)
	}
}

// ours reports whether pid still runs the binary under test (and is not
// a process that reused the PID).
func (s *tui) ours(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	want, err := filepath.EvalSymlinks(binary)
	return err == nil && exe == want
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	st, err := parseStat(string(b))
	return err == nil && st.state != "Z"
}

func waitGone(pid int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// procStat is the part of /proc/PID/stat the tests use (proc(5)).
type procStat struct {
	state        string
	utime, stime uint64 // clock ticks
}

func parseStat(s string) (procStat, error) {
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, errors.New("no ')' in stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("short stat: %d fields", len(f))
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return procStat{}, err
	}
	return procStat{state: f[0], utime: ut, stime: st}, nil
}

// lines returns the screen's lines.
func lines(scr string) []string { return strings.Split(scr, "\n") }

// lineWith returns the first line containing every part, or "".
func lineWith(scr string, parts ...string) string {
	for _, l := range lines(scr) {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return l
		}
	}
	return ""
}
