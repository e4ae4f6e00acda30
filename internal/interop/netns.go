package interop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Link is a pair of network namespaces joined by a veth pair:
// NSA (AddrA, 10.99.0.1/24) ⇄ NSB (AddrB, 10.99.0.2/24), each with lo up.
// Loss is dropped by nftables on each side's egress; Delay (+ uniform
// 0..Jitter) is added to each direction by nfqdelay through NFQUEUE, so a
// round trip takes about 2×Delay. (This kernel has no sch_netem.)
type Link struct {
	NSA, NSB     string
	AddrA, AddrB string
	Loss         int // percent, per direction
	Delay        time.Duration
	Jitter       time.Duration
}

// linkLifetime bounds the nfqdelay helpers (they also stop in cleanup).
const linkLifetime = 10 * time.Minute

// ImpairedLink creates two network namespaces with unique names joined by a
// veth pair, drops lossPct percent of the packets leaving each namespace
// over the veth (nftables numgen) and delays each direction by delay plus a
// uniform jitter (the nfqdelay NFQUEUE helper from
// scripts/interop/netns/nfqdelay.c, built once with gcc into the user cache
// dir). Everything is removed in t.Cleanup. It needs root: without it the
// test is skipped (failed under CI=true).
func ImpairedLink(tb testing.TB, lossPct int, delay, jitter time.Duration) *Link {
	tb.Helper()
	requireRoot(tb, "ImpairedLink")
	requireTool(tb, "ip", "iproute2")
	if lossPct > 0 {
		requireTool(tb, "nft", "nftables")
	}
	var nfq string
	if delay > 0 || jitter > 0 {
		requireTool(tb, "iptables-legacy", "iptables")
		nfq = buildNfqdelay(tb)
	}
	id := randHex(3)
	l := &Link{
		NSA: "tp" + id + "-a", NSB: "tp" + id + "-b",
		AddrA: "10.99.0.1", AddrB: "10.99.0.2",
		Loss: lossPct, Delay: delay, Jitter: jitter,
	}
	vethA, vethB := "tp"+id+"-va", "tp"+id+"-vb"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(args ...string) {
		tb.Helper()
		if out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput(); err != nil {
			tb.Fatalf("interop: %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("ip", "netns", "add", l.NSA)
	tb.Cleanup(func() { _ = exec.Command("ip", "netns", "del", l.NSA).Run() }) // removes the veth pair too
	run("ip", "netns", "add", l.NSB)
	tb.Cleanup(func() { _ = exec.Command("ip", "netns", "del", l.NSB).Run() })
	run("ip", "link", "add", vethA, "type", "veth", "peer", "name", vethB)
	run("ip", "link", "set", vethA, "netns", l.NSA)
	run("ip", "link", "set", vethB, "netns", l.NSB)
	run("ip", "-n", l.NSA, "addr", "add", l.AddrA+"/24", "dev", vethA)
	run("ip", "-n", l.NSB, "addr", "add", l.AddrB+"/24", "dev", vethB)
	for _, ns := range []string{l.NSA, l.NSB} {
		run("ip", "-n", ns, "link", "set", "lo", "up")
	}
	run("ip", "-n", l.NSA, "link", "set", vethA, "up")
	run("ip", "-n", l.NSB, "link", "set", vethB, "up")

	sides := []struct{ ns, dev string }{{l.NSA, vethA}, {l.NSB, vethB}}
	if lossPct > 0 {
		for _, s := range sides {
			rules := fmt.Sprintf(`table inet lossy {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname %q numgen random mod 100 < %d counter drop
  }
}
`, s.dev, lossPct)
			cmd := exec.CommandContext(ctx, "ip", "netns", "exec", s.ns, "nft", "-f", "-")
			cmd.Stdin = strings.NewReader(rules)
			if out, err := cmd.CombinedOutput(); err != nil {
				tb.Fatalf("interop: nft in %s: %v: %s", s.ns, err, out)
			}
		}
	}
	if nfq != "" {
		dir := tb.TempDir()
		for _, s := range sides {
			// nft 'queue' needs CONFIG_NFT_QUEUE (absent here): iptables-legacy.
			// --queue-bypass: without a listener packets pass undelayed.
			run("ip", "netns", "exec", s.ns, "iptables-legacy", "-A", "OUTPUT", "-o", s.dev,
				"-j", "NFQUEUE", "--queue-num", "0", "--queue-bypass")
			cmd := exec.Command("ip", "netns", "exec", s.ns, nfq, "0",
				strconv.FormatInt(delay.Milliseconds(), 10), strconv.FormatInt(jitter.Milliseconds(), 10),
				"0", strconv.Itoa(int(linkLifetime.Seconds())))
			p, err := startProcess("nfqdelay "+s.ns, cmd, filepath.Join(dir, "nfqdelay-"+s.ns+".log"), false)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { p.stop(defaultStopGrace) })
			p.logOnFailure(tb)
			if err := p.out.wait(ctx, p.done, "nfqdelay: queue="); err != nil {
				tb.Fatalf("interop: nfqdelay in %s: %v: %s", s.ns, err, p.out.tail(5))
			}
		}
	}
	return l
}

// buildNfqdelay compiles nfqdelay.c once per source version into the user
// cache dir (or a temp dir) and returns the binary's path.
func buildNfqdelay(tb testing.TB) string {
	tb.Helper()
	requireTool(tb, "gcc", "gcc")
	requireFile(tb, "/usr/include/libnetfilter_queue/libnetfilter_queue.h", "libnetfilter-queue-dev")
	src := filepath.Join(scriptsDir(tb), "netns", "nfqdelay.c")
	code, err := os.ReadFile(src)
	if err != nil {
		tb.Fatalf("interop: %v", err)
	}
	sum := sha256.Sum256(code)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "teaphone-interop")
	bin := filepath.Join(dir, "nfqdelay-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatalf("interop: %v", err)
	}
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "gcc", "-O2", "-o", tmp, src, "-lnetfilter_queue").CombinedOutput(); err != nil {
		tb.Fatalf("interop: build nfqdelay: %v: %s", err, out)
	}
	// Rename is atomic: concurrent test binaries end up with one binary.
	if err := os.Rename(tmp, bin); err != nil {
		tb.Fatalf("interop: %v", err)
	}
	return bin
}

