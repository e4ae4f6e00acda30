package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// listenOn rewrites the -listen flags of args to bind ip instead of
// 127.0.0.1.
func listenOn(args []string, ip string) []string {
	out := append([]string(nil), args...)
	for i := 1; i < len(out); i++ {
		if out[i-1] == "-listen" {
			out[i] = strings.Replace(out[i], "127.0.0.1:", ip+":", 1)
		}
	}
	return out
}

// TestImpairedLink: two network namespaces joined by a link with 10% loss
// each way and 50±10 ms delay. Kamailio and bob (auto-answer, 880 Hz) run
// in one namespace, alice (440 Hz) in the other. Ten times over, a fresh
// alice registers across the link, calls bob (audio both ways across the
// link), sends him a MESSAGE, hangs up and quits: 10 out of 10 must
// succeed.
func TestImpairedLink(t *testing.T) {
	t.Parallel()
	l := interop.ImpairedLink(t, 10, 50*time.Millisecond, 10*time.Millisecond)
	pctx, pcancel := context.WithTimeout(t.Context(), 20*time.Second)
	ps, err := l.Ping(pctx, l.NSA, 40)
	pcancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("link: %d/%d pings answered, rtt min/avg/max %v/%v/%v", ps.Received, ps.Sent, ps.MinRTT, ps.AvgRTT, ps.MaxRTT)
	if ps.MinRTT < 80*time.Millisecond {
		t.Fatalf("link round trip %v, want ≥ 80 ms (2 × (50 ± 10) ms): the delay is not applied", ps.MinRTT)
	}
	k := interop.StartKamailio(t, interop.KamailioOptions{Netns: l.NSB, ListenIP: l.AddrB})
	dir := t.TempDir()
	bobRx := filepath.Join(dir, "bob-rx.wav")
	bob := StartAgent(t, AgentOptions{Netns: l.NSB, Args: append(listenOn(kamailioArgs(k, "bob", k.Password("bob"), "udp"), l.AddrB),
		"-audio", "tone:880,"+bobRx, "-auto-answer")})
	bob.Expect(t, 0, 30*time.Second, "bob registered", Is("registered"))

	const rounds = 10
	ok := 0
	for i := range rounds {
		if t.Run(fmt.Sprintf("round %d", i), func(t *testing.T) {
			aliceRx := filepath.Join(dir, fmt.Sprintf("alice-rx-%d.wav", i))
			alice := StartAgent(t, AgentOptions{Name: fmt.Sprintf("alice%d", i), Netns: l.NSA,
				Args: append(listenOn(kamailioArgs(k, "alice", k.Password("alice"), "udp"), l.AddrA), "-audio", "tone:440,"+aliceRx)})
			alice.Expect(t, 0, 30*time.Second, "registered across the link", Is("registered"))
			mb := bob.Mark()
			call := alice.MustCmd(t, "dial sip:bob@"+k.IP).Str("call")
			alice.Expect(t, 0, 30*time.Second, "answered", Is("answered", "call", call))
			bob.Expect(t, mb, 30*time.Second, "bob answered", Is("answered"))
			text := fmt.Sprintf("round %d over a lossy link", i)
			id := alice.MustCmd(t, "message sip:bob@"+k.IP+" "+text).Str("message")
			alice.Expect(t, 0, 30*time.Second, "message_delivered", Is("message_delivered", "id", id))
			bob.Expect(t, mb, 30*time.Second, "message", Is("message", "body", text))
			waitAudio(t, aliceRx, 2*time.Second)
			alice.MustCmd(t, "hangup")
			alice.Expect(t, 0, 30*time.Second, "ended", Is("ended", "call", call))
			bob.Expect(t, mb, 30*time.Second, "bob ended", Is("ended"))
			expectTone(t, aliceRx, 880, 440)
			expectTone(t, bobRx, 440, 880)
			alice.Stop()
		}) {
			ok++
		}
	}
	if ok != rounds {
		t.Errorf("%d of %d rounds succeeded across the impaired link, want %d", ok, rounds, rounds)
	}
}
