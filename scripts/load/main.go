// Command load is the helper of scripts/load/load.sh, the load and footprint
// comparison between a teaphone agent and baresip. It does what bash does
// badly:
//
//	load freeport [-pair] [-n N]     N free loopback UDP ports (with -pair: P and P+1 free for UDP and TCP)
//	load startup -port P -user U [-runs 5] [-idle 2s] [-log FILE] -- CMD ARGS...
//	                                 exec CMD, send OPTIONS (RFC 3261 §11) every 1 ms until the
//	                                 first 200; print the median exec-to-200 time and the median
//	                                 VmRSS after -idle; every run's process is stopped by PID
//	load ping -port P [-user U] [-timeout 10s]  OPTIONS every 10 ms until a 200 (exit 1 without)
//	load sample PID                  "cpu_ms rss_kb fds threads" from /proc
//	load sippstat FILE               "created successful failed retransmissions elapsed_s" from
//	                                 the last line of a SIPp -trace_stat file
//	load goroutines ADDR             goroutine count from a loadprof build's /debug/pprof
//	load heap ADDR                   "heap_alloc_kb heap_inuse_kb" after a GC (loadprof build)
//	load freeos ADDR                 debug.FreeOSMemory in a loadprof build
//	load fetch URL FILE              save a URL (e.g. a CPU profile) to FILE
//	load wav FILE SECONDS            a 440 Hz tone, S16LE mono 8 kHz WAV (baresip's aufile source)
//	load run -pidfile F -out F [-ctl FIFO] [-answer-waiting] -- CMD ARGS...
//	                                 run a UAS with its stdin held open: its output goes to -out,
//	                                 lines written to the -ctl FIFO go to its stdin, and with
//	                                 -answer-waiting every teaphone "incoming" event with
//	                                 "waiting":true gets an "answer ID" command (auto-answer only
//	                                 answers when no other call is up); SIGTERM stops the UAS by PID
//
// It talks to loopback only and never leaves a process behind.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: load freeport|startup|sample|sippstat|goroutines|heap|freeos|fetch ...")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "freeport":
		err = cmdFreeport(args)
	case "startup":
		err = cmdStartup(args)
	case "ping":
		err = cmdPing(args)
	case "sample":
		err = cmdSample(args)
	case "sippstat":
		err = cmdSippStat(args)
	case "goroutines":
		err = cmdGoroutines(args)
	case "heap":
		err = cmdHeap(args)
	case "freeos":
		err = cmdFreeOS(args)
	case "fetch":
		err = cmdFetch(args)
	case "run":
		err = cmdRun(args)
	case "wav":
		err = cmdWAV(args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// cmdFreeport prints free loopback ports. The sockets are closed before
// printing, so a port can in principle be taken again before the caller
// binds it; the caller's process then fails to start and the script says so.
func cmdFreeport(args []string) error {
	fl := flag.NewFlagSet("freeport", flag.ContinueOnError)
	n := fl.Int("n", 1, "how many ports")
	pair := fl.Bool("pair", false, "P and P+1 both free (UDP and TCP): baresip binds TLS on SIP_PORT+1")
	if err := fl.Parse(args); err != nil {
		return err
	}
	var out []int
	var held []io.Closer
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for tries := 0; len(out) < *n && tries < 200; tries++ {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("freeport: %w", err)
		}
		held = append(held, pc)
		p := pc.LocalAddr().(*net.UDPAddr).Port
		if !*pair {
			out = append(out, p)
			continue
		}
		ok := true
		for _, q := range []int{p, p + 1} {
			if q != p {
				u, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(q)))
				if err != nil {
					ok = false
					break
				}
				held = append(held, u)
			}
			t, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(q)))
			if err != nil {
				ok = false
				break
			}
			held = append(held, t)
		}
		if ok {
			out = append(out, p)
		}
	}
	if len(out) < *n {
		return errors.New("freeport: no free ports found")
	}
	for _, c := range held {
		c.Close()
	}
	held = nil
	for _, p := range out {
		fmt.Println(p)
	}
	return nil
}

