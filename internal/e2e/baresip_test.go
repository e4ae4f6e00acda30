package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// TestBaresip: baresip (alice, auto-answer, playing 440 Hz) and a teaphone
// agent (bob, playing 880 Hz) registered at Kamailio. teaphone calls
// baresip and baresip calls teaphone; each side's recording holds the
// other's tone; DTMF and MESSAGE go both ways.
func TestBaresip(t *testing.T) {
	t.Parallel()
	k := interop.StartKamailio(t, interop.KamailioOptions{})
	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Password: k.Password("alice"),
		Registrar: k.Addr, Contacts: []string{"bob"}, WAV: interop.ToneWAV(t, 440)})
	rx := filepath.Join(t.TempDir(), "bob-rx.wav")
	bob := StartAgent(t, AgentOptions{Args: append(kamailioArgs(k, "bob", k.Password("bob"), "udp"),
		"-audio", "tone:880,"+rx, "-codecs", "PCMU,PCMA")})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if err := b.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
	bob.Expect(t, 0, 20*time.Second, "register", Is("registered"))

	t.Run("teaphone calls baresip", func(t *testing.T) {
		m := bob.Mark()
		bob.MustCmd(t, "dial sip:alice@127.0.0.1")
		bob.Expect(t, m, 15*time.Second, "answered", Is("answered"))
		if _, err := b.WaitEstablished(ctx); err != nil {
			t.Fatal(err)
		}
		// DTMF teaphone → baresip (RFC 4733): CALL_DTMF_START per digit.
		bob.MustCmd(t, "dtmf 42*")
		var got strings.Builder
		for got.Len() < 3 {
			dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
			e, err := b.WaitEventFunc(dctx, func(e interop.BaresipEvent) bool { return e.Type == "CALL_DTMF_START" })
			dcancel()
			if err != nil {
				t.Fatalf("baresip saw DTMF %q, want %q: %v", got.String(), "42*", err)
			}
			got.WriteString(e.Param)
		}
		if got.String() != "42*" {
			t.Errorf("baresip saw DTMF %q, want %q", got.String(), "42*")
		}
		waitAudio(t, rx, 2*time.Second)
		m = bob.Mark()
		bob.MustCmd(t, "hangup")
		bob.Expect(t, m, 10*time.Second, "ended", Is("ended"))
		if _, err := b.WaitEventFunc(ctx, func(e interop.BaresipEvent) bool { return e.Type == interop.EventCallClosed }); err != nil {
			t.Fatal(err)
		}
		expectTone(t, rx, 440, 880)
		expectBaresipHeard(t, b, 880, 440)
	})

	t.Run("baresip calls teaphone", func(t *testing.T) {
		m := bob.Mark()
		if err := b.Dial(ctx, "sip:bob@127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		in := bob.Expect(t, m, 15*time.Second, "incoming", Is("incoming"))
		bob.MustCmd(t, "answer "+in.Str("call"))
		bob.Expect(t, m, 15*time.Second, "answered", Is("answered"))
		if _, err := b.WaitEstablished(ctx); err != nil {
			t.Fatal(err)
		}
		// DTMF baresip → teaphone.
		m = bob.Mark()
		for _, d := range []string{"7", "#"} {
			if r, err := b.Command(ctx, "sndcode", d); err != nil || !r.OK {
				t.Fatalf("baresip sndcode %s: %v %+v", d, err, r)
			}
		}
		expectDigits(t, bob, m, "7#")
		waitAudio(t, rx, 2*time.Second)
		if err := b.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		bob.Expect(t, m, 10*time.Second, "ended", Is("ended"))
		expectTone(t, rx, 440, 880)
		expectBaresipHeard(t, b, 880, 440)
	})

	t.Run("message both ways", func(t *testing.T) {
		m := bob.Mark()
		id := bob.MustCmd(t, "message sip:alice@127.0.0.1 hello baresip").Str("message")
		bob.Expect(t, m, 15*time.Second, "message_delivered", Is("message_delivered", "id", id))
		if err := b.WaitOutput(ctx, "hello baresip"); err != nil {
			t.Error(err)
		}
		if err := b.Message(ctx, "hello teaphone"); err != nil {
			t.Fatal(err)
		}
		bob.Expect(t, m, 15*time.Second, "message from baresip", Is("message", "body", "hello teaphone"))
	})
}

// expectBaresipHeard checks baresip's newest received-audio recording.
func expectBaresipHeard(tb testing.TB, b *interop.Baresip, want, other float64) {
	tb.Helper()
	received, _, err := b.Recordings()
	if err != nil || len(received) == 0 {
		tb.Errorf("baresip recordings: %v, %v", received, err)
		return
	}
	expectTone(tb, received[len(received)-1], want, other)
}
