package interop

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSIPpCallsBaresip: 10 SIPp calls (uac_auth.xml, 407 digest) through
// kamailio to an auto-answering baresip, none failed.
func TestSIPpCallsBaresip(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{})
	b := StartBaresip(t, BaresipOptions{User: "bob", Password: k.Password("bob"), Registrar: k.Addr})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
	res := RunSIPp(t, "-sf", SIPpScenario(t, "uac_auth.xml"), "-inf", k.SIPpUsersCSV(t, "alice"),
		"-s", "bob", "-m", "10", "-r", "10", "-l", "2", "-d", "200", "-timeout", "40s", k.Addr)
	if res.ExitCode != 0 || res.Stats.SuccessfulCall != 10 || res.Stats.FailedCall != 0 {
		t.Errorf("sipp: exit %d, successful %d, failed %d; want 0, 10, 0\nerrors: %s\n%s",
			res.ExitCode, res.Stats.SuccessfulCall, res.Stats.FailedCall, res.Errors, res.Output)
	}
	if res.Stats.ResponseTime1 <= 0 {
		t.Errorf("ResponseTime1 = %v, want > 0 (raw %q)", res.Stats.ResponseTime1, res.Stats.Raw["ResponseTime1(C)"])
	}
}

// TestSIPpMessageToBaresip: MESSAGE (RFC 3428) from SIPp with 407 auth
// through kamailio, shown by baresip.
func TestSIPpMessageToBaresip(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{QOP: true})
	b := StartBaresip(t, BaresipOptions{User: "bob", Password: k.Password("bob"), Registrar: k.Addr})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
	res := RunSIPp(t, "-sf", SIPpScenario(t, "message_auth.xml"), "-inf", k.SIPpUsersCSV(t, "alice"),
		"-s", "bob", "-m", "1", "-default_behaviors", "all,-bye", "-timeout", "10s", k.Addr)
	if res.ExitCode != 0 || res.Stats.SuccessfulCall != 1 {
		t.Fatalf("sipp MESSAGE: exit %d, successful %d; want 0, 1\nerrors: %s", res.ExitCode, res.Stats.SuccessfulCall, res.Errors)
	}
	if err := b.WaitOutput(ctx, "hello from sipp"); err != nil {
		t.Error(err)
	}
	// Unknown user: 404 from the proxy, SIPp exits 1.
	res = RunSIPp(t, "-sf", SIPpScenario(t, "message_auth.xml"), "-inf", k.SIPpUsersCSV(t, "alice"),
		"-s", "nobody", "-m", "1", "-default_behaviors", "all,-bye", "-timeout", "10s", k.Addr)
	if res.ExitCode != 1 || res.Stats.FailedCall != 1 {
		t.Errorf("MESSAGE to unknown user: exit %d, failed %d; want 1, 1", res.ExitCode, res.Stats.FailedCall)
	}
}

// TestPresence: baresip bob PUBLISHes (RFC 3903); a SIPp SUBSCRIBE as alice
// gets a NOTIFY with basic open (RFC 3856/3863), and baresip alice, watching
// bob, shows him online.
func TestPresence(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{})
	bob := StartBaresip(t, BaresipOptions{User: "bob", Password: k.Password("bob"), Registrar: k.Addr, PublishInterval: 60 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	if err := bob.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitPublished(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	res := RunSIPp(t, "-sf", SIPpScenario(t, "subscribe_auth.xml"), "-inf", k.SIPpUsersCSV(t, "alice"),
		"-s", "bob", "-m", "1", "-default_behaviors", "all,-bye", "-timeout", "10s", k.Addr)
	if res.ExitCode != 0 || res.Stats.SuccessfulCall != 1 {
		t.Errorf("sipp SUBSCRIBE bob: exit %d, successful %d; want 0, 1 (NOTIFY with basic open)\nerrors: %s",
			res.ExitCode, res.Stats.SuccessfulCall, res.Errors)
	}

	alice := StartBaresip(t, BaresipOptions{User: "alice", Password: k.Password("alice"), Registrar: k.Addr, Contacts: []string{"bob"}})
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		r, err := alice.Command(ctx, "contacts", "")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.Data, "Online") {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("alice never saw bob online; contacts: %q", r.Data)
		case <-tick.C:
		}
	}
}

