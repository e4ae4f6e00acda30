package interop

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SIPpStats are the cumulative counters of SIPp's final -trace_stat row.
type SIPpStats struct {
	TotalCallCreated        int
	SuccessfulCall          int
	FailedCall              int
	Retransmissions         int
	FailedUnexpectedMessage int
	FailedCallRejected      int
	FailedMaxUDPRetrans     int
	FailedCmdNotSent        int
	// ResponseTime1 is the mean of the first rtd="true" timer and
	// CallLength the mean call length ("hh:mm:ss:uuuuuu" in the file).
	ResponseTime1 time.Duration
	CallLength    time.Duration
	// Raw holds every column of the final row by header name.
	Raw map[string]string
}

// SIPpResult is the outcome of a SIPp run.
type SIPpResult struct {
	// ExitCode: 0 all calls succeeded, 1 at least one failed (or the
	// scenario failed to load), 97 internal exit, 99 no call processed,
	// 255 fatal (e.g. -timeout reached with -timeout_error), 254 socket
	// bind error; -1 killed by the harness.
	ExitCode int
	Stats    SIPpStats
	Errors   string // the -trace_err log (unexpected messages quoted)
	Output   string // stdout+stderr
	Dir      string // working dir with the trace files
	Port     int    // local SIP port used
}

// SIPp is a background SIPp (e.g. a UAS scenario).
type SIPp struct {
	Port int // local SIP port
	Dir  string

	proc     *process
	statFile string
	errFile  string
}

// sippSeconds is the -timeout the harness sets when the caller did not.
const sippSeconds = 30

// RunSIPp runs sipp with args and waits for it. The harness always sets
// -nostdin, -timeout (30 s unless given) with -timeout_error, -trace_stat
// (final stats parsed into the result), -trace_err, and, unless given,
// -i 127.0.0.1, a free -p, -mp and -cp. The run is also bounded on the Go
// side (timeout + 15 s, then SIGKILL by PID).
func RunSIPp(tb testing.TB, args ...string) SIPpResult {
	tb.Helper()
	s := startSIPp(tb, sippPlace{ip: "127.0.0.1"}, args, false)
	ctx, cancel := context.WithTimeout(context.Background(), s.bound(args))
	defer cancel()
	return s.Wait(ctx)
}

// StartSIPp starts sipp in the background with the same defaults as RunSIPp
// and returns once its SIP socket is bound (UDP) or listening (TCP). A
// t.Cleanup stops it by PID.
func StartSIPp(tb testing.TB, args ...string) *SIPp {
	tb.Helper()
	return startSIPp(tb, sippPlace{ip: "127.0.0.1"}, args, true)
}

// sippPlace is where a SIPp runs: a network namespace (or the test's own
// when netns is "") and the default local address.
type sippPlace struct {
	netns string
	ip    string
}

func startSIPp(tb testing.TB, place sippPlace, args []string, waitBound bool) *SIPp {
	tb.Helper()
	requireTool(tb, "sipp", "sip-tester")
	if slices.Contains(args, "-bg") {
		tb.Fatal("interop: do not pass -bg to sipp (the parent exits at once); use StartSIPp")
	}
	var lastErr error
	for attempt := range 5 {
		s, err := startSIPpOnce(tb, place, args, attempt, waitBound)
		if err == nil {
			return s
		}
		lastErr = err
		if !errors.Is(err, errBind) || hasFlag(args, "-p") {
			break
		}
		tb.Logf("interop: sipp attempt %d: %v; retrying on other ports", attempt+1, err)
	}
	tb.Fatalf("interop: start sipp: %v", lastErr)
	return nil
}

func hasFlag(args []string, flag string) bool { return slices.Contains(args, flag) }

func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// bound is the Go-side limit for a run: SIPp's -timeout plus a margin.
func (s *SIPp) bound(args []string) time.Duration {
	d := time.Duration(sippSeconds) * time.Second
	if v := flagValue(args, "-timeout"); v != "" {
		if pd, err := time.ParseDuration(v); err == nil {
			d = pd
		} else if n, err := strconv.Atoi(strings.TrimSuffix(v, "s")); err == nil {
			d = time.Duration(n) * time.Second
		}
	}
	return d + 15*time.Second
}