// cmdStartup measures start-to-OPTIONS and idle RSS over several runs.
func cmdStartup(args []string) error {
	fl := flag.NewFlagSet("startup", flag.ContinueOnError)
	port := fl.Int("port", 0, "the UAS's SIP UDP port on 127.0.0.1")
	user := fl.String("user", "bob", "user part of the OPTIONS Request-URI")
	runs := fl.Int("runs", 5, "runs (the median is reported)")
	idle := fl.Duration("idle", 2*time.Second, "idle time after the first 200 before reading VmRSS")
	logPath := fl.String("log", "", "append the UAS's stdout and stderr here (default: discard)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	argv := fl.Args()
	if *port == 0 || len(argv) == 0 {
		return errors.New("startup: need -port and -- CMD ARGS")
	}
	var ms, rss []float64
	for i := 0; i < *runs; i++ {
		d, kb, err := startupRun(argv, *port, *user, *idle, *logPath)
		if err != nil {
			return fmt.Errorf("startup run %d: %w", i+1, err)
		}
		fmt.Fprintf(os.Stderr, "  run %d: first 200 after %.1f ms, VmRSS %d kB after %s idle\n", i+1, msOf(d), kb, *idle)
		ms = append(ms, msOf(d))
		rss = append(rss, float64(kb))
	}
	fmt.Printf("%.1f %.0f\n", median(ms), median(rss))
	return nil
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// startupRun starts argv with a held-open stdin pipe (baresip's stdio module
// spins on EOF; the teaphone agent exits on it), probes it and stops it.
func startupRun(argv []string, port int, user string, idle time.Duration, logPath string) (time.Duration, int, error) {
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, 0, err
	}
	defer pc.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	defer stdin.Close()
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		cmd.Stdout, cmd.Stderr = f, f
	}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer stopPID(cmd.Process, exited)

	if err := probe(pc, port, user, time.Millisecond, t0.Add(10*time.Second), exited); err != nil {
		return 0, 0, err
	}
	d := time.Since(t0)
	// Idle, registration-free, then read VmRSS.
	select {
	case <-exited:
		return 0, 0, errors.New("the process exited while idle")
	case <-time.After(idle):
	}
	kb, err := procRSS(cmd.Process.Pid)
	return d, kb, err
}

// probe sends an OPTIONS (RFC 3261 §11) to 127.0.0.1:port every poll until
// a 200 arrives, the deadline passes or exited is closed. Each request is a
// new transaction (branch, CSeq) so no retransmission is absorbed.
func probe(pc *net.UDPConn, port int, user string, poll time.Duration, deadline time.Time, exited <-chan struct{}) error {
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	local := pc.LocalAddr().(*net.UDPAddr)
	callID := randHex(8)
	buf := make([]byte, 65536)
	for seq := 1; ; seq++ {
		if time.Now().After(deadline) {
			return errors.New("no 200 to OPTIONS in time")
		}
		select {
		case <-exited:
			return errors.New("the process exited before answering")
		default:
		}
		req := fmt.Sprintf("OPTIONS sip:%s@127.0.0.1:%d SIP/2.0\r\n"+
			"Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"+
			"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1:%d>;tag=%s\r\nTo: <sip:%s@127.0.0.1:%d>\r\n"+
			"Call-ID: %s@127.0.0.1\r\nCSeq: %d OPTIONS\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n",
			user, port, local.Port, randHex(6), local.Port, callID[:8], user, port, callID, seq)
		if _, err := pc.WriteToUDP([]byte(req), dst); err != nil {
			return err
		}
		_ = pc.SetReadDeadline(time.Now().Add(poll))
		for {
			n, _, err := pc.ReadFromUDP(buf)
			if err != nil {
				break // this poll ended (or ICMP unreachable)
			}
			if strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
				return nil
			}
		}
	}
}

// cmdPing waits until a running UAS answers OPTIONS.
func cmdPing(args []string) error {
	fl := flag.NewFlagSet("ping", flag.ContinueOnError)
	port := fl.Int("port", 0, "the UAS's SIP UDP port on 127.0.0.1")
	user := fl.String("user", "bob", "user part of the Request-URI")
	timeout := fl.Duration("timeout", 10*time.Second, "give up after")
	if err := fl.Parse(args); err != nil {
		return err
	}
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer pc.Close()
	return probe(pc, *port, *user, 10*time.Millisecond, time.Now().Add(*timeout), nil)
}

