package ua_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

func TestHoldResumeBothWays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		aid, bid := connect(t, alice, bob)

		must(t, alice.a.Hold(bg, aid, true))
		if c := bob.wantCall(ua.CallActive); !c.RemoteHold || c.LocalHold {
			t.Errorf("bob after alice holds: %+v", c)
		}
		if c := alice.wantCall(ua.CallActive); !c.LocalHold || c.RemoteHold {
			t.Errorf("alice after hold: %+v", c)
		}
		// bob holds too: both sides show both flags
		must(t, bob.a.Hold(bg, bid, true))
		if c := alice.wantCall(ua.CallActive); !c.LocalHold || !c.RemoteHold {
			t.Errorf("alice after bob holds: %+v", c)
		}
		if c := bob.wantCall(ua.CallActive); !c.LocalHold || !c.RemoteHold {
			t.Errorf("bob after hold: %+v", c)
		}
		must(t, alice.a.Hold(bg, aid, false))
		if c := bob.wantCall(ua.CallActive); c.RemoteHold || !c.LocalHold {
			t.Errorf("bob after alice resumes: %+v", c)
		}
		if c := alice.wantCall(ua.CallActive); c.LocalHold || !c.RemoteHold {
			t.Errorf("alice after resume: %+v", c)
		}
		must(t, bob.a.Hold(bg, bid, false))
		alice.wantCall(ua.CallActive)
		if c := bob.wantCall(ua.CallActive); c.LocalHold || c.RemoteHold {
			t.Errorf("bob after resume: %+v", c)
		}
		if !alice.media.Sessions()[0].Held() == false {
			t.Error("media hold state")
		}
		must(t, alice.a.Mute(bg, aid, true))
		if c := alice.wantCall(ua.CallActive); !c.Muted || !alice.media.Sessions()[0].Muted() {
			t.Errorf("mute: %+v", c)
		}
	})
}

func TestReinviteGlare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 30 ms one-way delay so both re-INVITEs cross on the wire.
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		aid, bid := connect(t, alice, bob)
		synctest.Wait() // bob has the ACK
		e.nw.SetDefaultLink(siptest.LinkConfig{Delay: 30 * time.Millisecond})
		start := time.Now()
		must(t, alice.a.Hold(bg, aid, true))
		must(t, bob.a.Hold(bg, bid, true))
		// both get 491; bob (not the Call-ID owner) retries within 2 s,
		// alice after 2.1–4 s (RFC 3261 §14.1).
		ca := alice.want("alice hold", func(ev ua.Event) bool {
			c, ok := ev.(ua.CallEvent)
			return ok && c.Call.LocalHold
		}).(ua.CallEvent)
		cb := bob.want("bob hold", func(ev ua.Event) bool {
			c, ok := ev.(ua.CallEvent)
			return ok && c.Call.LocalHold
		}).(ua.CallEvent)
		if d := time.Since(start); d < 2100*time.Millisecond || d > 5*time.Second {
			t.Errorf("both held after %v", d)
		}
		synctest.Wait()
		if !ca.Call.LocalHold || !cb.Call.LocalHold {
			t.Errorf("holds: %+v %+v", ca, cb)
		}
		alice.drain()
		bob.drain()
		if n := countStatus(alice, 491) + countStatus(bob, 491); n != 2 {
			t.Errorf("saw %d 491s", n)
		}
	})
}

// countStatus counts the responses with code a peer's trace showed (sent
// or received) so far; it consumes nothing (reads the peer's log).
func countStatus(p *peer, code int) int {
	n := 0
	for _, ev := range p.traces {
		if ev.Sent && ev.Summary == itoa(code)+" "+sip.StatusText(code) {
			n++
		}
	}
	return n
}

func TestDTMF(t *testing.T) {
	for _, mode := range []string{ua.DTMFRFC4733, ua.DTMFInfo} {
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				setMode := func(c *ua.Config) { c.Accounts[0].DTMF = mode }
				e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, setMode, setMode)
				defer e.close()
				aid, bid := connect(t, alice, bob)
				must(t, alice.a.SendDTMF(bg, aid, "12#"))
				must(t, bob.a.SendDTMF(bg, bid, "*9"))
				if mode == ua.DTMFRFC4733 {
					synctest.Wait()
					if got := alice.media.Sessions()[0].DTMFSent(); got != "12#" {
						t.Errorf("alice sent %q by RFC 4733", got)
					}
					if got := bob.media.Sessions()[0].DTMFSent(); got != "*9" {
						t.Errorf("bob sent %q by RFC 4733", got)
					}
					// media reports received digits
					bob.media.Sessions()[0].ReceiveDTMF('5', 120*time.Millisecond)
					d := bob.want("dtmf", isDTMF).(ua.DTMFEvent)
					if d.Digit != '5' || d.Method != "rfc4733" || d.CallID != bid || d.Duration != 120*time.Millisecond {
						t.Errorf("dtmf = %+v", d)
					}
					return
				}
				var got []rune
				for range 3 {
					d := bob.want("dtmf", isDTMF).(ua.DTMFEvent)
					if d.Method != "info" || d.CallID != bid {
						t.Errorf("dtmf = %+v", d)
					}
					got = append(got, d.Digit)
				}
				if string(got) != "12#" {
					t.Errorf("bob got %q", string(got))
				}
				got = nil
				for range 2 {
					got = append(got, alice.want("dtmf", isDTMF).(ua.DTMFEvent).Digit)
				}
				if string(got) != "*9" {
					t.Errorf("alice got %q", string(got))
				}
			})
		})
	}
}