func startSIPpOnce(tb testing.TB, place sippPlace, args []string, attempt int, waitBound bool) (*SIPp, error) {
	dir := filepath.Join(tb.TempDir(), fmt.Sprintf("sipp%d", attempt))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sipp dir: %w", err)
	}
	s := &SIPp{Dir: dir, statFile: filepath.Join(dir, "stat.csv"), errFile: filepath.Join(dir, "errors.log")}
	all := []string{"-nostdin", "-timeout_error", "-trace_stat", "-stf", s.statFile, "-trace_err", "-error_file", s.errFile}
	if !hasFlag(args, "-timeout") {
		all = append(all, "-timeout", strconv.Itoa(sippSeconds)+"s")
	}
	if !hasFlag(args, "-i") {
		all = append(all, "-i", place.ip)
	}
	if v := flagValue(args, "-p"); v != "" {
		s.Port, _ = strconv.Atoi(v)
	} else {
		s.Port = mustFreePorts(tb, 1)
		all = append(all, "-p", strconv.Itoa(s.Port))
	}
	if !hasFlag(args, "-mp") {
		all = append(all, "-mp", strconv.Itoa(mustFreeMediaPorts(tb, 4)))
	}
	if !hasFlag(args, "-cp") {
		all = append(all, "-cp", strconv.Itoa(mustFreePorts(tb, 1)))
	}
	all = append(all, args...)
	cmd := exec.Command("sipp", all...)
	if place.netns != "" {
		// ip netns exec execs sipp: the PID stays sipp's.
		cmd = exec.Command("ip", append([]string{"netns", "exec", place.netns, "sipp"}, all...)...)
	}
	cmd.Dir = dir
	p, err := startProcess("sipp", cmd, filepath.Join(dir, "sipp.log"), false)
	if err != nil {
		return nil, err
	}
	s.proc = p
	tcp := strings.HasPrefix(flagValue(args, "-t"), "t")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for waitBound && !pidHoldsPort(p.pid(), tcp, s.Port) {
		if p.exited() {
			if p.exitCode() == 254 || strings.Contains(p.out.String(), "in use") {
				return nil, fmt.Errorf("%w: %s", errBind, p.out.tail(5))
			}
			break // a short run may finish at once; Wait reports it
		}
		select {
		case <-ctx.Done():
			p.stop(defaultStopGrace)
			return nil, fmt.Errorf("sipp did not bind port %d: %s", s.Port, p.out.tail(10))
		case <-tick.C:
		}
	}
	tb.Cleanup(s.Stop)
	p.logOnFailure(tb)
	return s, nil
}

// pidHoldsPort reports whether the network namespace of process pid has a
// UDP socket bound to port, or a TCP socket listening on it, by reading
// /proc/PID/net/{udp,tcp} (which show the process's own namespace).
func pidHoldsPort(pid int, tcp bool, port int) bool {
	name := "udp"
	if tcp {
		name = "tcp"
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, name))
	if err != nil {
		return false
	}
	suffix := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasSuffix(f[1], suffix) {
			continue
		}
		if !tcp || f[3] == "0A" { // 0A: TCP_LISTEN
			return true
		}
	}
	return false
}

// PID is sipp's process ID.
func (s *SIPp) PID() int { return s.proc.pid() }

// Wait waits for sipp to exit (stopping it by PID when ctx ends first) and
// returns the result.
func (s *SIPp) Wait(ctx context.Context) SIPpResult {
	select {
	case <-s.proc.done:
	case <-ctx.Done():
		s.proc.stop(defaultStopGrace)
	}
	res := SIPpResult{ExitCode: s.proc.exitCode(), Output: s.proc.out.String(), Dir: s.Dir, Port: s.Port}
	if b, err := os.ReadFile(s.errFile); err == nil {
		res.Errors = string(b)
	}
	res.Stats, _ = parseSIPpStats(s.statFile)
	return res
}

// Stop stops sipp by PID (SIGTERM, SIGKILL after 5 s). Idempotent.
func (s *SIPp) Stop() { s.proc.stop(defaultStopGrace) }

// parseSIPpStats reads the last row of a ';'-separated -trace_stat file.
func parseSIPpStats(path string) (SIPpStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return SIPpStats{}, fmt.Errorf("interop: sipp stats: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return SIPpStats{}, fmt.Errorf("interop: sipp stats: %w", err)
	}
	if len(rows) < 2 {
		return SIPpStats{}, errors.New("interop: sipp stats: no data row")
	}
	head, last := rows[0], rows[len(rows)-1]
	st := SIPpStats{Raw: map[string]string{}}
	for i, h := range head {
		if i < len(last) && h != "" {
			st.Raw[h] = last[i]
		}
	}
	num := func(name string) int {
		n, _ := strconv.Atoi(st.Raw[name+"(C)"])
		return n
	}
	st.TotalCallCreated = num("TotalCallCreated")
	st.SuccessfulCall = num("SuccessfulCall")
	st.FailedCall = num("FailedCall")
	st.Retransmissions = num("Retransmissions")
	st.FailedUnexpectedMessage = num("FailedUnexpectedMessage")
	st.FailedCallRejected = num("FailedCallRejected")
	st.FailedMaxUDPRetrans = num("FailedMaxUDPRetrans")
	st.FailedCmdNotSent = num("FailedCmdNotSent")
	st.ResponseTime1 = parseSIPpDuration(st.Raw["ResponseTime1(C)"])
	st.CallLength = parseSIPpDuration(st.Raw["CallLength(C)"])
	return st, nil
}

// parseSIPpDuration parses SIPp's "hh:mm:ss:uuuuuu" (microseconds, with
// millisecond resolution in practice).
func parseSIPpDuration(s string) time.Duration {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 4 {
		return 0
	}
	units := []time.Duration{time.Hour, time.Minute, time.Second, time.Microsecond}
	var d time.Duration
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0
		}
		d += time.Duration(n) * units[i]
	}
	return d
}
