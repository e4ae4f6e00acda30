package tuie2e

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// closedPort returns a loopback port (TCP or UDP) nothing listens on: it
// was free a moment ago and is closed again.
func closedPort(t *testing.T, network string) int {
	t.Helper()
	var port int
	switch network {
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	default:
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
	}
	return port
}

func writeConfig(t *testing.T, d dirs, text string) string {
	t.Helper()
	path := filepath.Join(d.config, "teaphone", "config.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRegistrationFailureShown: with a configuration (found in
// $XDG_CONFIG_HOME, no flag) whose registrar is a closed loopback port, the
// TUI starts (no demo) and the header shows the account failed, with the
// reason in the status line, within one 10 s step.
//
// Over TCP the connection is refused at once. Over UDP the kernel answers
// with ICMP port unreachable, which RFC 3261 §18.4 says SHOULD be reported
// to the transport user; teaphone does not read ICMP errors yet, so the
// failure shows when Timer F (64·T1 = 32 s) expires, as "no response".
func TestRegistrationFailureShown(t *testing.T) {
	for _, c := range []struct {
		transport, kind string
		wait            time.Duration
	}{
		{"tcp", "network", stepTimeout},
		{"udp", "no response", 32*time.Second + stepTimeout},
	} {
		t.Run(c.transport, func(t *testing.T) {
			requireTmux(t)
			d := newDirs(t)
			writeConfig(t, d, fmt.Sprintf(`[network]
listen = ["%s:127.0.0.1:0"]

[[account]]
name      = "work"
user      = "alice"
domain    = "127.0.0.1"
registrar = "sip:127.0.0.1:%d"
transport = "%s"
`, c.transport, closedPort(t, c.transport), c.transport))
			s := startTUI(t, tuiOptions{args: []string{"-audio", "null"}, dirs: &d})
			scr := s.waitFor("the registration failure in the header", c.wait, func(scr string) bool {
				return strings.Contains(lineWith(scr, "teaphone"), "work: failed")
			})
			header := lineWith(scr, "teaphone")
			if want := "work: failed (" + c.kind + ")"; !strings.Contains(header, want) {
				t.Errorf("header = %q, want %q", header, want)
			}
			if strings.Contains(scr, "Echo") || strings.Contains(header, "demo") {
				t.Errorf("a configuration was given but the demo runs:\n%s", scr)
			}
			if st := statusRow(scr); !strings.HasPrefix(st, "work: ") {
				t.Errorf("status line = %q, want the account's failure reason", st)
			}
			s.keys("q")
			if rc, _ := s.waitExit(exitTimeout); rc != "0" {
				t.Errorf("exit status = %s, want 0", rc)
			}
			checkRestored(t, s)
		})
	}
}

// TestBadConfigFailsBeforeTUI: a configuration mistake stops teaphone with
// one line on stderr naming file:line: key, a non-zero status, and nothing
// on stdout (no TUI was started). Runs without tmux.
func TestBadConfigFailsBeforeTUI(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string // parts of the one error line
	}{
		{"bad value", `[general]
log_level = "info"

[[account]]
name      = "work"
user      = "alice"
domain    = "127.0.0.1"
transport = "sctp"
`, []string{"config.toml:8:", "transport", `"sctp"`}},
		{"unknown key", `[general]
log_levl = "debug"
`, []string{"config.toml:2:", "log_levl", "unknown key"}},
		{"syntax error", `[general
log_level = "info"
`, []string{"config.toml:1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDirs(t)
			path := writeConfig(t, d, c.text)
			for _, args := range [][]string{{"-audio", "null"}, {"-config", path, "-audio", "null"}} {
				stdout, stderr, rc := runBinary(t, d, args...)
				if rc == 0 {
					t.Errorf("%v: exit status 0, want non-zero", args)
				}
				if stdout != "" {
					t.Errorf("%v: stdout = %q, want nothing (no TUI before the config is good)", args, stdout)
				}
				msg := strings.TrimRight(stderr, "\n")
				if strings.Count(msg, "\n") != 0 {
					t.Errorf("%v: stderr has %d lines, want one:\n%s", args, strings.Count(msg, "\n")+1, msg)
				}
				for _, w := range c.want {
					if !strings.Contains(msg, w) {
						t.Errorf("%v: stderr = %q, want it to contain %q", args, msg, w)
					}
				}
			}
		})
	}
}

// runBinary runs teaphone without a terminal, bounded in time.
func runBinary(t *testing.T, d dirs, args ...string) (stdout, stderr string, rc int) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), d.env()...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			rc = ee.ExitCode()
		default:
			t.Fatal(err)
		}
	case <-time.After(stepTimeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("teaphone %v still running after %v", args, stepTimeout)
	}
	return out.String(), errb.String(), rc
}
