package ua_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

// twoRegistered starts alice (192.0.2.1) and bob (192.0.2.2), registered.
func twoRegistered(t *testing.T, scfg uatest.ServerConfig, modA, modB func(*ua.Config)) (*env, *peer, *peer) {
	e := newEnv(t, scfg)
	alice := e.registered("192.0.2.1", "alice", "apw", modA)
	bob := e.registered("192.0.2.2", "bob", "bpw", modB)
	return e, alice, bob
}

// connect has alice call bob and bob answer; it returns both call IDs.
func connect(t *testing.T, alice, bob *peer) (string, string) {
	t.Helper()
	id, err := alice.a.Dial(bg, "", "bob")
	must(t, err)
	alice.wantCall(ua.CallDialing)
	in := bob.wantCall(ua.CallIncoming)
	alice.wantCall(ua.CallRinging)
	must(t, bob.a.Answer(bg, in.ID))
	bob.wantCall(ua.CallActive)
	c := alice.wantCall(ua.CallActive)
	if c.ID != id || c.Codec != "PCMU/8000" {
		t.Errorf("alice's call = %+v", c)
	}
	return id, in.ID
}

func TestCallAnswerAndHangup(t *testing.T) {
	for _, callerHangs := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
			defer e.close()
			aid, bid := connect(t, alice, bob)
			if got := alice.a.Calls(); len(got) != 1 || got[0].State != ua.CallActive {
				t.Errorf("Calls() = %+v", got)
			}
			if callerHangs {
				must(t, alice.a.Hangup(bg, aid))
				if c := alice.wantCall(ua.CallEnded); c.Code != 200 || c.Reason != "hung up" {
					t.Errorf("alice ended = %+v", c)
				}
				if c := bob.wantCall(ua.CallEnded); c.Code != 200 || c.Reason != "BYE from peer" {
					t.Errorf("bob ended = %+v", c)
				}
			} else {
				must(t, bob.a.Hangup(bg, bid))
				bob.wantCall(ua.CallEnded)
				if c := alice.wantCall(ua.CallEnded); c.Reason != "BYE from peer" {
					t.Errorf("alice ended = %+v", c)
				}
			}
			synctest.Wait()
			if len(alice.a.Calls())+len(bob.a.Calls()) != 0 {
				t.Error("calls left")
			}
			if !alice.media.Sessions()[0].Closed() || !bob.media.Sessions()[0].Closed() {
				t.Error("media not closed")
			}
		})
	}
}

// TestQuiet: Quiet (what the process watches to give memory back) is
// false during a call and while a burst's transactions wait out Timer J,
// and true again once they are gone; a few lingering transactions (one
// call's, a keep-alive's) do not count.
func TestQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		if !bob.a.Quiet() {
			t.Fatal("registered and idle: not quiet")
		}
		aid, _ := connect(t, alice, bob)
		if alice.a.Quiet() || bob.a.Quiet() {
			t.Error("quiet during a call")
		}
		must(t, alice.a.Hangup(bg, aid))
		alice.wantCall(ua.CallEnded)
		bob.wantCall(ua.CallEnded)
		synctest.Wait()
		if !alice.a.Quiet() || !bob.a.Quiet() {
			t.Error("one call's transactions waiting out Timer J/L: not quiet")
		}
		// A burst of out-of-dialog requests: each server transaction
		// waits out Timer J (64·T1) after its 200.
		pinger := newRaw(t, e, "192.0.2.3:5060")
		for range 3 * 8 {
			pinger.send(siptestRequest(t, sip.MethodOptions, "sip:bob@"+bob.addr().String()), bob.addr())
			pinger.recvResp(200)
		}
		synctest.Wait()
		if bob.a.Quiet() {
			t.Error("quiet with a burst's transactions in Timer J")
		}
		time.Sleep(64*500*time.Millisecond + time.Second)
		synctest.Wait()
		if !bob.a.Quiet() {
			t.Error("not quiet 64·T1 after the burst")
		}
	})
}

func TestCallReject(t *testing.T) {
	for _, code := range []int{486, 603} {
		synctest.Test(t, func(t *testing.T) {
			e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
			defer e.close()
			_, err := alice.a.Dial(bg, "", "bob")
			must(t, err)
			alice.wantCall(ua.CallDialing)
			in := bob.wantCall(ua.CallIncoming)
			alice.wantCall(ua.CallRinging)
			must(t, bob.a.Reject(bg, in.ID, code))
			if c := bob.wantCall(ua.CallEnded); c.Code != code {
				t.Errorf("bob ended = %+v", c)
			}
			if c := alice.wantCall(ua.CallEnded); c.Code != code || c.Reason != sip.StatusText(code) && c.Reason != itoa(code)+" "+sip.StatusText(code) {
				t.Errorf("alice ended = %+v", c)
			}
		})
	}
}

func TestCallCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		id, err := alice.a.Dial(bg, "", "bob")
		must(t, err)
		alice.wantCall(ua.CallDialing)
		bob.wantCall(ua.CallIncoming)
		alice.wantCall(ua.CallRinging)
		must(t, alice.a.Hangup(bg, id))
		if c := alice.wantCall(ua.CallEnded); c.Code != 487 {
			t.Errorf("alice ended = %+v", c)
		}
		if c := bob.wantCall(ua.CallEnded); c.Code != 487 {
			t.Errorf("bob ended = %+v", c)
		}
	})
}

func TestCallBusyAndDND(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		must(t, bob.a.SetDND(bg, true))
		alice.a.Dial(bg, "", "bob")
		alice.wantCall(ua.CallDialing)
		if c := alice.wantCall(ua.CallEnded); c.Code != 486 {
			t.Errorf("alice ended = %+v", c)
		}
		must(t, bob.a.SetDND(bg, false))
		connect(t, alice, bob)
	})
}

func TestCallUnknownUserAndURI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		// nobody registered as dave: the proxy says 404
		alice.a.Dial(bg, "", "dave")
		alice.wantCall(ua.CallDialing)
		if c := alice.wantCall(ua.CallEnded); c.Code != 404 || c.Reason != "404 Not Found" {
			t.Errorf("alice ended = %+v", c)
		}
		// straight to bob's address with a user that is not his: 404 from
		// bob's agent, and no event there
		alice.a.Dial(bg, "", "sip:mallory@192.0.2.2:5060")
		alice.wantCall(ua.CallDialing)
		if c := alice.wantCall(ua.CallEnded); c.Code != 404 {
			t.Errorf("alice ended = %+v", c)
		}
		alice.a.SendMessage(bg, "", "sip:mallory@192.0.2.2:5060", "hi")
		alice.want("message failed", func(ev ua.Event) bool {
			m, ok := ev.(ua.MessageStatusEvent)
			return ok && m.State == ua.MessageFailed && m.Code == 404
		})
		synctest.Wait()
		select {
		case ev := <-bob.ev:
			if _, ok := ev.(ua.TraceEvent); !ok {
				t.Errorf("bob saw %s", describe([]ua.Event{ev}))
			}
		default:
		}
		// the direct route works with bob's user
		alice.a.Dial(bg, "", "sip:bob@192.0.2.2:5060")
		alice.wantCall(ua.CallDialing)
		bob.want("incoming", func(ev ua.Event) bool {
			c, ok := ev.(ua.CallEvent)
			return ok && c.Call.State == ua.CallIncoming
		})
	})
}

func TestCallRedirect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// "carol" is redirected to bob; "loop" redirects to itself.
		var e *env
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{Hook: func(r *sip.Request) (*sip.Response, bool) {
			if r.Method != "INVITE" {
				return nil, false
			}
			switch r.URI.User {
			case "carol":
				resp := sip.NewResponse(r, 302, "")
				resp.SetHeader("Contact", "<sip:bob@"+domain+">")
				return resp, false
			case "hop1", "hop2", "hop3", "hop4", "hop5", "hop6":
				resp := sip.NewResponse(r, 302, "")
				resp.SetHeader("Contact", "<sip:hop"+string(r.URI.User[3]+1)+"@"+domain+">")
				return resp, false
			case "loop1", "loop2":
				next := map[string]string{"loop1": "loop2", "loop2": "loop1"}[r.URI.User]
				resp := sip.NewResponse(r, 302, "")
				resp.SetHeader("Contact", "<sip:"+next+"@"+domain+">")
				return resp, false
			}
			return nil, false
		}}, nil, nil)
		_ = e
		defer e.close()
		alice.a.Dial(bg, "", "carol")
		alice.wantCall(ua.CallDialing)
		in := bob.wantCall(ua.CallIncoming)
		alice.wantCall(ua.CallRinging)
		must(t, bob.a.Answer(bg, in.ID))
		bob.wantCall(ua.CallActive)
		if c := alice.wantCall(ua.CallActive); c.Remote != "sip:bob@"+domain {
			t.Errorf("remote = %q", c.Remote)
		}
		alice.a.Dial(bg, "", "loop1")
		alice.wantCall(ua.CallDialing)
		if c := alice.wantCall(ua.CallEnded); c.Code != 302 || !strings.Contains(c.Reason, "loop") {
			t.Errorf("loop ended = %+v", c)
		}
		// MaxRedirects (5 by default) bounds a chain without loops
		n := e.srv.Count("INVITE")
		alice.a.Dial(bg, "", "hop1")
		alice.wantCall(ua.CallDialing)
		if c := alice.wantCall(ua.CallEnded); c.Code != 302 || !strings.Contains(c.Reason, "too many") {
			t.Errorf("chain ended = %+v", c)
		}
		if got := e.srv.Count("INVITE") - n; got != 6 {
			t.Errorf("%d INVITEs for the chain, want 6 (1 + 5 redirects)", got)
		}
	})
}

