package resolve

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// testDNS is an in-process authoritative DNS server on 127.0.0.1 (UDP and
// TCP on the same port) serving a zone built from RR strings.
type testDNS struct {
	addr string

	mu       sync.Mutex
	zone     map[zkey][]dns.RR
	names    map[string]bool // every owner name, for NXDOMAIN vs NODATA
	truncate map[string]bool // names whose UDP answers come back truncated
	servfail map[string]bool
	log      []queryLog
}

type zkey struct {
	name  string
	qtype uint16
}

type queryLog struct {
	name  string
	qtype uint16
	net   string
}

func (q queryLog) String() string {
	return fmt.Sprintf("%s %s/%s", q.net, q.name, dns.TypeToString[q.qtype])
}

func newTestDNS(t testing.TB, records ...string) *testDNS {
	t.Helper()
	s := &testDNS{
		zone:     map[zkey][]dns.RR{},
		names:    map[string]bool{},
		truncate: map[string]bool{},
		servfail: map[string]bool{},
	}
	s.add(t, records...)

	// UDP and TCP must share the port: the client falls back to TCP on the
	// same address. Bounded retries in case the TCP port is taken.
	var pc net.PacketConn
	var ln net.Listener
	for range 20 {
		p, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen udp: %v", err)
		}
		l, err := net.Listen("tcp", p.LocalAddr().String())
		if err != nil {
			p.Close()
			continue
		}
		pc, ln = p, l
		break
	}
	if pc == nil {
		t.Fatal("could not bind udp and tcp on one loopback port")
	}
	s.addr = pc.LocalAddr().String()

	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: ln, Handler: s}
	var wg sync.WaitGroup
	for _, srv := range []*dns.Server{udp, tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		wg.Go(func() { _ = srv.ActivateAndServe() })
		<-started
	}
	t.Cleanup(func() {
		_ = udp.Shutdown()
		_ = tcp.Shutdown()
		wg.Wait()
	})
	return s
}

func (s *testDNS) add(t testing.TB, records ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, text := range records {
		rr, err := dns.NewRR(text)
		if err != nil {
			t.Fatalf("bad test record %q: %v", text, err)
		}
		h := rr.Header()
		name := strings.ToLower(h.Name)
		s.zone[zkey{name, h.Rrtype}] = append(s.zone[zkey{name, h.Rrtype}], rr)
		s.names[name] = true
	}
}

func (s *testDNS) queries() []queryLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]queryLog(nil), s.log...)
}

func (s *testDNS) count(name string, qtype uint16) int {
	n := 0
	for _, q := range s.queries() {
		if q.name == name && q.qtype == qtype {
			n++
		}
	}
	return n
}

func (s *testDNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	network := w.LocalAddr().Network()

	s.mu.Lock()
	s.log = append(s.log, queryLog{name: name, qtype: q.Qtype, net: network})
	soa, _ := dns.NewRR("test. 30 IN SOA ns.test. admin.test. 1 3600 600 86400 30")
	switch {
	case s.servfail[name]:
		m.Rcode = dns.RcodeServerFailure
	case s.truncate[name] && network == "udp":
		m.Truncated = true
	case !s.names[name]:
		m.Rcode = dns.RcodeNameError
		m.Ns = append(m.Ns, soa)
	default:
		m.Answer = append(m.Answer, s.zone[zkey{name, q.Qtype}]...)
		if len(m.Answer) == 0 {
			// A CNAME alone: the resolver follows it itself.
			m.Answer = append(m.Answer, s.zone[zkey{name, dns.TypeCNAME}]...)
		}
		if len(m.Answer) == 0 {
			m.Ns = append(m.Ns, soa)
		}
	}
	s.mu.Unlock()
	_ = w.WriteMsg(m)
}