// stopPID sends SIGTERM, waits up to 5 s, then SIGKILL, and waits for exit.
func stopPID(p *os.Process, exited <-chan struct{}) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return
	case <-time.After(5 * time.Second):
	}
	_ = p.Kill()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func procRSS(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return statusField(string(b), "VmRSS:"), nil
}

func statusField(status, key string) int {
	for line := range strings.SplitSeq(status, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return -1
}

// cmdSample prints CPU time (utime+stime of all threads, proc(5) fields 14
// and 15, in ms), VmRSS in kB, open FDs and threads of PID.
func cmdSample(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: sample PID")
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return err
	}
	// The command name is in parentheses and may hold spaces: split after it.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return errors.New("sample: malformed /proc/PID/stat")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return errors.New("sample: short /proc/PID/stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	// USER_HZ is 100 on Linux for every architecture Go supports here.
	const userHZ = 100
	cpuMS := (ut + st) * 1000 / userHZ
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return err
	}
	fmt.Printf("%d %d %d %d\n", cpuMS, statusField(string(status), "VmRSS:"), len(fds), statusField(string(status), "Threads:"))
	return nil
}

// cmdSippStat reads the header and the last line of a SIPp -trace_stat CSV
// (semicolon separated) and prints the cumulative counters.
func cmdSippStat(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: sippstat FILE")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var header, last []string
	for sc.Scan() {
		cols := strings.Split(strings.TrimSpace(sc.Text()), ";")
		if header == nil {
			header = cols
			continue
		}
		if len(cols) >= len(header)-1 {
			last = cols
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if last == nil {
		return errors.New("sippstat: no data line")
	}
	get := func(name string) string {
		for i, h := range header {
			if h == name && i < len(last) {
				return last[i]
			}
		}
		return "0"
	}
	elapsed := get("ElapsedTime(C)") // hh:mm:ss:uuuuuu
	var secs float64
	if p := strings.Split(elapsed, ":"); len(p) == 4 {
		h, _ := strconv.ParseFloat(p[0], 64)
		m, _ := strconv.ParseFloat(p[1], 64)
		s, _ := strconv.ParseFloat(p[2], 64)
		us, _ := strconv.ParseFloat(p[3], 64)
		secs = h*3600 + m*60 + s + us/1e6
	}
	fmt.Printf("%s %s %s %s %.1f\n", get("TotalCallCreated"), get("SuccessfulCall(C)"), get("FailedCall(C)"),
		get("Retransmissions(C)"), secs)
	return nil
}

func httpGet(url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// cmdGoroutines prints the goroutine count ("goroutine profile: total N").
func cmdGoroutines(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: goroutines ADDR")
	}
	b, err := httpGet("http://" + args[0] + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	n, ok := strings.CutPrefix(first, "goroutine profile: total ")
	if !ok {
		return fmt.Errorf("goroutines: unexpected %q", first)
	}
	fmt.Println(strings.TrimSpace(n))
	return nil
}

// cmdHeap prints HeapAlloc (live objects) and HeapInuse (spans holding
// any live object) in kB after a GC: the heap profile's gc=1 runs one and
// its debug=1 form ends with runtime.MemStats.
func cmdHeap(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: heap ADDR")
	}
	b, err := httpGet("http://" + args[0] + "/debug/pprof/heap?debug=1&gc=1")
	if err != nil {
		return err
	}
	var alloc, inuse int64 = -1, -1
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "# HeapAlloc = "); ok {
			alloc, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			inuse, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if alloc < 0 || inuse < 0 {
		return errors.New("heap: no HeapAlloc/HeapInuse lines")
	}
	fmt.Println(alloc/1024, inuse/1024)
	return nil
}

func cmdFreeOS(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: freeos ADDR")
	}
	_, err := httpGet("http://" + args[0] + "/loadprof/freeosmemory")
	return err
}

func cmdFetch(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: fetch URL FILE")
	}
	b, err := httpGet(args[0])
	if err != nil {
		return err
	}
	return os.WriteFile(args[1], b, 0o644)
}

