package tuie2e

import (
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

// The measurements below print figures (t.Logf) for the targets:
// start-up to first frame ≤ 150 ms, idle CPU ≈ 0, idle RSS ≤ 40 MB. They
// assert only that the figures could be taken, never a wall-clock target
// (the machine running the tests may be busy). Run them with -v on a quiet
// machine to report them; -short skips them.

// TestMeasureStartup starts the demo five times and logs the median time
// from asking tmux to start teaphone to the first frame on the terminal
// holding "teaphone", and to the first frame showing the contacts with
// their presence (the demo peers started, subscriptions answered).
func TestMeasureStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement; skipped with -short")
	}
	const runs = 5
	var first, ready, quit []time.Duration
	for i := range runs {
		t.Run(strconv.Itoa(i+1), func(t *testing.T) {
			s := startTUI(t, tuiOptions{args: []string{"-audio", "null"}})
			f, r := s.timeFrames()
			first, ready = append(first, f), append(ready, r)
			s.keys("q")
			rc, took := s.waitExit(exitTimeout)
			if rc != "0" {
				t.Errorf("exit status = %s, want 0", rc)
			}
			quit = append(quit, took)
		})
	}
	if len(first) < runs {
		t.Fatalf("only %d of %d runs measured", len(first), runs)
	}
	t.Logf("start → first frame with \"teaphone\": median %v (runs %v)", median(first), rounded(first))
	t.Logf("start → contacts with presence shown:  median %v (runs %v)", median(ready), rounded(ready))
	t.Logf("q → process exited:                      median %v (runs %v)", median(quit), rounded(quit))
}

// timeFrames polls the screen tightly (every 5 ms) from the start and
// returns when "teaphone" first showed and when Alice's presence did.
func (s *tui) timeFrames() (first, ready time.Duration) {
	s.t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := s.started.Add(stepTimeout)
	for {
		scr := s.screen()
		now := time.Since(s.started)
		if first == 0 && strings.Contains(scr, "teaphone") {
			first = now
		}
		if strings.Contains(lineWith(scr, "Alice"), "away") {
			if first == 0 {
				first = now
			}
			return first, now
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("demo not up within %v; screen:\n%s%s", stepTimeout, scr, s.logTail())
		}
		<-tick.C
	}
}

// TestMeasureIdle leaves the demo up with no call for 10 s and logs the CPU
// it used (utime+stime from /proc/PID/stat, and on-CPU time from the
// threads' schedstat), its context switches (wake-ups) and its memory;
// then the same over 5 s with a call up (its timer redrawn at 1 Hz; RTP
// both ways, the echo peer's media in the same process).
func TestMeasureIdle(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement; skipped with -short")
	}
	s := startTUI(t, tuiOptions{args: []string{"-audio", "null"}})
	waitDemo(s)
	pause(t, time.Second) // let start-up work (subscriptions, history) settle

	idle := 10 * time.Second
	a := sample(t, s.pid)
	pause(t, idle)
	b := sample(t, s.pid)
	t.Logf("idle, no call, %v: CPU %.2f ms/s (utime+stime, %.0f ms tick), on-CPU %.2f ms/s (schedstat), %.1f context switches/s, %d threads",
		idle, b.cpuMS(a)/idle.Seconds(), 1000/clockTicks(t), b.onCPUMS(a)/idle.Seconds(), float64(b.switches-a.switches)/idle.Seconds(), b.threads)
	t.Logf("idle memory: VmRSS %.1f MB, VmHWM %.1f MB", float64(b.rssKB)/1024, float64(b.hwmKB)/1024)

	callEcho(s)
	inCall := 5 * time.Second
	c := sample(t, s.pid)
	pause(t, inCall)
	e := sample(t, s.pid)
	t.Logf("in a call to Echo (both media ends in this process), %v: CPU %.2f ms/s, on-CPU %.2f ms/s, %.1f context switches/s, VmRSS %.1f MB",
		inCall, e.cpuMS(c)/inCall.Seconds(), e.onCPUMS(c)/inCall.Seconds(), float64(e.switches-c.switches)/inCall.Seconds(), float64(e.rssKB)/1024)
	s.keys("x")
	s.waitText("Echo  ended")
	s.keys("q")
	if rc, _ := s.waitExit(exitTimeout); rc != "0" {
		t.Errorf("exit status = %s, want 0", rc)
	}
}

// pause waits d: a measurement window, not synchronisation.
func pause(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-time.After(d):
	case <-t.Context().Done():
		t.Fatal("test cancelled while measuring")
	}
}

// procSample is one reading of a process's counters.
type procSample struct {
	ticks        uint64 // utime+stime, clock ticks
	onCPUNS      uint64 // sum over threads of schedstat's time on CPU
	switches     uint64 // voluntary+involuntary context switches, all threads
	threads      int
	rssKB, hwmKB uint64
	tick         float64 // clock ticks per second
}

func (b procSample) cpuMS(a procSample) float64 {
	return float64(b.ticks-a.ticks) * 1000 / b.tick
}

func (b procSample) onCPUMS(a procSample) float64 { return float64(b.onCPUNS-a.onCPUNS) / 1e6 }

func sample(t *testing.T, pid int) procSample {
	t.Helper()
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("reading %s: %v", p, err)
		}
		return string(b)
	}
	st, err := parseStat(read(fmt.Sprintf("/proc/%d/stat", pid)))
	if err != nil {
		t.Fatal(err)
	}
	s := procSample{ticks: st.utime + st.stime, tick: clockTicks(t)}
	status := read(fmt.Sprintf("/proc/%d/status", pid))
	s.rssKB, s.hwmKB = statusKB(status, "VmRSS:"), statusKB(status, "VmHWM:")
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("no threads of %d: %v", pid, err)
	}
	for _, task := range tasks {
		ss, err := os.ReadFile(filepath.Join(task, "schedstat"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		if f := strings.Fields(string(ss)); len(f) > 0 {
			ns, _ := strconv.ParseUint(f[0], 10, 64)
			s.onCPUNS += ns
		}
		ts, err := os.ReadFile(filepath.Join(task, "status"))
		if err != nil {
			continue
		}
		s.switches += statusKB(string(ts), "voluntary_ctxt_switches:") + statusKB(string(ts), "nonvoluntary_ctxt_switches:")
		s.threads++
	}
	return s
}

// statusKB is the number after key in a /proc status file.
func statusKB(status, key string) uint64 {
	for _, l := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(l, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (getconf
// CLK_TCK; 100 on Linux when getconf is missing).
func clockTicks(t *testing.T) float64 {
	t.Helper()
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 100
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || n <= 0 {
		return 100
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
