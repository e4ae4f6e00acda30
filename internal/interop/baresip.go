package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BaresipOptions configures StartBaresip.
type BaresipOptions struct {
	User     string // default "alice"
	Password string
	// Registrar is "127.0.0.1:PORT" to register there (for Transport "tls"
	// give the registrar's TLS address); "" means no registration: the phone
	// is reached directly at ContactURI().
	Registrar  string
	Transport  string   // "udp" (default), "tcp" or "tls"
	CAFile     string   // TLS: the registrar's CA certificate (Kamailio.CAFile)
	WAV        string   // audio source: S16LE mono 8 kHz WAV; default a 440 Hz tone
	AnswerMode string   // "auto" (default) or "manual"
	Contacts   []string // user names at 127.0.0.1 watched for presence; the first is the message target
	// PublishInterval > 0 makes the account PUBLISH its presence (RFC 3903)
	// every so often; it is rounded to whole seconds.
	PublishInterval time.Duration
	RecordDir       string   // default DIR/rec
	Args            []string // extra baresip arguments (e.g. "-v", "-s" for a SIP trace)
	// Netns runs baresip inside that network namespace (e.g. Link.NSA) on
	// ListenIP (e.g. Link.AddrA); default: here, 127.0.0.1. The AoR's domain
	// is the registrar's IP (or ListenIP without a registrar).
	Netns    string
	ListenIP string
}

// Baresip is a running headless baresip with a ctrl_tcp client.
type Baresip struct {
	Dir       string // config dir (baresip -f)
	SIPPort   int    // also SIPPort+1 (baresip binds TLS there)
	CtrlPort  int
	RecordDir string
	User      string
	Transport string
	IP        string // listen address
	Netns     string

	*BaresipCtrl // Command, WaitEvent, ...

	proc *process
}

// StartBaresip generates a config dir (scripts/interop/baresip/make-baresip.sh)
// and starts baresip with stdin held open by a pipe (EOF on stdin makes
// baresip 1.0.0 spin at 100% CPU with the stdio module). It returns once the
// ctrl_tcp port accepts; use WaitRegistered for the registration.
func StartBaresip(tb testing.TB, opts BaresipOptions) *Baresip {
	tb.Helper()
	requireTool(tb, "baresip", "baresip")
	requireFile(tb, "/usr/lib/baresip/modules/ctrl_tcp.so", "baresip-core")
	requireFile(tb, "/usr/lib/baresip/modules/sndfile.so", "baresip")
	if opts.User == "" {
		opts.User = "alice"
	}
	if opts.Transport == "" {
		opts.Transport = "udp"
	}
	if opts.ListenIP == "" {
		opts.ListenIP = "127.0.0.1"
	}
	if opts.AnswerMode == "" {
		opts.AnswerMode = "auto"
	}
	if opts.WAV == "" {
		opts.WAV = ToneWAV(tb, 440)
	}
	gen := filepath.Join(scriptsDir(tb), "baresip", "make-baresip.sh")
	var lastErr error
	for attempt := range 5 {
		b, err := startBaresipOnce(tb, gen, opts, attempt)
		if err == nil {
			return b
		}
		lastErr = err
		if !errors.Is(err, errBind) {
			break
		}
		tb.Logf("interop: baresip attempt %d: %v; retrying on other ports", attempt+1, err)
	}
	tb.Fatalf("interop: start baresip %s: %v", opts.User, lastErr)
	return nil
}

func startBaresipOnce(tb testing.TB, gen string, opts BaresipOptions, attempt int) (*Baresip, error) {
	sipPort := mustFreePorts(tb, 2)
	ctrlPort := mustFreePorts(tb, 1)
	rtp := mustFreeMediaPorts(tb, 20)
	dir := filepath.Join(tb.TempDir(), fmt.Sprintf("baresip-%s-%d", opts.User, attempt))
	rec := opts.RecordDir
	if rec == "" {
		rec = filepath.Join(dir, "rec")
	}
	reg := opts.Registrar
	if reg == "" {
		reg = "none"
	}
	gcmd := exec.Command(gen, dir, opts.User, opts.Password, strconv.Itoa(sipPort), strconv.Itoa(ctrlPort), opts.WAV, reg)
	gcmd.Env = append(os.Environ(),
		"TRANSPORT="+opts.Transport,
		"ANSWERMODE="+opts.AnswerMode,
		"CONTACTS="+strings.Join(opts.Contacts, " "),
		"PUBINT="+strconv.Itoa(int(opts.PublishInterval/time.Second)),
		"CAFILE="+opts.CAFile,
		fmt.Sprintf("RTP_PORTS=%d-%d", rtp, rtp+19),
		"RECDIR="+rec,
		"LISTEN_IP="+opts.ListenIP,
	)
	if out, err := gcmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("make-baresip.sh: %w: %s", err, out)
	}
	cmd := exec.Command("baresip", append([]string{"-f", dir}, opts.Args...)...)
	if opts.Netns != "" {
		cmd = exec.Command("ip", append([]string{"netns", "exec", opts.Netns, "baresip", "-f", dir}, opts.Args...)...)
	}
	cmd.Dir = dir
	p, err := startProcess("baresip "+opts.User, cmd, filepath.Join(dir, "baresip.log"), true)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultStartTimeout)
	defer cancel()
	ctrlAddr := net.JoinHostPort(opts.ListenIP, strconv.Itoa(ctrlPort))
	var ctrl *BaresipCtrl
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for ctrl == nil {
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		err = InNetns(opts.Netns, func() error {
			var derr error
			ctrl, derr = DialBaresipCtrl(dctx, ctrlAddr)
			return derr
		})
		dcancel()
		if err == nil {
			break
		}
		if p.exited() {
			p.stop(defaultStopGrace)
			out := p.out.tail(15)
			if strings.Contains(out, "Address already in use") || strings.Contains(out, "EADDRINUSE") {
				return nil, fmt.Errorf("%w: %s", errBind, out)
			}
			return nil, fmt.Errorf("baresip exited: %s", out)
		}
		select {
		case <-ctx.Done():
			p.stop(defaultStopGrace)
			return nil, fmt.Errorf("ctrl_tcp %s not listening within %v: %s", ctrlAddr, defaultStartTimeout, p.out.tail(15))
		case <-tick.C:
		}
	}
	b := &Baresip{
		Dir: dir, SIPPort: sipPort, CtrlPort: ctrlPort, RecordDir: rec,
		User: opts.User, Transport: opts.Transport, IP: opts.ListenIP, Netns: opts.Netns,
		BaresipCtrl: ctrl, proc: p,
	}
	tb.Cleanup(b.Stop)
	p.logOnFailure(tb)
	return b, nil
}