// cmdRun runs a UAS as a child with a pipe for stdin and relays as described
// in the package comment. It returns when the child exits or on SIGTERM /
// SIGINT, after stopping the child.
func cmdRun(args []string) error {
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	pidFile := fl.String("pidfile", "", "write the UAS's PID here")
	outPath := fl.String("out", "", "the UAS's stdout and stderr (default: discard)")
	ctl := fl.String("ctl", "", "FIFO whose lines are written to the UAS's stdin")
	answer := fl.Bool("answer-waiting", false, "answer teaphone calls that auto-answer leaves ringing")
	if err := fl.Parse(args); err != nil {
		return err
	}
	argv := fl.Args()
	if len(argv) == 0 {
		return errors.New("run: need -- CMD ARGS")
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out := io.Discard
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
		cmd.Stderr = f
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	if *pidFile != "" {
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return err
		}
	}
	// One writer to the UAS's stdin: commands from the FIFO and answers.
	cmds := make(chan string, 1024)
	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		w := bufio.NewWriter(out)
		defer w.Flush()
		r := bufio.NewReaderSize(stdout, 1<<16)
		for {
			line, err := r.ReadBytes('\n') // no line-length limit: a `calls` reply can be large
			if len(line) > 0 {
				_, _ = w.Write(line)
				if *answer && len(line) < 2048 {
					var ev struct {
						Event   string `json:"event"`
						Call    string `json:"call"`
						Waiting bool   `json:"waiting"`
					}
					if json.Unmarshal(line, &ev) == nil && ev.Event == "incoming" && ev.Waiting && ev.Call != "" {
						cmds <- "answer " + ev.Call
					}
				}
				if r.Buffered() == 0 {
					_ = w.Flush()
				}
			}
			if err != nil {
				return
			}
		}
	}()
	if *ctl != "" {
		go func() {
			// Re-open after each writer closes the FIFO; ends with the process.
			for {
				f, err := os.Open(*ctl)
				if err != nil {
					return
				}
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					cmds <- sc.Text()
				}
				f.Close()
			}
		}()
	}
	exited := make(chan struct{})
	go func() {
		<-outDone
		_ = cmd.Wait()
		close(exited)
	}()
	for {
		select {
		case c := <-cmds:
			if _, err := io.WriteString(stdin, c+"\n"); err != nil {
				fmt.Fprintln(os.Stderr, "load run: stdin:", err)
			}
		case <-sigs:
			stopPID(cmd.Process, exited)
			return nil
		case <-exited:
			return fmt.Errorf("run: %s exited by itself", argv[0])
		}
	}
}

// cmdWAV writes a 440 Hz tone at -12 dBFS as a canonical 44-byte-header WAV,
// 16-bit signed little-endian, mono, 8000 Hz.
func cmdWAV(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: wav FILE SECONDS")
	}
	secs, err := strconv.Atoi(args[1])
	if err != nil || secs <= 0 || secs > 3600 {
		return fmt.Errorf("wav: bad seconds %q", args[1])
	}
	const rate = 8000
	n := rate * secs
	buf := make([]byte, 44+2*n)
	copy(buf[0:], "RIFF")
	binary.LittleEndian.PutUint32(buf[4:], uint32(36+2*n))
	copy(buf[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(buf[16:], 16)
	binary.LittleEndian.PutUint16(buf[20:], 1) // PCM
	binary.LittleEndian.PutUint16(buf[22:], 1) // mono
	binary.LittleEndian.PutUint32(buf[24:], rate)
	binary.LittleEndian.PutUint32(buf[28:], rate*2)
	binary.LittleEndian.PutUint16(buf[32:], 2)
	binary.LittleEndian.PutUint16(buf[34:], 16)
	copy(buf[36:], "data")
	binary.LittleEndian.PutUint32(buf[40:], uint32(2*n))
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		binary.LittleEndian.PutUint16(buf[44+2*i:], uint16(v))
	}
	return os.WriteFile(args[0], buf, 0o644)
}
