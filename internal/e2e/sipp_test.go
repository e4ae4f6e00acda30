package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// TestSIPpUACLoad: SIPp's built-in uac scenario places calls (each 200 ms
// long, then BYE) to an auto-answering agent; none fails, and the agent is
// still alive and idle afterwards. "load" is the 200 calls at 20
// per second (about four calls up at once); "one at a time" is the same
// with at most one call up (-l 1), a control that separates call handling
// from concurrency.
func TestSIPpUACLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		calls int
		extra []string
	}{
		{"load", 200, nil},
		{"one at a time", 30, []string{"-l", "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sippUAC(t, tc.calls, tc.extra)
		})
	}
}

func sippUAC(t *testing.T, calls int, extra []string) {
	a := StartAgent(t, AgentOptions{Args: append(directArgs("bob"), "-auto-answer")})
	a.Expect(t, 0, 10*time.Second, "ready", Is("ready"))
	args := append([]string{"-sn", "uac", "-s", "bob", "-m", fmt.Sprint(calls), "-r", "20", "-d", "200",
		"-timeout", "30s"}, extra...)
	res := interop.RunSIPp(t, append(args, a.listenAddr("udp"))...)
	if res.ExitCode != 0 || res.Stats.SuccessfulCall != calls || res.Stats.FailedCall != 0 {
		t.Errorf("sipp uac: exit %d, created %d, successful %d, failed %d; want 0, %d, %d, 0\nerrors:\n%s\n%s",
			res.ExitCode, res.Stats.TotalCallCreated, res.Stats.SuccessfulCall, res.Stats.FailedCall, calls, calls,
			tail(res.Errors, 20), tail(res.Output, 30))
	}
	t.Logf("sipp uac: %d calls, %d retransmissions, response time %v", res.Stats.SuccessfulCall, res.Stats.Retransmissions, res.Stats.ResponseTime1)
	// SIPp is done once it has the 200 to its last BYE; the agent's
	// "ended" event for that call may still be on its way.
	var incoming, waiting, answered, ended int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		incoming, waiting, answered, ended = 0, 0, 0, 0
		for _, e := range a.Events() {
			switch e.Name() {
			case "incoming":
				incoming++
				if e["waiting"] == true {
					waiting++
				}
			case "answered":
				answered++
			case "ended":
				ended++
			}
		}
		if (answered == calls && ended == calls) || time.Now().After(deadline) {
			break
		}
	}
	if answered != calls || ended != calls {
		t.Errorf("agent: %d incoming (%d waiting), %d answered, %d ended events; want %d answered and ended",
			incoming, waiting, answered, ended, calls)
	}
	if l, _ := a.MustCmd(t, "calls")["calls"].([]any); len(l) > 0 {
		t.Errorf("agent still has %d calls after the run, e.g. %v", len(l), l[0])
	}
}

// TestSIPpUAS: the agent dials SIPp's built-in uas scenario three times;
// each call is answered and ended by the agent's BYE.
func TestSIPpUAS(t *testing.T) {
	t.Parallel()
	a := StartAgent(t, AgentOptions{Args: directArgs("alice")})
	a.Expect(t, 0, 10*time.Second, "ready", Is("ready"))
	const calls = 3
	s := interop.StartSIPp(t, "-sn", "uas", "-m", fmt.Sprint(calls), "-timeout", "40s")
	for i := range calls {
		m := a.Mark()
		id := a.MustCmd(t, fmt.Sprintf("dial sip:service@127.0.0.1:%d", s.Port)).Str("call")
		a.Expect(t, m, 10*time.Second, fmt.Sprintf("call %d answered", i), Is("answered", "call", id))
		a.MustCmd(t, "hangup "+id)
		ev := a.Expect(t, m, 10*time.Second, fmt.Sprintf("call %d ended", i), Is("ended", "call", id))
		if ev.Int("code") != 200 {
			t.Errorf("call %d ended with %s, want code 200", i, ev)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	res := s.Wait(ctx)
	if res.ExitCode != 0 || res.Stats.SuccessfulCall != calls || res.Stats.FailedCall != 0 {
		t.Errorf("sipp uas: exit %d, successful %d, failed %d; want 0, %d, 0\nerrors:\n%s\n%s",
			res.ExitCode, res.Stats.SuccessfulCall, res.Stats.FailedCall, calls, tail(res.Errors, 40), tail(res.Output, 20))
	}
}
