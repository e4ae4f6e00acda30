package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teaphone/teaphone/sipcore/dialog"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// needSIPp returns the sipp path, skipping the test when it is missing
// (failing under CI=true).
func needSIPp(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("sipp not found (install the sip-tester package): %v", err)
		}
		t.Skipf("sipp not found (install the sip-tester package); skipping: %v", err)
	}
	return p
}

// freeUDPPort asks the kernel for a free loopback UDP port.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// sippRun is one running SIPp process.
type sippRun struct {
	cmd    *exec.Cmd
	dir    string
	out    bytes.Buffer
	done   chan struct{}
	err    error
	cancel context.CancelFunc
}

// startSIPp starts sipp in a temp dir with a hard time limit; the process
// is killed by PID (exec.CommandContext) if it outlives it, and on cleanup.
func startSIPp(t *testing.T, limit time.Duration, args ...string) *sippRun {
	t.Helper()
	bin := needSIPp(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	r := &sippRun{dir: t.TempDir(), done: make(chan struct{}), cancel: cancel}
	r.cmd = exec.CommandContext(ctx, bin, args...)
	r.cmd.Dir = r.dir
	r.cmd.Stdout = &r.out
	r.cmd.Stderr = &r.out
	r.cmd.WaitDelay = 5 * time.Second
	if err := r.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start sipp: %v", err)
	}
	go func() {
		defer close(r.done)
		r.err = r.cmd.Wait()
	}()
	t.Cleanup(func() {
		if r.cmd.Process != nil {
			_ = r.cmd.Process.Kill() // by PID; no-op when it has exited
		}
		<-r.done
		cancel()
	})
	return r
}

// wait waits for sipp to exit and returns its exit code.
func (r *sippRun) wait(t *testing.T) int {
	t.Helper()
	<-r.done
	var ee *exec.ExitError
	if errors.As(r.err, &ee) {
		return ee.ExitCode()
	}
	if r.err != nil {
		t.Fatalf("sipp: %v\n%s", r.err, r.out.String())
	}
	return 0
}

// stats reads the last (cumulative) row of the -trace_stat CSV.
func (r *sippRun) stats(t *testing.T) map[string]string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(r.dir, "*.csv"))
	if len(matches) == 0 {
		t.Fatalf("no sipp stat file in %s", r.dir)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		t.Fatalf("stat file has %d lines", len(lines))
	}
	head := strings.Split(lines[0], ";")
	last := strings.Split(lines[len(lines)-1], ";")
	out := map[string]string{}
	for i, h := range head {
		if i < len(last) {
			out[h] = last[i]
		}
	}
	return out
}

func (r *sippRun) errorLog() string {
	matches, _ := filepath.Glob(filepath.Join(r.dir, "*_errors.log"))
	var sb strings.Builder
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		if len(b) > 4000 {
			b = b[:4000]
		}
		sb.Write(b)
	}
	return sb.String()
}

func atoi(s string) int { n, _ := strconv.Atoi(strings.TrimSpace(s)); return n }

