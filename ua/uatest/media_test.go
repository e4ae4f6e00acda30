package uatest

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/teaphone/teaphone/ua"
)

type nopNotifier struct{}

func (nopNotifier) DTMF(rune, time.Duration) {}
func (nopNotifier) Inactive(time.Duration)   {}

func TestFakeMediaOfferAnswer(t *testing.T) {
	a := &Media{}
	b := &Media{Codec: "PCMA/8000"}
	sa, _ := a.NewSession(ua.MediaConfig{CallID: "c1", Local: netip.MustParseAddr("192.0.2.1")}, nopNotifier{})
	sb, _ := b.NewSession(ua.MediaConfig{CallID: "c1", Local: netip.MustParseAddr("192.0.2.2")}, nopNotifier{})
	offer, err := sa.Offer()
	if err != nil || !strings.Contains(string(offer), "a=rtpmap:0 PCMU/8000") || !strings.Contains(string(offer), "c=IN IP4 192.0.2.1") {
		t.Fatalf("offer = %q, %v", offer, err)
	}
	if _, err := sb.Answer(offer); err == nil {
		t.Error("PCMA-only session answered a PCMU offer")
	}
	sc, _ := a.NewSession(ua.MediaConfig{CallID: "c2"}, nopNotifier{})
	ans, err := sc.Answer(offer)
	if err != nil || !strings.Contains(string(ans), "a=sendrecv") {
		t.Fatalf("answer = %q, %v", ans, err)
	}
	if err := sa.Accept(ans); err != nil {
		t.Fatal(err)
	}
	if i := sa.Info(); i.Codec != "PCMU/8000" || i.RemoteHold || !i.DTMF {
		t.Errorf("info = %+v", i)
	}
	// hold: sendonly offer, recvonly answer, the holder is not held
	sa.SetHold(true)
	offer, _ = sa.Offer()
	ans, _ = sc.Answer(offer)
	if !strings.Contains(string(offer), "a=sendonly") || !strings.Contains(string(ans), "a=recvonly") {
		t.Errorf("hold offer/answer:\n%s\n%s", offer, ans)
	}
	if !sc.Info().RemoteHold {
		t.Error("answerer does not see remote hold")
	}
	if err := sa.Accept(ans); err != nil || sa.Info().RemoteHold {
		t.Errorf("holder sees remote hold: %v", err)
	}
	if err := sa.SendDTMF('5', 100*time.Millisecond); err != nil || a.Session("c1").DTMFSent() != "5" {
		t.Errorf("dtmf: %v", err)
	}
}
