package ua_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

const domain = "example.test"

// env is one in-memory network with a registrar/proxy at 192.0.2.10:5060.
type env struct {
	t     *testing.T
	nw    *siptest.Network
	srv   *uatest.Server
	peers []*peer
}

func newEnv(t *testing.T, scfg uatest.ServerConfig) *env {
	t.Helper()
	e := &env{t: t, nw: siptest.NewNetwork(siptest.Options{})}
	if scfg.Domain == "" {
		scfg.Domain = domain
	}
	if scfg.Users == nil {
		scfg.Users = map[string]string{"alice": "apw", "bob": "bpw", "carol": "cpw"}
	}
	pc := e.nw.MustListenPacket(t, "192.0.2.10:5060")
	srv, err := uatest.NewServer(pc, scfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
}

// close closes every agent (draining their events), the server and the
// network.
func (e *env) close() {
	for _, p := range e.peers {
		p.close()
	}
	e.srv.Close()
	e.nw.Close()
}

type peer struct {
	t      *testing.T
	name   string
	a      *ua.Agent
	media  *uatest.Media
	ev     <-chan ua.Event
	ip     string
	log    []ua.Event
	traces []ua.TraceEvent
	done   bool
}

// agent starts an agent at ip for user registering with the env's server.
func (e *env) agent(ip, user, password string, mod func(*ua.Config)) *peer {
	e.t.Helper()
	pc := e.nw.MustListenPacket(e.t, ip+":5060")
	m := &uatest.Media{}
	cfg := ua.Config{
		Accounts: []ua.Account{{
			Name: user, User: user, Domain: domain, Password: password,
			Registrar: e.srv.URI(), OutboundProxy: e.srv.URI(),
		}},
		PacketConns:   []net.PacketConn{pc},
		Media:         m,
		StatsInterval: -1,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := e.nw.Dial(ctx, network, ip, addr)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := ua.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	p := &peer{t: e.t, name: user, a: a, media: m, ev: a.Events(), ip: ip}
	e.peers = append(e.peers, p)
	return p
}

// registered starts an agent and waits for its registration.
func (e *env) registered(ip, user, password string, mod func(*ua.Config)) *peer {
	e.t.Helper()
	p := e.agent(ip, user, password, mod)
	p.wantReg(ua.RegRegistering)
	p.wantReg(ua.RegRegistered)
	return p
}

func (p *peer) close() {
	if p.done {
		return
	}
	p.done = true
	go func() {
		for range p.ev {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	if err := p.a.Close(ctx); err != nil {
		p.t.Errorf("%s: close: %v", p.name, err)
	}
}

// next returns the next event that is not a trace or stats event.
func (p *peer) next() ua.Event {
	p.t.Helper()
	timeout := time.NewTimer(10 * time.Minute)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-p.ev:
			if !ok {
				p.t.Fatalf("%s: events closed", p.name)
			}
			switch e := ev.(type) {
			case ua.TraceEvent:
				p.traces = append(p.traces, e)
				continue
			case ua.MediaStatsEvent:
				continue
			}
			p.log = append(p.log, ev)
			return ev
		case <-timeout.C:
			p.t.Fatalf("%s: no event within 10 min (fake time); seen %s", p.name, describe(p.log))
		}
	}
}

// want reads events until one satisfies f (failing after 10 fake minutes).
func (p *peer) want(desc string, f func(ua.Event) bool) ua.Event {
	p.t.Helper()
	timeout := time.NewTimer(10 * time.Minute)
	defer timeout.Stop()
	for {
		select {
		case ev, ok := <-p.ev:
			if !ok {
				p.t.Fatalf("%s: events closed waiting for %s", p.name, desc)
			}
			if tr, ok := ev.(ua.TraceEvent); ok {
				p.traces = append(p.traces, tr)
			} else {
				p.log = append(p.log, ev)
			}
			if f(ev) {
				return ev
			}
		case <-timeout.C:
			p.t.Fatalf("%s: no %s within 10 min (fake time); seen %s", p.name, desc, describe(p.log))
		}
	}
}

// wantReg requires the next event to be a RegistrationEvent in state s.
func (p *peer) wantReg(s ua.RegState) ua.RegistrationEvent {
	p.t.Helper()
	ev := p.next()
	r, ok := ev.(ua.RegistrationEvent)
	if !ok || r.State != s {
		p.t.Fatalf("%s: got %s, want registration %s", p.name, describe([]ua.Event{ev}), s)
	}
	return r
}

// wantCall requires the next event to be a CallEvent in state s.
func (p *peer) wantCall(s ua.CallState) ua.CallInfo {
	p.t.Helper()
	ev := p.next()
	c, ok := ev.(ua.CallEvent)
	if !ok || c.Call.State != s {
		p.t.Fatalf("%s: got %s, want call %s; log %s", p.name, describe([]ua.Event{ev}), s, describe(p.log))
	}
	return c.Call
}

func describe(evs []ua.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		switch e := ev.(type) {
		case ua.RegistrationEvent:
			fmt.Fprintf(&b, "[reg %s %d %q %s] ", e.State, e.Code, e.Reason, e.Kind)
		case ua.CallEvent:
			fmt.Fprintf(&b, "[call %s %s code=%d %q hold=%v/%v] ", e.Call.ID, e.Call.State, e.Call.Code, e.Call.Reason, e.Call.LocalHold, e.Call.RemoteHold)
		default:
			fmt.Fprintf(&b, "[%T %+v] ", ev, ev)
		}
	}
	return b.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var bg = context.Background()

// direct makes the account a direct-IP one (no registrar, no proxy).
func direct(c *ua.Config) {
	c.Accounts[0].NoRegister = true
	c.Accounts[0].OutboundProxy = ""
}

func (p *peer) addr() netip.AddrPort { return netip.MustParseAddrPort(p.ip + ":5060") }

// raw is a scripted SIP peer on a bare socket.
type raw struct {
	t  *testing.T
	pc *siptest.PacketConn
}

func newRaw(t *testing.T, e *env, addr string) *raw {
	return &raw{t: t, pc: e.nw.MustListenPacket(t, addr)}
}

func (r *raw) send(m sip.Message, to netip.AddrPort) {
	r.t.Helper()
	if _, err := r.pc.WriteTo(m.AppendTo(nil), net.UDPAddrFromAddrPort(to)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *raw) recv() (sip.Message, netip.AddrPort) {
	r.t.Helper()
	r.pc.SetReadDeadline(time.Now().Add(time.Minute))
	buf := make([]byte, 65536)
	n, from, err := r.pc.ReadFromAddrPort(buf)
	if err != nil {
		r.t.Fatalf("raw peer: %v", err)
	}
	return siptest.ParseMessage(r.t, buf[:n]), from
}

// recvReq skips messages until a request with method arrives.
func (r *raw) recvReq(method string) (*sip.Request, netip.AddrPort) {
	r.t.Helper()
	for {
		m, from := r.recv()
		if req, ok := m.(*sip.Request); ok && req.Method == method {
			return req, from
		}
	}
}

// recvResp skips messages until a response with code arrives.
func (r *raw) recvResp(code int) *sip.Response {
	r.t.Helper()
	for {
		m, _ := r.recv()
		if resp, ok := m.(*sip.Response); ok && resp.StatusCode == code {
			return resp
		}
	}
}

// uacDialogACK builds the ACK for a 2xx to inv.
func uacDialogACK(t *testing.T, inv *sip.Request, ok *sip.Response) *sip.Request {
	cs, _ := ok.Contacts()
	if len(cs) == 0 {
		t.Fatal("2xx without Contact")
	}
	ack := sip.NewRequest("ACK", cs[0].URI)
	from, _ := inv.From()
	to, _ := ok.To()
	ack.SetFrom(from)
	ack.SetTo(to)
	ack.SetCallID(inv.CallID())
	seq, _ := inv.CSeq()
	ack.SetCSeq(sip.CSeq{Seq: seq.Seq, Method: "ACK"})
	ack.SetHeader("Via", "SIP/2.0/UDP 192.0.2.3:5060;branch="+sip.NewBranch())
	return ack
}

// siptestRequest builds an out-of-dialog request from the raw peer at
// 192.0.2.3.
func siptestRequest(t *testing.T, method, target string) *sip.Request {
	r := siptest.Request(t, method, target)
	r.SetHeader("Via", "SIP/2.0/UDP 192.0.2.3:5060;branch="+sip.NewBranch())
	r.SetHeader("Contact", "<sip:c@192.0.2.3:5060>")
	r.SetHeader("From", "<sip:c@192.0.2.3>;tag="+sip.NewTag())
	return r
}

// drain records every event already queued (inside a synctest bubble).
func (p *peer) drain() {
	for {
		synctest.Wait()
		select {
		case ev := <-p.ev:
			if tr, ok := ev.(ua.TraceEvent); ok {
				p.traces = append(p.traces, tr)
			} else {
				p.log = append(p.log, ev)
			}
		default:
			return
		}
	}
}
