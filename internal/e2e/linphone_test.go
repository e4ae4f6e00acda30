package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// directArgs are the flags of a direct-IP agent (no registrar) on loopback.
func directArgs(user string) []string {
	return []string{"-user", user, "-domain", "127.0.0.1", "-no-register",
		"-listen", "udp:127.0.0.1:0", "-trace"}
}

// TestLinphonec: one call each way between a teaphone agent (440 Hz) and
// linphonec (880 Hz), direct over UDP; each recording holds the other
// side's tone.
func TestLinphonec(t *testing.T) {
	t.Parallel()
	t.Run("teaphone calls linphonec", func(t *testing.T) {
		t.Parallel()
		l := interop.StartLinphonec(t, interop.LinphoneOptions{User: "frank"})
		rx := filepath.Join(t.TempDir(), "rx.wav")
		a := StartAgent(t, AgentOptions{Args: append(directArgs("bob"), "-audio", "tone:440,"+rx)})
		a.Expect(t, 0, 10*time.Second, "ready", Is("ready"))
		m := a.Mark()
		a.MustCmd(t, "dial "+l.ContactURI())
		a.Expect(t, m, 20*time.Second, "answered", Is("answered"))
		waitAudio(t, rx, 3*time.Second)
		a.MustCmd(t, "hangup")
		a.Expect(t, m, 10*time.Second, "ended", Is("ended"))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if err := l.WaitOutput(ctx, "ended"); err != nil {
			t.Error(err)
		}
		expectTone(t, rx, 880, 440)
		expectTone(t, l.RecordWAV, 440, 880)
	})
	t.Run("linphonec calls teaphone", func(t *testing.T) {
		t.Parallel()
		l := interop.StartLinphonec(t, interop.LinphoneOptions{User: "grace"})
		rx := filepath.Join(t.TempDir(), "rx.wav")
		a := StartAgent(t, AgentOptions{Args: append(directArgs("bob"), "-audio", "tone:440,"+rx)})
		a.Expect(t, 0, 10*time.Second, "ready", Is("ready"))
		m := a.Mark()
		if err := l.Call("sip:bob@" + a.listenAddr("udp")); err != nil {
			t.Fatal(err)
		}
		in := a.Expect(t, m, 20*time.Second, "incoming", Is("incoming"))
		a.MustCmd(t, "answer "+in.Str("call"))
		a.Expect(t, m, 10*time.Second, "answered", Is("answered"))
		waitAudio(t, rx, 3*time.Second)
		if err := l.Terminate(); err != nil {
			t.Fatal(err)
		}
		a.Expect(t, m, 10*time.Second, "ended", Is("ended"))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		if err := l.WaitOutput(ctx, "ended"); err != nil {
			t.Error(err)
		}
		expectTone(t, rx, 880, 440)
		expectTone(t, l.RecordWAV, 440, 880)
	})
}