func TestCallRedirectNotFollowed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// MaxRedirects < 0: a 302 ends the call with its code.
		e, alice, _ := twoRegistered(t, uatest.ServerConfig{Hook: func(r *sip.Request) (*sip.Response, bool) {
			if r.Method != "INVITE" || r.URI.User != "carol" {
				return nil, false
			}
			resp := sip.NewResponse(r, 302, "")
			resp.SetHeader("Contact", "<sip:bob@"+domain+">")
			return resp, false
		}}, func(c *ua.Config) { c.MaxRedirects = -1 }, nil)
		defer e.close()
		n := e.srv.Count("INVITE")
		alice.a.Dial(bg, "", "carol")
		alice.wantCall(ua.CallDialing)
		if c := alice.wantCall(ua.CallEnded); c.Code != 302 {
			t.Errorf("ended = %+v, want code 302", c)
		}
		if got := e.srv.Count("INVITE") - n; got != 1 {
			t.Errorf("%d INVITEs, want 1 (the redirect not followed)", got)
		}
	})
}

func TestCallAuthOnInvite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{AuthRequests: true}, nil, nil)
		defer e.close()
		connect(t, alice, bob)
		if n := e.srv.Count("INVITE"); n != 2 {
			t.Errorf("%d INVITEs at the proxy, want 2 (407 then credentials)", n)
		}
	})
}

func TestCallWrongPasswordOnInvite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{AuthRequests: true})
		defer e.close()
		alice := e.agent("192.0.2.1", "alice", "bad", func(c *ua.Config) { c.Accounts[0].NoRegister = true })
		alice.wantReg(ua.RegDirect)
		alice.a.Dial(bg, "", "bob")
		alice.wantCall(ua.CallDialing)
		if c := alice.wantCall(ua.CallEnded); c.Code != 407 {
			t.Errorf("ended = %+v", c)
		}
	})
}

func TestCallTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, bob := twoRegistered(t, uatest.ServerConfig{}, func(c *ua.Config) { c.CallTimeout = 20 * time.Second }, nil)
		defer e.close()
		start := time.Now()
		alice.a.Dial(bg, "", "bob")
		alice.wantCall(ua.CallDialing)
		bob.wantCall(ua.CallIncoming)
		alice.wantCall(ua.CallRinging)
		c := alice.wantCall(ua.CallEnded)
		if c.Code != 408 || time.Since(start) != 20*time.Second {
			t.Errorf("ended = %+v after %v", c, time.Since(start))
		}
		if c := bob.wantCall(ua.CallEnded); c.Code != 487 {
			t.Errorf("bob ended = %+v", c)
		}
	})
}

func TestCallNoResponse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, _ := twoRegistered(t, uatest.ServerConfig{Hook: func(r *sip.Request) (*sip.Response, bool) {
			return nil, r.Method == "INVITE"
		}}, func(c *ua.Config) { c.CallTimeout = 45 * time.Second }, nil)
		defer e.close()
		// the proxy says 100 Trying and then nothing: the overall timeout
		start := time.Now()
		alice.a.Dial(bg, "", "bob")
		alice.wantCall(ua.CallDialing)
		c := alice.wantCall(ua.CallEnded)
		if c.Code != 408 || time.Since(start) != 45*time.Second {
			t.Errorf("ended = %+v after %v", c, time.Since(start))
		}
		// nobody there at all: Timer B (64·T1 = 32 s)
		carol := e.agent("192.0.2.4", "carol", "", direct)
		carol.wantReg(ua.RegDirect)
		start = time.Now()
		carol.a.Dial(bg, "", "sip:x@192.0.2.99:5060")
		carol.wantCall(ua.CallDialing)
		c = carol.wantCall(ua.CallEnded)
		if c.Code != 408 || time.Since(start) != 32*time.Second {
			t.Errorf("ended = %+v after %v (want Timer B)", c, time.Since(start))
		}
	})
}