func isDTMF(ev ua.Event) bool { _, ok := ev.(ua.DTMFEvent); return ok }

func TestDTMFFallbackToInfo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		bob.media.NoDTMF = true
		aid, _ := connect(t, alice, bob)
		must(t, alice.a.SendDTMF(bg, aid, "7"))
		if d := bob.want("dtmf", isDTMF).(ua.DTMFEvent); d.Digit != '7' || d.Method != "info" {
			t.Errorf("dtmf = %+v", d)
		}
	})
}

func TestRTPInactivity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, func(c *ua.Config) { c.RTPTimeout = 30 * time.Second }, nil)
		defer e.close()
		_, _ = connect(t, alice, bob)
		s := alice.media.Sessions()[0]
		s.StopRTP(10 * time.Second) // below the limit: nothing
		s.StopRTP(30 * time.Second)
		if c := alice.wantCall(ua.CallEnded); c.Reason != "RTP timeout" {
			t.Errorf("alice ended = %+v", c)
		}
		if c := bob.wantCall(ua.CallEnded); c.Reason != "BYE from peer" {
			t.Errorf("bob ended = %+v", c)
		}
	})
}

func TestCallWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		carol := e.registered("192.0.2.4", "carol", "cpw", nil)
		_, bid := connect(t, alice, bob)
		carol.a.Dial(bg, "", "bob")
		carol.wantCall(ua.CallDialing)
		w := bob.wantCall(ua.CallIncoming)
		if !w.Waiting || w.ID == bid {
			t.Errorf("second call = %+v", w)
		}
		carol.wantCall(ua.CallRinging)
		if got := bob.a.Calls(); len(got) != 2 {
			t.Errorf("bob has %d calls", len(got))
		}
		must(t, bob.a.Answer(bg, w.ID))
		if c := bob.wantCall(ua.CallActive); c.Waiting {
			t.Errorf("answered waiting call still waiting: %+v", c)
		}
		carol.wantCall(ua.CallActive)
	})
}

func TestNoCallWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, func(c *ua.Config) { c.NoCallWaiting = true })
		defer e.close()
		carol := e.registered("192.0.2.4", "carol", "cpw", nil)
		connect(t, alice, bob)
		carol.a.Dial(bg, "", "bob")
		carol.wantCall(ua.CallDialing)
		if c := carol.wantCall(ua.CallEnded); c.Code != 486 {
			t.Errorf("carol ended = %+v", c)
		}
	})
}

func TestInDialogOptionsAndUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		bob := e.agent("192.0.2.2", "bob", "", func(c *ua.Config) { direct(c); c.AutoAnswer = true })
		bob.wantReg(ua.RegDirect)
		caller := newRaw(t, e, "192.0.2.3:5060")
		offer := "v=0\r\no=- 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
		inv := siptestInvite(t, offer)
		caller.send(inv, bob.addr())
		ok := caller.recvResp(200)
		caller.send(uacDialogACK(t, inv, ok), bob.addr())
		bob.wantCall(ua.CallIncoming)
		bob.wantCall(ua.CallActive)
		in := func(method string, seq uint32, body string) *sip.Request {
			r := uacDialogACK(t, inv, ok)
			r.Method = method
			r.SetCSeq(sip.CSeq{Seq: seq, Method: method})
			if body != "" {
				r.SetContent("application/sdp", []byte(body))
			}
			return r
		}
		caller.send(in("OPTIONS", 2, ""), bob.addr())
		if r := caller.recvResp(200); r.Header("Allow") == "" {
			t.Errorf("OPTIONS 200 without Allow")
		}
		caller.send(in("UPDATE", 3, ""), bob.addr())
		caller.recvResp(200)
		held := "v=0\r\no=- 1 2 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"
		caller.send(in("UPDATE", 4, held), bob.addr())
		if r := caller.recvResp(200); !isSDPBody(r) {
			t.Errorf("UPDATE with offer answered without SDP: %s", r)
		}
		if c := bob.wantCall(ua.CallActive); !c.RemoteHold {
			t.Errorf("after UPDATE hold: %+v", c)
		}
		// an old CSeq is out of order (§12.2.2)
		caller.send(in("OPTIONS", 3, ""), bob.addr())
		caller.recvResp(500)
		caller.send(in("BYE", 5, ""), bob.addr())
		caller.recvResp(200)
		bob.wantCall(ua.CallEnded)
	})
}

func isSDPBody(r *sip.Response) bool {
	ct, _ := r.ContentType()
	return ct.Name() == "application/sdp" && len(r.Body()) > 0
}

func siptestInvite(t *testing.T, sdp string) *sip.Request {
	inv := siptestRequest(t, "INVITE", "sip:bob@192.0.2.2:5060")
	if sdp != "" {
		inv.SetContent("application/sdp", []byte(sdp))
	}
	return inv
}