// TestLinphonecAnswersBaresip: linphonec registers and auto-answers a call
// from baresip; the audio is checked in both directions.
func TestLinphonecAnswersBaresip(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{Users: append(DefaultUsers(), User{"frank", "frankpw"})})
	lp := StartLinphonec(t, LinphoneOptions{User: "frank", Password: "frankpw", Registrar: k.Addr, PlayWAV: ToneWAV(t, 880)})
	a := StartBaresip(t, BaresipOptions{User: "alice", Password: k.Password("alice"), Registrar: k.Addr, WAV: ToneWAV(t, 440)})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := k.WaitRegistered(ctx, "frank"); err != nil {
		t.Fatal(err)
	}
	if err := a.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Dial(ctx, "sip:frank@127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitEstablished(ctx); err != nil {
		t.Fatal(err)
	}
	select { // 2 s of audio
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitEvent(ctx, EventCallClosed); err != nil {
		t.Fatal(err)
	}
	checkRecording(t, a, 880, 440)
	if err := lp.WaitOutput(ctx, "ended"); err != nil {
		t.Logf("linphonec did not report the call end: %v", err)
	}
	res, err := ToneCheck(lp.RecordWAV, 440, 880)
	if err != nil {
		t.Fatal(err)
	}
	if res.Silent || res.Dominant != 440 {
		t.Errorf("linphonec received: dominant %v Hz (rms %.0f, %.1f s), want 440 Hz", res.Dominant, res.RMS, res.Seconds)
	}
}

// TestSvmapIdentifiesKamailio: sipvicious' svmap finds the server and its
// User-Agent.
func TestSvmapIdentifiesKamailio(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{})
	out, code := RunTool(t, 30*time.Second, "sipvicious", "svmap", "127.0.0.1", "-p", strconv.Itoa(k.Port),
		"-x", "127.0.0.1", "-P", strconv.Itoa(mustFreePorts(t, 1)))
	if code != 0 || !strings.Contains(out, "kamailio-ci") {
		t.Errorf("svmap: exit %d, output:\n%s\nwant exit 0 and kamailio-ci", code, out)
	}
}

