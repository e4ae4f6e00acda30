package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Default bounds for starting and stopping peers.
const (
	defaultStartTimeout = 15 * time.Second
	defaultStopGrace    = 5 * time.Second
)

// requireTool skips (or, under CI=true, fails) the test when the program bin
// is not on PATH, naming the Debian package that provides it.
func requireTool(tb testing.TB, bin, debPkg string) string {
	tb.Helper()
	path, err := exec.LookPath(bin)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("interop: %s not found on PATH: install the Debian package %q (scripts/deps.sh test)", bin, debPkg)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// requireFile skips (or, under CI=true, fails) the test when no file
// matches glob, naming the Debian package that provides it.
func requireFile(tb testing.TB, glob, debPkg string) {
	tb.Helper()
	if m, _ := filepath.Glob(glob); len(m) > 0 {
		return
	}
	msg := fmt.Sprintf("interop: %s not found: install the Debian package %q (scripts/deps.sh test)", glob, debPkg)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// requireRoot skips (or fails under CI=true) when the test is not root.
func requireRoot(tb testing.TB, what string) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	msg := fmt.Sprintf("interop: %s needs root (network namespaces, nftables, NFQUEUE); run the tests as root", what)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// ScriptsDir returns the absolute path of the repository's scripts/interop
// directory: $TEAPHONE_INTEROP_DIR when set, else found by walking up from
// the working directory to the directory holding go.mod.
func ScriptsDir() (string, error) {
	if d := os.Getenv("TEAPHONE_INTEROP_DIR"); d != "" {
		return filepath.Abs(d)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("interop: working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "scripts", "interop")
			if _, err := os.Stat(d); err != nil {
				return "", fmt.Errorf("interop: scripts dir: %w", err)
			}
			return d, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("interop: go.mod not found above the working directory (set TEAPHONE_INTEROP_DIR)")
		}
		dir = parent
	}
}

func scriptsDir(tb testing.TB) string {
	tb.Helper()
	d, err := ScriptsDir()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// SIPpScenario returns the absolute path of a scenario file shipped in
// scripts/interop/sipp (e.g. "uac_auth.xml").
func SIPpScenario(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(scriptsDir(tb), "sipp", name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("interop: scenario %s: %v", name, err)
	}
	return p
}

// outputLog collects a process's stdout+stderr into a file and memory so
// tests can wait for a line without polling.
type outputLog struct {
	mu      sync.Mutex
	file    *os.File
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newOutputLog(path string) (*outputLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("interop: log file: %w", err)
	}
	return &outputLog{file: f, changed: make(chan struct{})}, nil
}

func (o *outputLog) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	_, _ = o.file.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *outputLog) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// wait blocks until the output contains substr, ctx ends or done closes.
func (o *outputLog) wait(ctx context.Context, done <-chan struct{}, substr string) error {
	for {
		o.mu.Lock()
		found := bytes.Contains(o.buf.Bytes(), []byte(substr))
		ch := o.changed
		o.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-ch:
		case <-done:
			if strings.Contains(o.String(), substr) {
				return nil
			}
			return fmt.Errorf("interop: process exited before printing %q", substr)
		case <-ctx.Done():
			return fmt.Errorf("interop: waiting for %q: %w", substr, ctx.Err())
		}
	}
}

func (o *outputLog) close() { _ = o.file.Close() }

// tail returns the last n lines of the output.
func (o *outputLog) tail(n int) string {
	lines := strings.Split(strings.TrimRight(o.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// process is a started peer program: its own process group, output in a
// log, stopped by PID.
type process struct {
	name    string
	cmd     *exec.Cmd
	out     *outputLog
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done
	stdin   io.WriteCloser
	once    sync.Once
}

// startProcess starts cmd with stdout+stderr to logPath. When withStdin is
// set, stdin is a pipe held open until the process has exited.
func startProcess(name string, cmd *exec.Cmd, logPath string, withStdin bool) (*process, error) {
	out, err := newOutputLog(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	if withStdin {
		w, err := cmd.StdinPipe()
		if err != nil {
			out.close()
			return nil, fmt.Errorf("interop: %s stdin: %w", name, err)
		}
		p.stdin = w
	}
	if err := cmd.Start(); err != nil {
		out.close()
		return nil, fmt.Errorf("interop: start %s: %w", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		out.close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitCode is the exit status once the process has exited (-1 if killed by
// a signal or still running).
func (p *process) exitCode() int {
	if !p.exited() || p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// stop sends SIGTERM to the PID, waits up to grace, then SIGKILLs the whole
// process group (the PID is the group leader) and waits for the exit.
// Idempotent.
func (p *process) stop(grace time.Duration) {
	p.once.Do(func() {
		if !p.exited() {
			_ = syscall.Kill(p.pid(), syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(grace):
				_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
				<-p.done
			}
		}
		// Children that outlived the leader (kamailio workers) go too.
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		if p.stdin != nil {
			_ = p.stdin.Close() // only now: EOF on stdin makes baresip spin
		}
	})
}

// writeLine writes one line to the process's stdin.
func (p *process) writeLine(line string) error {
	if p.stdin == nil {
		return fmt.Errorf("interop: %s has no stdin pipe", p.name)
	}
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		return fmt.Errorf("interop: %s stdin: %w", p.name, err)
	}
	return nil
}

// logOnFailure registers a cleanup that prints the tail of the output when
// the test failed. Register it after the stop cleanup (cleanups run LIFO).
func (p *process) logOnFailure(tb testing.TB) {
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("--- %s (pid %d) output, last lines:\n%s", p.name, p.pid(), p.out.tail(40))
		}
	})
}

// udpTCPFree reports whether port is free for both UDP and TCP on 127.0.0.1.
func udpTCPFree(port int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	u.Close()
	return true
}

// FreePorts returns a base port P such that P..P+n-1 are free for UDP and
// TCP on 127.0.0.1 right now. Candidates are drawn at random from
// 20000..32767 when that lies outside the kernel's ephemeral range
// (ip_local_port_range): on a busy machine, ports handed out by binding :0
// were taken again by other programs' ephemeral sockets before the peer
// bound them. Otherwise the candidate comes from binding :0. The ports are
// released before returning, so callers that start a peer on them retry on
// a bind failure.
func FreePorts(n int) (int, error) {
	lo, hi := 20000, 32768
	useZero := overlapsEphemeral(lo, hi)
	for range 200 {
		var base int
		if useZero {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return 0, fmt.Errorf("interop: bind :0: %w", err)
			}
			base = l.Addr().(*net.TCPAddr).Port
			l.Close()
		} else {
			base = lo + rand.IntN(hi-lo-n)
		}
		if base+n > 65535 {
			continue
		}
		ok := true
		for p := base; p < base+n && ok; p++ {
			ok = udpTCPFree(p)
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("interop: no free port range found")
}

// overlapsEphemeral reports whether [lo, hi) meets the kernel's ephemeral
// port range (or the range cannot be read).
func overlapsEphemeral(lo, hi int) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return true
	}
	elo, err1 := strconv.Atoi(f[0])
	ehi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return true
	}
	return lo <= ehi && elo < hi
}

// freeMediaPorts returns a base port for n consecutive ports (even base)
// from 10000..19999, free for UDP and TCP now; media ports stay clear of
// FreePorts' range and of the usual ephemeral range.
func freeMediaPorts(n int) (int, error) {
	for range 200 {
		base := 10000 + 2*rand.IntN((10000-n)/2)
		ok := true
		for p := base; p < base+n && ok; p++ {
			ok = udpTCPFree(p)
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("interop: no free media port range found")
}

func mustFreePorts(tb testing.TB, n int) int {
	tb.Helper()
	p, err := FreePorts(n)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func mustFreeMediaPorts(tb testing.TB, n int) int {
	tb.Helper()
	p, err := freeMediaPorts(n)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// RunTool runs an external program (e.g. svmap) bounded by timeout, with
// the skip/fail rule for missing programs (debPkg names the Debian package).
// It returns the combined output and the exit code (-1 if it was killed at
// the timeout).
func RunTool(tb testing.TB, timeout time.Duration, debPkg, name string, args ...string) (string, int) {
	tb.Helper()
	requireTool(tb, name, debPkg)
	dir := tb.TempDir()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	p, err := startProcess(name, cmd, filepath.Join(dir, name+".log"), false)
	if err != nil {
		tb.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		tb.Logf("interop: %s still running after %v: stopping pid %d", name, timeout, p.pid())
		p.stop(2 * time.Second)
	}
	p.stop(defaultStopGrace)
	return p.out.String(), p.exitCode()
}