// PID is baresip's process ID.
func (b *Baresip) PID() int { return b.proc.pid() }

// ContactURI is the address that reaches this phone directly, without a
// registrar: sip:USER@IP:SIPPORT;transport=T.
func (b *Baresip) ContactURI() string {
	return fmt.Sprintf("sip:%s@%s:%d;transport=%s", b.User, b.IP, b.SIPPort, b.Transport)
}

// Dial places a call (ctrl_tcp "dial").
func (b *Baresip) Dial(ctx context.Context, uri string) error {
	return b.ok(b.Command(ctx, "dial", uri))
}

// Hangup ends the current call.
func (b *Baresip) Hangup(ctx context.Context) error { return b.ok(b.Command(ctx, "hangup", "")) }

// Accept answers the ringing incoming call. baresip 1.0.0 has no call
// selector: after an incoming call was CANCELled, accept answered that stale
// call rather than the next ringing one (seen in TestBaresipManualAnswer).
func (b *Baresip) Accept(ctx context.Context) error { return b.ok(b.Command(ctx, "accept", "")) }

// Message sends a SIP MESSAGE with text to the current contact (the first
// of BaresipOptions.Contacts).
func (b *Baresip) Message(ctx context.Context, text string) error {
	return b.ok(b.Command(ctx, "message", text))
}

// SetAnswerMode switches between "auto" and "manual" answering.
func (b *Baresip) SetAnswerMode(ctx context.Context, mode string) error {
	return b.ok(b.Command(ctx, "answermode", mode))
}

func (b *Baresip) ok(r BaresipResponse, err error) error {
	if err != nil {
		return err
	}
	if !r.OK {
		return fmt.Errorf("interop: baresip %s: command failed: %s", b.User, r.Data)
	}
	return nil
}

// WaitEstablished waits for the next CALL_ESTABLISHED event; a CALL_CLOSED
// arriving first (rejected, cancelled, timed out) is returned as an error
// carrying its reason.
func (b *Baresip) WaitEstablished(ctx context.Context) (BaresipEvent, error) {
	e, err := b.WaitEventFunc(ctx, func(e BaresipEvent) bool {
		return e.Type == EventCallEstablished || e.Type == EventCallClosed
	})
	if err != nil {
		return e, fmt.Errorf("interop: baresip %s: call not established: %w", b.User, err)
	}
	if e.Type == EventCallClosed {
		return e, fmt.Errorf("interop: baresip %s: call closed before it was established: %s", b.User, e.Param)
	}
	return e, nil
}

// WaitRegistered waits (asking "reginfo" every 100 ms, bounded by ctx) until
// the account's registration shows OK.
func (b *Baresip) WaitRegistered(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := b.Command(ctx, "reginfo", "")
		if err != nil {
			return err
		}
		if strings.Contains(r.Data, "OK") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interop: baresip %s not registered (reginfo %q): %w", b.User, r.Data, ctx.Err())
		case <-tick.C:
		}
	}
}

// WaitOutput waits until baresip's stdout/stderr (stdio UI, e.g. a received
// MESSAGE as `sip:alice@127.0.0.1: "text"`) contains substr.
func (b *Baresip) WaitOutput(ctx context.Context, substr string) error {
	return b.proc.out.wait(ctx, b.proc.done, substr)
}

// Log returns baresip's output so far.
func (b *Baresip) Log() string { return b.proc.out.String() }

// Recordings returns the WAV files the sndfile module wrote, oldest first:
// received holds what the phone heard (*-dec.wav), sent what it sent
// (*-enc.wav). A recording is complete once its call has closed.
func (b *Baresip) Recordings() (received, sent []string, err error) {
	entries, err := os.ReadDir(b.RecordDir)
	if err != nil {
		return nil, nil, fmt.Errorf("interop: recordings: %w", err)
	}
	type rec struct {
		path string
		mod  time.Time
	}
	var dec, enc []rec
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		r := rec{filepath.Join(b.RecordDir, e.Name()), info.ModTime()}
		switch {
		case strings.HasSuffix(e.Name(), "-dec.wav"):
			dec = append(dec, r)
		case strings.HasSuffix(e.Name(), "-enc.wav"):
			enc = append(enc, r)
		}
	}
	paths := func(rs []rec) []string {
		sort.Slice(rs, func(i, j int) bool { return rs[i].mod.Before(rs[j].mod) })
		var out []string
		for _, r := range rs {
			out = append(out, r.path)
		}
		return out
	}
	return paths(dec), paths(enc), nil
}

// Stop stops baresip by PID (SIGTERM: it un-registers; SIGKILL after 5 s),
// then closes the control connection and stdin. Idempotent; the cleanup
// calls it.
func (b *Baresip) Stop() {
	b.proc.stop(defaultStopGrace)
	_ = b.BaresipCtrl.Close()
}