// TestImpairedLink: ping across a link with 10% loss and 25 ms delay per
// direction shows loss and a 50 ms RTT; SIPp calls across a link with delay
// and jitter (no loss: SIPp's built-in uas aborts a call when a retransmitted
// INVITE arrives after its lost 200) all succeed and show the delay.
func TestImpairedLink(t *testing.T) {
	t.Parallel()
	const delay = 25 * time.Millisecond
	lossy := ImpairedLink(t, 10, delay, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	st, err := lossy.Ping(ctx, lossy.NSA, 60)
	if err != nil {
		t.Fatal(err)
	}
	// P(no loss in 60 round trips at 19% loss) < 1e-5.
	if st.Received == st.Sent || st.Received == 0 {
		t.Errorf("ping: %d/%d received, want some but not all (10%% loss each way)", st.Received, st.Sent)
	}
	// The minimum is the link's own delay; the average also carries the
	// scheduling noise of a busy machine.
	if lo, hi := 2*delay, 2*delay+30*time.Millisecond; st.MinRTT < lo || st.MinRTT > hi {
		t.Errorf("ping min RTT %v, want %v..%v (avg %v)", st.MinRTT, lo, hi, st.AvgRTT)
	}

	const jitter = 10 * time.Millisecond
	slow := ImpairedLink(t, 0, delay, jitter)
	uas := slow.StartSIPp(t, slow.NSB, "-sn", "uas", "-p", "5060", "-m", "10", "-timeout", "40s")
	res := slow.RunSIPp(t, slow.NSA, "-sn", "uac", "-s", "svc", "-m", "10", "-r", "10", "-d", "100", "-timeout", "40s", slow.AddrB+":5060")
	if res.ExitCode != 0 || res.Stats.SuccessfulCall != 10 {
		t.Errorf("sipp across the link: exit %d, successful %d, failed %d; want 0, 10, 0\n%s", res.ExitCode, res.Stats.SuccessfulCall, res.Stats.FailedCall, res.Errors)
	}
	// INVITE → 180 → 200: one round trip at least.
	if lo, hi := 2*delay, 2*(delay+jitter)+200*time.Millisecond; res.Stats.ResponseTime1 < lo || res.Stats.ResponseTime1 > hi {
		t.Errorf("INVITE response time %v, want %v..%v", res.Stats.ResponseTime1, lo, hi)
	}
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if r := uas.Wait(wctx); r.ExitCode != 0 || r.Stats.SuccessfulCall != 10 {
		t.Errorf("sipp uas: exit %d, successful %d; want 0, 10\n%s", r.ExitCode, r.Stats.SuccessfulCall, r.Errors)
	}
	t.Logf("ping %+v; sipp INVITE response %v, retransmissions %d", st, res.Stats.ResponseTime1, res.Stats.Retransmissions)
}

// TestCallAcrossImpairedLink: kamailio and baresip bob in one namespace,
// baresip alice in the other, 3% loss and 20±5 ms delay each way between
// them; the call carries each side's tone to the other.
func TestCallAcrossImpairedLink(t *testing.T) {
	t.Parallel()
	l := ImpairedLink(t, 3, 20*time.Millisecond, 5*time.Millisecond)
	k := StartKamailio(t, KamailioOptions{Netns: l.NSB, ListenIP: l.AddrB})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if code, err := k.Ping(ctx, "tls"); err != nil || code != 200 {
		t.Fatalf("OPTIONS over TLS inside %s = %d, %v; want 200", l.NSB, code, err)
	}
	bob := StartBaresip(t, BaresipOptions{User: "bob", Password: k.Password("bob"), Registrar: k.Addr,
		Netns: l.NSB, ListenIP: l.AddrB, WAV: ToneWAV(t, 880)})
	alice := StartBaresip(t, BaresipOptions{User: "alice", Password: k.Password("alice"), Registrar: k.Addr,
		Netns: l.NSA, ListenIP: l.AddrA, WAV: ToneWAV(t, 440)})
	for _, p := range []*Baresip{alice, bob} {
		if err := p.WaitRegistered(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.Dial(ctx, "sip:bob@"+l.AddrB); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Baresip{alice, bob} {
		if _, err := p.WaitEstablished(ctx); err != nil {
			t.Fatal(err)
		}
	}
	select { // 2 s of audio
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if err := alice.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Baresip{alice, bob} {
		if _, err := p.WaitEvent(ctx, EventCallClosed); err != nil {
			t.Fatalf("%s: %v", p.User, err)
		}
	}
	checkRecording(t, alice, 880, 440)
	checkRecording(t, bob, 440, 880)
}

// TestBaresipManualAnswer: with answermode manual an incoming call rings
// until Accept, then completes; a SIPp CANCEL while bob rings ends with 487
// (uac_cancel_auth.xml). Accept comes first: baresip 1.0.0's accept answers a
// stale call object after an incoming call was cancelled.
func TestBaresipManualAnswer(t *testing.T) {
	t.Parallel()
	k := StartKamailio(t, KamailioOptions{})
	bob := StartBaresip(t, BaresipOptions{User: "bob", Password: k.Password("bob"), Registrar: k.Addr, AnswerMode: "manual"})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := bob.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
	csv := k.SIPpUsersCSV(t, "alice")
	uac := StartSIPp(t, "-sf", SIPpScenario(t, "uac_auth.xml"), "-inf", csv, "-s", "bob", "-m", "1", "-d", "200", "-timeout", "15s", k.Addr)
	if _, err := bob.WaitEvent(ctx, EventCallIncoming); err != nil {
		t.Fatal(err)
	}
	if err := bob.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitEstablished(ctx); err != nil {
		t.Fatal(err)
	}
	if r := uac.Wait(ctx); r.ExitCode != 0 || r.Stats.SuccessfulCall != 1 {
		t.Errorf("accepted call: exit %d, successful %d; want 0, 1\n%s", r.ExitCode, r.Stats.SuccessfulCall, r.Errors)
	}
	if _, err := bob.WaitEvent(ctx, EventCallClosed); err != nil {
		t.Fatal(err)
	}

	res := RunSIPp(t, "-sf", SIPpScenario(t, "uac_cancel_auth.xml"), "-inf", csv, "-s", "bob", "-m", "1", "-timeout", "15s", k.Addr)
	if res.ExitCode != 0 || res.Stats.SuccessfulCall != 1 {
		t.Errorf("CANCEL while ringing: exit %d, successful %d; want 0, 1\n%s", res.ExitCode, res.Stats.SuccessfulCall, res.Errors)
	}
	if _, err := bob.WaitEvent(ctx, EventCallClosed); err != nil {
		t.Errorf("bob after CANCEL: %v", err)
	}
}