func TestEarlyMedia(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		alice := e.agent("192.0.2.1", "alice", "", direct)
		alice.wantReg(ua.RegDirect)
		ivr := newRaw(t, e, "192.0.2.3:5060")
		alice.a.Dial(bg, "", "sip:ivr@192.0.2.3:5060")
		alice.wantCall(ua.CallDialing)
		inv, from := ivr.recvReq("INVITE")
		sdp := "v=0\r\no=- 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
		tag := sip.NewTag()
		r183 := sip.NewResponse(inv, 183, "")
		r183.SetToTag(tag)
		r183.SetHeader("Contact", "<sip:ivr@192.0.2.3:5060>")
		r183.SetContent("application/sdp", []byte(sdp))
		ivr.send(r183, from)
		c := alice.wantCall(ua.CallEarlyMedia)
		if c.State != ua.CallEarlyMedia {
			t.Fatal(c)
		}
		if got := alice.media.Sessions()[0].RemoteSDPs(); len(got) != 1 || got[0] != sdp {
			t.Errorf("early SDP accepted = %q", got)
		}
		ok := sip.NewResponse(inv, 200, "")
		ok.SetToTag(tag)
		ok.SetHeader("Contact", "<sip:ivr@192.0.2.3:5060>")
		ok.SetContent("application/sdp", []byte(sdp))
		ivr.send(ok, from)
		alice.wantCall(ua.CallActive)
		ack, _ := ivr.recvReq("ACK")
		if cs, _ := ack.CSeq(); ack.ToTag() != tag || cs.Seq != 1 || ack.URI.String() != "sip:ivr@192.0.2.3:5060" {
			t.Errorf("ACK = %s", ack)
		}
	})
}

func TestOfferlessInvite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		bob := e.agent("192.0.2.2", "bob", "", func(c *ua.Config) { direct(c); c.AutoAnswer = true; c.AutoAnswerDelay = 3 * time.Second })
		bob.wantReg(ua.RegDirect)
		caller := newRaw(t, e, "192.0.2.3:5060")
		inv := siptest.Request(t, "INVITE", "sip:bob@192.0.2.2:5060")
		inv.SetHeader("Via", "SIP/2.0/UDP 192.0.2.3:5060;branch="+sip.NewBranch())
		inv.SetHeader("Contact", "<sip:c@192.0.2.3:5060>")
		inv.SetHeader("From", "<sip:c@192.0.2.3>;tag=abc")
		start := time.Now()
		caller.send(inv, bob.addr())
		bob.wantCall(ua.CallIncoming)
		caller.recvResp(180)
		ok := caller.recvResp(200)
		bob.wantCall(ua.CallActive)
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("auto-answered after %v, want 3s", d)
		}
		if !strings.Contains(string(ok.Body()), "m=audio") {
			t.Fatalf("200 has no offer: %s", ok)
		}
		d := uacDialogACK(t, inv, ok)
		answer := "v=0\r\no=- 1 1 IN IP4 192.0.2.3\r\ns=-\r\nc=IN IP4 192.0.2.3\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendonly\r\n"
		d.SetContent("application/sdp", []byte(answer))
		caller.send(d, bob.addr())
		c := bob.wantCall(ua.CallActive) // the answer put bob on (remote) hold
		if !c.RemoteHold {
			t.Errorf("remote hold not shown: %+v", c)
		}
		if got := bob.media.Sessions()[0].RemoteSDPs(); len(got) != 1 || got[0] != answer {
			t.Errorf("answer from ACK = %q", got)
		}
	})
}

func TestErrorsForBadCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e, alice, _ := twoRegistered(t, uatest.ServerConfig{}, nil, nil)
		defer e.close()
		if _, err := alice.a.Dial(bg, "nobody", "bob"); !errors.Is(err, ua.ErrNoSuchAccount) {
			t.Errorf("dial from unknown account: %v", err)
		}
		if _, err := alice.a.Dial(bg, "", "sip:"); !errors.Is(err, ua.ErrBadTarget) {
			t.Errorf("dial bad target: %v", err)
		}
		if err := alice.a.Answer(bg, "c999"); !errors.Is(err, ua.ErrNoSuchCall) {
			t.Errorf("answer unknown: %v", err)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
