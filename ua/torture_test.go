package ua_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ua/uatest"
)

// tortureWant lists, per RFC 4475 message, the responses a UA that is not
// the addressed user may give; nil means "any final response or none".
// The messages address users at example.com, not our account, so
// well-formed INVITE/MESSAGE get 404 and never ring.
var tortureWant = map[string][]int{
	"intmeth.dat":    {501},
	"esc02.dat":      {501},
	"badvers.dat":    {505, -1}, // -1: none (the SIP/7.0 Via cannot be answered)
	"mismatch01.dat": {400},
	"mismatch02.dat": {501, 400},
	"multi01.dat":    {400},
	"badinv01.dat":   {400, -1},
	"scalar02.dat":   {400, -1}, // the overlarge CSeq cannot be echoed: dropped
	"unkscm.dat":     {416},
	"novelsc.dat":    {416},
	"bext01.dat":     {420, -1}, // TLS Via: the answer needs a TLS connection
	"escruri.dat":    {400},
	"escnull.dat":    {405},
	"regaut01.dat":   {405},
	"lwsdisp.dat":    {200},
	"semiuri.dat":    {404, 200},
	"transports.dat": {200},
	"zeromf.dat":     {200},
	"esc01.dat":      {404},
	"inv2543.dat":    {404},
	"invut.dat":      {415, 404},
	"unreason.dat":   {},
	"noreason.dat":   {},
	"scalarlg.dat":   {},
	"bigcode.dat":    {},
	"bcast.dat":      {},
}

func tortureFiles(t *testing.T) []string {
	files, err := filepath.Glob("testdata/rfc4475/*.dat")
	if err != nil || len(files) < 49 {
		t.Fatalf("torture corpus: %d files, %v", len(files), err)
	}
	return files
}

// viaPort returns where a UAS sends the response to msg: the top Via's
// port (5060 when absent; rport is honoured by the agent but these
// messages carry none with a value).
func viaPort(b []byte) int {
	m, err := sip.Parse(b)
	if err != nil {
		return 5060
	}
	v, err := m.TopVia()
	if err != nil || v.Port == 0 {
		return 5060
	}
	return v.Port
}

func TestTortureSim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, uatest.ServerConfig{})
		defer e.close()
		bob := e.agent("192.0.2.2", "bob", "", func(c *ua.Config) { direct(c); c.AutoAnswer = true })
		bob.wantReg(ua.RegDirect)
		socks := map[int]*raw{}
		// responses to requests with a TCP Via come over a new connection
		ln := e.nw.MustListen(t, "192.0.2.3:5060")
		tcpResp := make(chan *sip.Response, 100)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					f := sip.NewFramer(c, sip.Limits{})
					for {
						m, err := f.Next()
						if err != nil {
							if errors.Is(err, sip.ErrKeepAlivePing) {
								continue
							}
							return
						}
						if r, ok := m.(*sip.Response); ok {
							tcpResp <- r
						}
					}
				}()
			}
		}()
		defer ln.Close()
		for _, f := range tortureFiles(t) {
			name := filepath.Base(f)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			port := viaPort(b)
			r := socks[port]
			if r == nil {
				r = newRaw(t, e, "192.0.2.3:"+itoa(port))
				socks[port] = r
			}
			if _, err := r.pc.WriteTo(b, net.UDPAddrFromAddrPort(bob.addr())); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			cid := ""
			if m, err := sip.Parse(b); err == nil {
				cid = m.CallID()
			}
			var codes []int
			for _, s := range socks {
				for {
					s.pc.SetReadDeadline(time.Now().Add(time.Second))
					buf := make([]byte, 65536)
					n, _, err := s.pc.ReadFromAddrPort(buf)
					if err != nil {
						break
					}
					// only this message's responses, once each (an INVITE's
					// final response is retransmitted until an ACK we never send)
					if resp, err := sip.Parse(buf[:n]); err == nil && !resp.IsRequest() && resp.CallID() == cid {
						if c := resp.(*sip.Response).StatusCode; !slices.Contains(codes, c) {
							codes = append(codes, c)
						}
					}
				}
			}
		tcp:
			for {
				select {
				case r := <-tcpResp:
					if r.CallID() == cid && !slices.Contains(codes, r.StatusCode) {
						codes = append(codes, r.StatusCode)
					}
				default:
					break tcp
				}
			}
			for _, c := range codes {
				if c < 200 && c != 100 {
					t.Errorf("%s: provisional %d (something rang)", name, c)
				}
			}
			finals := slices.DeleteFunc(codes, func(c int) bool { return c < 200 })
			if want, ok := tortureWant[name]; ok {
				if len(want) == 0 && len(finals) > 0 {
					t.Errorf("%s: responses %v, want none", name, finals)
				}
				if len(finals) == 0 && slices.Contains(want, -1) {
					// acceptable: dropped
				} else if len(want) > 0 && (len(finals) != 1 || !slices.Contains(want, finals[0])) {
					t.Errorf("%s: responses %v, want one of %v", name, finals, want)
				}
			} else if len(finals) > 1 {
				t.Errorf("%s: responses %v, want at most one", name, finals)
			}
			t.Logf("%s → %v", name, finals)
		}
		// nothing rang, nothing was reported
		synctest.Wait()
		for {
			select {
			case ev := <-bob.ev:
				switch ev.(type) {
				case ua.TraceEvent, ua.ErrorEvent:
					continue
				}
				t.Errorf("bob reported %s", describe([]ua.Event{ev}))
				continue
			default:
			}
			break
		}
		// and the agent still answers OPTIONS
		r := newRaw(t, e, "192.0.2.4:5060")
		opt := siptest.Request(t, "OPTIONS", "sip:bob@192.0.2.2")
		opt.SetHeader("Via", "SIP/2.0/UDP 192.0.2.4:5060;branch="+sip.NewBranch())
		r.send(opt, bob.addr())
		r.recvResp(200)
	})
}