// Command returns a command running name inside namespace ns.
func (l *Link) Command(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

// Run runs name inside namespace ns (bounded by ctx) and returns its
// combined output.
func (l *Link) Run(ctx context.Context, ns, name string, args ...string) (string, error) {
	out, err := l.Command(ctx, ns, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("interop: %s in %s: %w", name, ns, err)
	}
	return string(out), nil
}

// addr returns the veth address of ns.
func (l *Link) addr(ns string) string {
	if ns == l.NSB {
		return l.AddrB
	}
	return l.AddrA
}

// RunSIPp is RunSIPp inside namespace ns (-i defaults to ns's address).
func (l *Link) RunSIPp(tb testing.TB, ns string, args ...string) SIPpResult {
	tb.Helper()
	s := startSIPp(tb, sippPlace{netns: ns, ip: l.addr(ns)}, args, false)
	ctx, cancel := context.WithTimeout(context.Background(), s.bound(args))
	defer cancel()
	return s.Wait(ctx)
}

// StartSIPp is StartSIPp inside namespace ns.
func (l *Link) StartSIPp(tb testing.TB, ns string, args ...string) *SIPp {
	tb.Helper()
	return startSIPp(tb, sippPlace{netns: ns, ip: l.addr(ns)}, args, true)
}

// PingStats summarises a ping run.
type PingStats struct {
	Sent, Received int
	LossPct        float64
	MinRTT, AvgRTT time.Duration
	MaxRTT         time.Duration
}

var (
	pingCounts = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)
	pingRTT    = regexp.MustCompile(`= ([\d.]+)/([\d.]+)/([\d.]+)/`)
)

// Ping sends count pings 50 ms apart from namespace from to the other
// side's address and parses the summary (needs ping from iputils-ping).
func (l *Link) Ping(ctx context.Context, from string, count int) (PingStats, error) {
	if _, err := exec.LookPath("ping"); err != nil {
		return PingStats{}, fmt.Errorf("interop: ping (Debian package iputils-ping): %w", err)
	}
	to := l.AddrB
	if from == l.NSB {
		to = l.AddrA
	}
	out, err := l.Run(ctx, from, "ping", "-n", "-q", "-c", strconv.Itoa(count), "-i", "0.05", "-W", "2", to)
	m := pingCounts.FindStringSubmatch(out)
	if m == nil {
		return PingStats{}, fmt.Errorf("interop: ping: %v: %s", err, out)
	}
	var st PingStats
	st.Sent, _ = strconv.Atoi(m[1])
	st.Received, _ = strconv.Atoi(m[2])
	if st.Sent > 0 {
		st.LossPct = 100 * float64(st.Sent-st.Received) / float64(st.Sent)
	}
	if r := pingRTT.FindStringSubmatch(out); r != nil {
		ms := func(s string) time.Duration {
			f, _ := strconv.ParseFloat(s, 64)
			return time.Duration(f * float64(time.Millisecond))
		}
		st.MinRTT, st.AvgRTT, st.MaxRTT = ms(r[1]), ms(r[2]), ms(r[3])
	}
	return st, nil
}

// InNetns runs fn on the calling goroutine with its OS thread switched into
// the named network namespace (/var/run/netns/NAME, made by "ip netns add"):
// sockets fn creates (net.Dial, net.Listen) live in that namespace and stay
// there afterwards. The thread is switched back before returning; if that
// fails the thread stays locked and the runtime discards it when the
// goroutine exits. An empty ns runs fn as is.
func InNetns(ns string, fn func() error) error {
	if ns == "" {
		return fn()
	}
	target, err := os.Open(filepath.Join("/var/run/netns", ns))
	if err != nil {
		return fmt.Errorf("interop: netns %s: %w", ns, err)
	}
	defer target.Close()
	runtime.LockOSThread()
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("interop: own netns: %w", err)
	}
	defer self.Close()
	if err := setns(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("interop: enter netns %s: %w", ns, err)
	}
	ferr := fn()
	if err := setns(self); err != nil {
		// Leave the thread locked: it dies with the goroutine.
		return fmt.Errorf("interop: leave netns %s: %w", ns, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}
