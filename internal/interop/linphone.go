package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// LinphoneOptions configures StartLinphonec.
type LinphoneOptions struct {
	User     string // default "frank"
	Password string
	// Registrar is "127.0.0.1:PORT" (UDP) to register there; "" means no
	// proxy: the phone is reached directly at ContactURI().
	Registrar string
	PlayWAV   string // played as the microphone; default a 880 Hz tone
	RecordWAV string // received audio; default DIR/rx.wav
	// ManualAnswer leaves incoming calls ringing (answer with Answer);
	// the default is auto-answer.
	ManualAnswer bool
}

// Linphonec is a running headless linphonec driven through its stdin.
type Linphonec struct {
	Dir       string
	SIPPort   int
	RTPPort   int
	RecordWAV string
	User      string

	proc *process
}

// StartLinphonec writes a linphonerc (scripts/interop/linphone/make-linphonerc.sh)
// with a writable HOME (without one the core never starts) and starts
// linphonec with a stdin pipe, then switches it to file audio ("soundcard
// use files": play/record only work in that mode), sets the play and record
// files and auto-answer, and returns once it confirmed the last command.
func StartLinphonec(tb testing.TB, opts LinphoneOptions) *Linphonec {
	tb.Helper()
	requireTool(tb, "linphonec", "linphone-cli")
	if opts.User == "" {
		opts.User = "frank"
	}
	if opts.PlayWAV == "" {
		opts.PlayWAV = ToneWAV(tb, 880)
	}
	gen := filepath.Join(scriptsDir(tb), "linphone", "make-linphonerc.sh")
	var lastErr error
	for attempt := range 5 {
		l, err := startLinphonecOnce(tb, gen, opts, attempt)
		if err == nil {
			return l
		}
		lastErr = err
		if !errors.Is(err, errBind) {
			break
		}
		tb.Logf("interop: linphonec attempt %d: %v; retrying on other ports", attempt+1, err)
	}
	tb.Fatalf("interop: start linphonec %s: %v", opts.User, lastErr)
	return nil
}

func startLinphonecOnce(tb testing.TB, gen string, opts LinphoneOptions, attempt int) (*Linphonec, error) {
	sipPort := mustFreePorts(tb, 1)
	rtpPort := mustFreeMediaPorts(tb, 4)
	dir := filepath.Join(tb.TempDir(), fmt.Sprintf("linphone-%s-%d", opts.User, attempt))
	rec := opts.RecordWAV
	if rec == "" {
		rec = filepath.Join(dir, "rx.wav")
	}
	reg := opts.Registrar
	if reg == "" {
		reg = "none"
	}
	gcmd := exec.Command(gen, dir, opts.User, opts.Password, strconv.Itoa(sipPort), strconv.Itoa(rtpPort), reg)
	if out, err := gcmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("make-linphonerc.sh: %w: %s", err, out)
	}
	cmd := exec.Command("linphonec", "-c", filepath.Join(dir, "linphonerc"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+filepath.Join(dir, "home"))
	p, err := startProcess("linphonec "+opts.User, cmd, filepath.Join(dir, "linphonec.log"), true)
	if err != nil {
		return nil, err
	}
	l := &Linphonec{Dir: dir, SIPPort: sipPort, RTPPort: rtpPort, RecordWAV: rec, User: opts.User, proc: p}
	cmds := []string{"soundcard use files", "play " + opts.PlayWAV, "record " + rec}
	ready := "linphonec> record"
	if !opts.ManualAnswer {
		cmds = append(cmds, "autoanswer enable")
		ready = "Auto answer enabled."
	}
	for _, c := range cmds {
		if err := p.writeLine(c); err != nil {
			p.stop(defaultStopGrace)
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultStartTimeout)
	defer cancel()
	if err := p.out.wait(ctx, p.done, ready); err != nil {
		out := p.out.tail(15)
		p.stop(defaultStopGrace)
		if strings.Contains(out, "Address already in use") {
			return nil, fmt.Errorf("%w: %s", errBind, out)
		}
		return nil, fmt.Errorf("%w: %s", err, out)
	}
	tb.Cleanup(l.Stop)
	p.logOnFailure(tb)
	return l, nil
}

// PID is linphonec's process ID.
func (l *Linphonec) PID() int { return l.proc.pid() }

// ContactURI is the address that reaches this phone directly.
func (l *Linphonec) ContactURI() string {
	return fmt.Sprintf("sip:%s@127.0.0.1:%d", l.User, l.SIPPort)
}

// Command writes one linphonec command line ("call sip:..", "terminate",
// "answer", "chat sip:.. text", "calls", ...).
func (l *Linphonec) Command(line string) error { return l.proc.writeLine(line) }

// Call places a call to uri.
func (l *Linphonec) Call(uri string) error { return l.Command("call " + uri) }

// Terminate hangs up the current call.
func (l *Linphonec) Terminate() error { return l.Command("terminate") }

// Answer answers the ringing incoming call.
func (l *Linphonec) Answer() error { return l.Command("answer") }

// WaitOutput waits until linphonec's output contains substr, e.g.
// "connected." for an established call or "ended" for its end.
func (l *Linphonec) WaitOutput(ctx context.Context, substr string) error {
	return l.proc.out.wait(ctx, l.proc.done, substr)
}

// Log returns linphonec's output so far.
func (l *Linphonec) Log() string { return l.proc.out.String() }

// Stop sends "quit", then stops linphonec by PID (SIGTERM after 3 s,
// SIGKILL 5 s later). Idempotent; the cleanup calls it.
func (l *Linphonec) Stop() {
	if !l.proc.exited() && l.proc.writeLine("quit") == nil {
		select {
		case <-l.proc.done:
		case <-time.After(3 * time.Second):
		}
	}
	l.proc.stop(defaultStopGrace)
}