// TestSIPpUACAgainstOurUAS: `sipp -sn uac` places 100 calls at 50 calls/s
// to a UAS built on the transaction and dialog layers (180, 200, waits for
// ACK, answers BYE). Every call must succeed on both sides.
func TestSIPpUACAgainstOurUAS(t *testing.T) {
	needSIPp(t)
	const calls = 100
	var invites, acks, byes, noACK atomic.Int64
	// The handler reaches the Manager through an atomic: it runs on the
	// transport's goroutine, started before newStack returns.
	var mgr atomic.Pointer[dialog.Manager]
	uas := newStack(t, dialog.Config{
		Transaction: transaction.Config{Handler: func(s *transaction.Server) {
			req := s.Request()
			if req.Method != sip.MethodInvite {
				_ = s.Respond(sip.NewResponse(req, sip.StatusMethodNotAllowed, ""))
				return
			}
			invites.Add(1)
			d, err := mgr.Load().NewUAS(s)
			if err != nil {
				_ = s.Respond(sip.NewResponse(req, sip.StatusServerInternalError, ""))
				return
			}
			_ = d.Respond(s, d.NewResponse(req, sip.StatusRinging, ""))
			ok := d.NewResponse(req, sip.StatusOK, "")
			ok.SetContent("application/sdp", []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"))
			_ = d.Respond(s, ok)
		}},
		OnACK: func(*dialog.Dialog, *sip.Request) { acks.Add(1) },
		OnTerminate: func(_ *dialog.Dialog, reason error) {
			switch {
			case errors.Is(reason, dialog.ErrRemoteBye):
				byes.Add(1)
			case errors.Is(reason, dialog.ErrNoACK):
				noACK.Add(1)
			}
		},
	})
	mgr.Store(uas.m)
	defer uas.close()

	port := freeUDPPort(t)
	r := startSIPp(t, 90*time.Second, "-sn", "uac", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-s", "bob", "-m", strconv.Itoa(calls), "-r", "50", "-d", "100",
		"-nostdin", "-timeout", "60s", "-timeout_error",
		"-trace_stat", "-stf", "stats.csv", "-trace_err",
		uas.addr.String())
	code := r.wait(t)
	st := r.stats(t)
	t.Logf("sipp uac: exit %d, successful %s, failed %s, retransmissions %s; our UAS: %d INVITEs, %d ACKs, %d BYEs, %d no-ACK",
		code, st["SuccessfulCall(C)"], st["FailedCall(C)"], st["Retransmissions(C)"],
		invites.Load(), acks.Load(), byes.Load(), noACK.Load())
	if code != 0 {
		t.Errorf("sipp exit code %d, want 0\n%s\n%s", code, r.out.String(), r.errorLog())
	}
	if got := atoi(st["SuccessfulCall(C)"]); got != calls {
		t.Errorf("sipp successful calls %d, want %d", got, calls)
	}
	if got := atoi(st["FailedCall(C)"]); got != 0 {
		t.Errorf("sipp failed calls %d, want 0", got)
	}
	if invites.Load() != calls || acks.Load() != calls || byes.Load() != calls || noACK.Load() != 0 {
		t.Errorf("UAS saw %d INVITEs, %d ACKs, %d BYEs, %d no-ACK; want %d, %d, %d, 0",
			invites.Load(), acks.Load(), byes.Load(), noACK.Load(), calls, calls, calls)
	}
	if n := uas.m.Count(); n != 0 {
		t.Errorf("%d dialogs left", n)
	}
}

// TestOurUACAgainstSIPpUAS: our UAC places calls (INVITE → 180/200 → ACK
// → BYE → 200) to `sipp -sn uas`, which must count them all successful.
func TestOurUACAgainstSIPpUAS(t *testing.T) {
	needSIPp(t)
	const calls = 20
	port := freeUDPPort(t)
	r := startSIPp(t, 90*time.Second, "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-m", strconv.Itoa(calls), "-nostdin", "-timeout", "60s", "-timeout_error",
		"-trace_stat", "-stf", "stats.csv", "-trace_err")
	uac := newStack(t, dialog.Config{})
	defer uac.close()
	to := transaction.Target{Transport: "UDP", Addr: netipFrom(t, fmt.Sprintf("127.0.0.1:%d", port))}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var established, byeOK atomic.Int64
	errs := make(chan error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// SIPp may not be listening yet; Timer A retransmissions cover
			// that, and a call that still got nothing is retried (bounded).
			var o *dialog.Outgoing
			var final dialog.Response
			for attempt := 0; ; attempt++ {
				var err error
				o, err = uac.m.Invite(ctx, newInvite(port, uac.addr.Port()), to)
				if err != nil {
					errs <- fmt.Errorf("call %d: invite: %w", i, err)
					return
				}
				final = dialog.Response{}
				for resp := range o.Responses() {
					final = resp
				}
				if final.Msg != nil || attempt >= 20 || ctx.Err() != nil {
					break
				}
				select {
				case <-time.After(250 * time.Millisecond):
				case <-ctx.Done():
				}
			}
			if final.Msg == nil || final.Msg.StatusCode != 200 || final.Dialog == nil {
				errs <- fmt.Errorf("call %d: no 200 (err %v)", i, o.Err())
				return
			}
			established.Add(1)
			resp, err := final.Dialog.Bye(ctx)
			if err != nil || resp.StatusCode != 200 {
				errs <- fmt.Errorf("call %d: bye: %v %v", i, resp, err)
				return
			}
			byeOK.Add(1)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	code := r.wait(t)
	st := r.stats(t)
	t.Logf("our UAC: %d established, %d BYE 200; sipp uas: exit %d, successful %s, failed %s",
		established.Load(), byeOK.Load(), code, st["SuccessfulCall(C)"], st["FailedCall(C)"])
	if code != 0 {
		t.Errorf("sipp exit code %d, want 0\n%s\n%s", code, r.out.String(), r.errorLog())
	}
	if got := atoi(st["SuccessfulCall(C)"]); got != calls {
		t.Errorf("sipp successful calls %d, want %d", got, calls)
	}
	if n := uac.m.Count(); n != 0 {
		t.Errorf("%d dialogs left", n)
	}
}

func newInvite(sippPort int, ourPort uint16) *sip.Request {
	target := sip.URI{Scheme: "sip", User: "service", Host: "127.0.0.1", Port: sippPort}
	inv := sip.NewRequest(sip.MethodInvite, target)
	inv.SetFrom(sip.Address{DisplayName: "teaphone", URI: sip.URI{Scheme: "sip", User: "alice", Host: "127.0.0.1"}}.WithTag(sip.NewTag()))
	inv.SetTo(sip.Address{URI: target})
	inv.SetCallID(sip.NewCallID("127.0.0.1"))
	inv.SetCSeq(sip.CSeq{Seq: 1, Method: sip.MethodInvite})
	inv.SetContacts(sip.Address{URI: sip.URI{Scheme: "sip", User: "alice", Host: "127.0.0.1", Port: int(ourPort)}})
	inv.SetContent("application/sdp", []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6002 RTP/AVP 0\r\n"))
	return inv
}