// TestTortureUDP sends the corpus to an agent on a real loopback socket.
// Responses go where each message's Via says (mostly unreachable ports);
// what matters is that the agent survives and answers OPTIONS after.
func TestTortureUDP(t *testing.T) {
	siptest.CheckGoroutines(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	must(t, err)
	m := &uatest.Media{}
	a, err := ua.New(ua.Config{
		Accounts:      []ua.Account{{User: "bob", Domain: "127.0.0.1", NoRegister: true}},
		PacketConns:   []net.PacketConn{pc},
		Media:         m,
		StatsInterval: -1,
		// a TCP Via would make the agent connect back; keep it local
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return nil, errors.New("no dialing in this test")
		},
	})
	must(t, err)
	must(t, a.Start(bg))
	evDone := make(chan int)
	go func() {
		n := 0
		for ev := range a.Events() {
			switch ev.(type) {
			case ua.CallEvent, ua.MessageEvent:
				n++
			}
		}
		evDone <- n
	}()
	dst := pc.LocalAddr().(*net.UDPAddr)
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	must(t, err)
	defer c.Close()
	for _, f := range tortureFiles(t) {
		b, err := os.ReadFile(f)
		must(t, err)
		if _, err := c.WriteToUDP(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	// OPTIONS with our own Via: the answer must come back
	opt := siptest.Request(t, "OPTIONS", "sip:bob@127.0.0.1")
	la := c.LocalAddr().(*net.UDPAddr).AddrPort()
	opt.SetHeader("Via", "SIP/2.0/UDP "+la.String()+";branch="+sip.NewBranch())
	got := false
	for try := 0; try < 5 && !got; try++ {
		if _, err := c.WriteToUDP(opt.AppendTo(nil), dst); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			buf := make([]byte, 65536)
			n, _, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				break
			}
			if r, err := sip.Parse(buf[:n]); err == nil && !r.IsRequest() && r.(*sip.Response).StatusCode == 200 && r.CallID() == opt.CallID() {
				got = true
				break
			}
		}
	}
	if !got {
		t.Error("no 200 to OPTIONS after the torture corpus")
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	must(t, a.Close(ctx))
	if n := <-evDone; n != 0 {
		t.Errorf("%d call/message events from torture messages", n)
	}
	_ = netip.AddrPort{}
}
