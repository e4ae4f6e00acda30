package interop

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestBaresipRegisters(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{QOP: true})
	for _, tc := range []struct{ user, transport, registrar, ca string }{
		{"alice", "udp", k.Addr, ""},
		{"bob", "tcp", k.Addr, ""},
		{"carol", "tls", k.TLSAddr, k.CAFile},
	} {
		b := StartBaresip(t, BaresipOptions{User: tc.user, Password: k.Password(tc.user),
			Registrar: tc.registrar, Transport: tc.transport, CAFile: tc.ca})
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		contacts, err := k.WaitRegistered(ctx, tc.user)
		cancel()
		if err != nil {
			t.Fatalf("%s over %s: %v", tc.user, tc.transport, err)
		}
		if len(contacts) != 1 || (tc.transport != "udp" && !strings.Contains(strings.ToLower(contacts[0]), "transport="+tc.transport)) {
			t.Errorf("Lookup(%s) = %v, want one %s contact", tc.user, contacts, tc.transport)
		}
		ctx, cancel = context.WithTimeout(t.Context(), 10*time.Second)
		if err := b.WaitRegistered(ctx); err != nil {
			t.Error(err)
		}
		cancel()
	}
}

// TestBaresipDirect: SIPp's built-in uac calls a baresip that has no
// registrar at its contact address; baresip auto-answers every call.
func TestBaresipDirect(t *testing.T) {
	t.Parallel()
	b := StartBaresip(t, BaresipOptions{User: "dave"})
	res := RunSIPp(t, "-sn", "uac", "-s", "dave", "-m", "3", "-r", "5", "-l", "1", "-d", "200", "-timeout", "20s",
		"127.0.0.1:"+strconv.Itoa(b.SIPPort))
	if res.ExitCode != 0 || res.Stats.SuccessfulCall != 3 {
		t.Errorf("sipp uac -> baresip direct: exit %d, successful %d; want 0, 3\n%s", res.ExitCode, res.Stats.SuccessfulCall, res.Errors)
	}
}

// TestBaresipCallThroughKamailio: A (440 Hz) calls B (880 Hz) through the
// proxy with 407 auth; each side's recording must hold the other's tone.
func TestBaresipCallThroughKamailio(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{})
	a := StartBaresip(t, BaresipOptions{User: "alice", Password: k.Password("alice"), Registrar: k.Addr, WAV: ToneWAV(t, 440)})
	b := StartBaresip(t, BaresipOptions{User: "bob", Password: k.Password("bob"), Registrar: k.Addr, WAV: ToneWAV(t, 880)})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, p := range []*Baresip{a, b} {
		if err := p.WaitRegistered(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Dial(ctx, "sip:bob@127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Baresip{a, b} {
		if _, err := p.WaitEstablished(ctx); err != nil {
			t.Fatalf("%s: %v", p.User, err)
		}
	}
	// Let audio flow: wait for 2 s of RTP (bounded by the timer, not a sleep
	// for synchronisation: nothing else signals "enough audio").
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Baresip{a, b} {
		if _, err := p.WaitEvent(ctx, EventCallClosed); err != nil {
			t.Fatalf("%s: %v", p.User, err)
		}
	}
	checkRecording(t, a, 880, 440)
	checkRecording(t, b, 440, 880)
}

// checkRecording asserts that p's newest received recording holds want
// rather than other, and is not silent.
func checkRecording(t *testing.T, p *Baresip, want, other float64) {
	t.Helper()
	rx, _, err := p.Recordings()
	if err != nil || len(rx) == 0 {
		t.Fatalf("%s recordings: %v, %v", p.User, rx, err)
	}
	res, err := ToneCheck(rx[len(rx)-1], want, other)
	if err != nil {
		t.Fatalf("%s: %v", p.User, err)
	}
	t.Logf("%s received %.1f s, rms %.0f, power %v", p.User, res.Seconds, res.RMS, res.Power)
	if res.Silent || res.Dominant != want {
		t.Errorf("%s received: dominant %v Hz (rms %.0f, power %v, %.1f s), want %v Hz not silent", p.User, res.Dominant, res.RMS, res.Power, res.Seconds, want)
	}
}
