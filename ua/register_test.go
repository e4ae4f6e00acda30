package ua_test

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/resolve"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

func TestRegisterOK(t *testing.T) {
	for _, noQOP := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, uatest.ServerConfig{NoQOP: noQOP})
			defer e.close()
			p := e.agent("192.0.2.1", "alice", "apw", nil)
			p.wantReg(ua.RegRegistering)
			r := p.wantReg(ua.RegRegistered)
			if r.Code != 200 || r.Expires != time.Hour || r.AOR != "sip:alice@"+domain {
				t.Errorf("registered = %+v", r)
			}
			if got, ok := e.srv.Binding("alice"); !ok || got != "sip:alice@192.0.2.1:5060" {
				t.Errorf("binding = %q, %v", got, ok)
			}
			p.close()
			regs := e.srv.Registers()
			if len(regs) != 2 || regs[1].Expires != 0 {
				t.Errorf("registers = %+v, want a final expires=0", regs)
			}
			if _, ok := e.srv.Binding("alice"); ok {
				t.Error("binding left after Close")
			}
		})
	}
}

func TestRegisterFailures(t *testing.T) {
	cases := []struct {
		name string
		pw   string
		hook func(*sip.Request) (*sip.Response, bool)
		code int
		kind ua.FailureKind
	}{
		{"wrong password", "nope", nil, 401, ua.FailAuth},
		{"forbidden", "apw", func(r *sip.Request) (*sip.Response, bool) {
			return sip.NewResponse(r, 403, ""), false
		}, 403, ua.FailForbidden},
		{"timeout", "apw", func(r *sip.Request) (*sip.Response, bool) { return nil, true }, 408, ua.FailTimeout},
		{"server error", "apw", func(r *sip.Request) (*sip.Response, bool) {
			return sip.NewResponse(r, 500, ""), false
		}, 500, ua.FailRejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, uatest.ServerConfig{Hook: func(r *sip.Request) (*sip.Response, bool) {
					if tc.hook != nil && r.Method == "REGISTER" {
						return tc.hook(r)
					}
					return nil, false
				}})
				defer e.close()
				p := e.agent("192.0.2.1", "alice", tc.pw, nil)
				p.wantReg(ua.RegRegistering)
				start := time.Now()
				r := p.wantReg(ua.RegFailed)
				if r.Code != tc.code || r.Kind != tc.kind || r.Reason == "" {
					t.Errorf("failed = %+v, want code %d kind %v", r, tc.code, tc.kind)
				}
				// back-off: the retry comes 30 s·2ⁿ later (jitter 75–100%)
				p.wantReg(ua.RegRegistering)
				p.wantReg(ua.RegFailed)
				if d := time.Since(start); d < 22*time.Second || d > 2*time.Minute {
					t.Errorf("retry after %v, want about 30 s", d)
				}
				start = time.Now()
				p.wantReg(ua.RegRegistering)
				p.wantReg(ua.RegFailed)
				if d := time.Since(start); d < 45*time.Second || d > 3*time.Minute {
					t.Errorf("second retry after %v, want about 60 s", d)
				}
			})
		})
	}
}

func TestRegister423AndRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{MinExpires: 7200, MaxExpires: 7200})
		defer e.close()
		p := e.agent("192.0.2.1", "alice", "apw", nil)
		p.wantReg(ua.RegRegistering)
		r := p.wantReg(ua.RegRegistered)
		if r.Expires != 2*time.Hour {
			t.Errorf("expires = %v, want 2h after 423", r.Expires)
		}
		if n := e.srv.Count("REGISTER"); n != 3 { // 401, 423, 200
			t.Errorf("%d REGISTERs, want 3 (%v)", n, e.srv.Requests())
		}
		time.Sleep(2*time.Hour - 29*time.Second) // refresh at expires-30s
		synctest.Wait()
		if regs := e.srv.Registers(); len(regs) != 2 {
			t.Errorf("registers after refresh time = %+v", regs)
		}
	})
}

func TestDirectAccount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		p := e.agent("192.0.2.1", "alice", "", func(c *ua.Config) {
			c.Accounts[0].NoRegister = true
			c.Accounts[0].Domain = "192.0.2.1"
			c.Accounts[0].OutboundProxy = ""
		})
		r := p.wantReg(ua.RegDirect)
		if r.Contact != "<sip:alice@192.0.2.1:5060>" {
			t.Errorf("contact = %q", r.Contact)
		}
		if n := e.srv.Count("REGISTER"); n != 0 {
			t.Errorf("%d REGISTERs from a direct account", n)
		}
	})
}

func TestRegisterStaleNonce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// nonces live 1 min; the refresh at 570 s reuses the cached
		// credentials, gets 401 stale=true and answers it without failing.
		e := newEnv(t, uatest.ServerConfig{MaxExpires: 600, NonceLifetime: time.Minute})
		defer e.close()
		p := e.agent("192.0.2.1", "alice", "apw", nil)
		p.wantReg(ua.RegRegistering)
		p.wantReg(ua.RegRegistered)
		time.Sleep(20 * time.Minute)
		synctest.Wait()
		if regs := e.srv.Registers(); len(regs) != 3 {
			t.Errorf("accepted REGISTERs = %d, want 3 (two refreshes)", len(regs))
		}
		if n := e.srv.Count("REGISTER"); n != 6 {
			t.Errorf("REGISTERs = %d, want 6 (each with a stale challenge)", n)
		}
		select {
		case ev := <-p.ev:
			if r, ok := ev.(ua.RegistrationEvent); ok {
				t.Errorf("unexpected %+v", r)
			}
		default:
		}
	})
}

// TestRegisterFailover: the registrar's name resolves to two addresses;
// the first never answers (Timer F), so the REGISTER goes to the second
// (RFC 3263 §4.3).
func TestRegisterFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		res, err := resolve.New(resolve.Config{
			Servers: []string{"127.0.0.1:1"},
			Hosts:   map[string][]netip.Addr{"reg.example.test": {netip.MustParseAddr("192.0.2.98"), netip.MustParseAddr("192.0.2.10")}},
		})
		must(t, err)
		p := e.agent("192.0.2.1", "alice", "apw", func(c *ua.Config) {
			c.Resolver = res
			c.Accounts[0].Registrar = "sip:reg.example.test"
			c.Accounts[0].OutboundProxy = ""
		})
		start := time.Now()
		p.wantReg(ua.RegRegistering)
		p.wantReg(ua.RegRegistered)
		if d := time.Since(start); d != 32*time.Second {
			t.Errorf("registered after %v, want 32 s (one Timer F)", d)
		}
	})
}
