package resolve

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The test zone. Addresses are documentation ranges: Resolve only looks
// them up, nothing is sent to them.
var testZone = []string{
	// NAPTR → SRV → A/AAAA (RFC 3263 §4.1): order 5 beats order 10; within
	// order 10 preference 10 (UDP) beats 50 (TCP).
	`example.test. 300 IN NAPTR 10 50 "s" "SIP+D2T" "" _sip._tcp.example.test.`,
	`example.test. 300 IN NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.example.test.`,
	`example.test. 300 IN NAPTR 5 90 "s" "SIPS+D2T" "" _sips._tcp.example.test.`,
	`example.test. 300 IN NAPTR 1 1 "s" "SIP+D2W" "" _sip._ws.example.test.`, // unsupported service, ignored
	`example.test. 300 IN A 192.0.2.1`,
	`_sips._tcp.example.test. 300 IN SRV 0 0 5061 tls1.example.test.`,
	`_sip._udp.example.test. 300 IN SRV 20 0 5070 udp2.example.test.`,
	`_sip._udp.example.test. 300 IN SRV 10 0 5060 udp1.example.test.`,
	`_sip._tcp.example.test. 300 IN SRV 0 0 5060 tcp1.example.test.`,
	`tls1.example.test. 300 IN A 192.0.2.10`,
	`udp1.example.test. 300 IN A 192.0.2.11`,
	`udp1.example.test. 300 IN AAAA 2001:db8::11`,
	`udp2.example.test. 300 IN A 192.0.2.12`,
	`tcp1.example.test. 300 IN A 192.0.2.13`,

	// SRV without NAPTR.
	`srvonly.test. 300 IN A 192.0.2.40`,
	`_sip._udp.srvonly.test. 300 IN SRV 0 0 5060 a.srvonly.test.`,
	`_sip._tcp.srvonly.test. 300 IN SRV 0 0 5062 b.srvonly.test.`,
	`a.srvonly.test. 300 IN A 192.0.2.41`,
	`b.srvonly.test. 300 IN A 192.0.2.42`,

	// Neither NAPTR nor SRV.
	`plain.test. 300 IN A 192.0.2.20`,
	`plain.test. 300 IN AAAA 2001:db8::20`,

	// CNAME that the server does not chase.
	`alias.test. 300 IN CNAME plain.test.`,

	// "Decidedly not available" (RFC 2782) for UDP; TCP works.
	`dot.test. 300 IN A 192.0.2.50`,
	`_sip._udp.dot.test. 300 IN SRV 0 0 0 .`,
	`_sip._tcp.dot.test. 300 IN SRV 0 0 5060 dot.test.`,

	// Weighted SRV (RFC 2782).
	`weighted.test. 300 IN A 192.0.2.60`,
	`_sip._udp.weighted.test. 300 IN SRV 10 10 5060 w10.weighted.test.`,
	`_sip._udp.weighted.test. 300 IN SRV 10 30 5060 w30.weighted.test.`,
	`_sip._udp.weighted.test. 300 IN SRV 10 60 5060 w60.weighted.test.`,
	`_sip._udp.weighted.test. 300 IN SRV 20 100 5060 backup.weighted.test.`,
	`w10.weighted.test. 300 IN A 192.0.2.61`,
	`w30.weighted.test. 300 IN A 192.0.2.62`,
	`w60.weighted.test. 300 IN A 192.0.2.63`,
	`backup.weighted.test. 300 IN A 192.0.2.64`,

	// Answered only over TCP.
	`big.test. 300 IN A 192.0.2.70`,

	// SRV target without addresses is skipped.
	`broken.test. 300 IN A 192.0.2.80`,
	`_sip._udp.broken.test. 300 IN SRV 0 0 5060 missing.broken.test.`,
	`_sip._udp.broken.test. 300 IN SRV 1 0 5090 ok.broken.test.`,
	`ok.broken.test. 300 IN A 192.0.2.81`,
}

func newTestResolver(t *testing.T, srv *testDNS, mod func(*Config)) *Resolver {
	t.Helper()
	cfg := Config{
		Servers: []string{srv.addr},
		Timeout: 2 * time.Second,
		Rand:    rand.New(rand.NewPCG(1, 2)),
	}
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func targetStrings(ts []Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String()+" "+t.Host)
	}
	return out
}

func TestResolve(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	r := newTestResolver(t, srv, nil)
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"naptr order then preference", Query{Host: "example.test"}, []string{
			"tls:192.0.2.10:5061 tls1.example.test",
			"udp:192.0.2.11:5060 udp1.example.test",
			"udp:[2001:db8::11]:5060 udp1.example.test",
			"udp:192.0.2.12:5070 udp2.example.test",
			"tcp:192.0.2.13:5060 tcp1.example.test",
		}},
		{"sips keeps only SIPS+D2T", Query{Host: "example.test", Secure: true}, []string{
			"tls:192.0.2.10:5061 tls1.example.test",
		}},
		{"trailing dot and case", Query{Host: "Example.TEST."}, []string{
			"tls:192.0.2.10:5061 tls1.example.test",
			"udp:192.0.2.11:5060 udp1.example.test",
			"udp:[2001:db8::11]:5060 udp1.example.test",
			"udp:192.0.2.12:5070 udp2.example.test",
			"tcp:192.0.2.13:5060 tcp1.example.test",
		}},
		{"explicit port skips naptr and srv", Query{Host: "example.test", Port: 5080}, []string{
			"udp:192.0.2.1:5080 example.test",
		}},
		{"explicit port sips", Query{Host: "example.test", Port: 5081, Secure: true}, []string{
			"tls:192.0.2.1:5081 example.test",
		}},
		{"explicit transport uses its srv", Query{Host: "example.test", Transport: "TCP"}, []string{
			"tcp:192.0.2.13:5060 tcp1.example.test",
		}},
		{"sips with transport=tcp is tls", Query{Host: "example.test", Transport: "tcp", Secure: true}, []string{
			"tls:192.0.2.10:5061 tls1.example.test",
		}},
		{"explicit transport without srv falls to A", Query{Host: "plain.test", Transport: "tcp"}, []string{
			"tcp:192.0.2.20:5060 plain.test",
			"tcp:[2001:db8::20]:5060 plain.test",
		}},
		{"no naptr: srv per transport", Query{Host: "srvonly.test"}, []string{
			"udp:192.0.2.41:5060 a.srvonly.test",
			"tcp:192.0.2.42:5062 b.srvonly.test",
		}},
		{"no naptr sips: no _sips srv, A with tls", Query{Host: "srvonly.test", Secure: true}, []string{
			"tls:192.0.2.40:5061 srvonly.test",
		}},
		{"nothing: A/AAAA with udp", Query{Host: "plain.test"}, []string{
			"udp:192.0.2.20:5060 plain.test",
			"udp:[2001:db8::20]:5060 plain.test",
		}},
		{"nothing sips: tls 5061", Query{Host: "plain.test", Secure: true}, []string{
			"tls:192.0.2.20:5061 plain.test",
			"tls:[2001:db8::20]:5061 plain.test",
		}},
		{"cname followed", Query{Host: "alias.test", Port: 5060}, []string{
			"udp:192.0.2.20:5060 alias.test",
			"udp:[2001:db8::20]:5060 alias.test",
		}},
		{"srv target '.' means unavailable", Query{Host: "dot.test"}, []string{
			"tcp:192.0.2.50:5060 dot.test",
		}},
		{"srv target without address skipped", Query{Host: "broken.test", Transport: "udp"}, []string{
			"udp:192.0.2.81:5090 ok.broken.test",
		}},
		{"ipv4 literal", Query{Host: "192.0.2.5"}, []string{"udp:192.0.2.5:5060 192.0.2.5"}},
		{"ipv4 literal with port and transport", Query{Host: "192.0.2.5", Port: 5070, Transport: "tcp"}, []string{"tcp:192.0.2.5:5070 192.0.2.5"}},
		{"ipv6 literal in brackets", Query{Host: "[2001:db8::1]"}, []string{"udp:[2001:db8::1]:5060 2001:db8::1"}},
		{"ipv6 literal sips", Query{Host: "[2001:db8::1]", Secure: true}, []string{"tls:[2001:db8::1]:5061 2001:db8::1"}},
		{"localhost never asks dns", Query{Host: "localhost", Port: 5099}, []string{
			"udp:127.0.0.1:5099 localhost",
			"udp:[::1]:5099 localhost",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Resolve(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("Resolve(%+v): %v", tt.q, err)
			}
			if g := targetStrings(got); !slices.Equal(g, tt.want) {
				t.Errorf("Resolve(%+v) =\n  %s\nwant\n  %s", tt.q, strings.Join(g, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
	for _, q := range srv.queries() {
		if q.name == "localhost." {
			t.Errorf("localhost was sent to DNS: %v", q)
		}
	}
}

func TestExplicitPortAsksOnlyAddresses(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	r := newTestResolver(t, srv, nil)
	if _, err := r.Resolve(t.Context(), Query{Host: "example.test", Port: 5080}); err != nil {
		t.Fatal(err)
	}
	for _, q := range srv.queries() {
		if q.qtype != dns.TypeA && q.qtype != dns.TypeAAAA {
			t.Errorf("query %v made for an explicit port, want A/AAAA only", q)
		}
	}
}

func TestTransportFiltering(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	r := newTestResolver(t, srv, func(c *Config) { c.Transports = []string{"udp"} })
	got, err := r.Resolve(t.Context(), Query{Host: "example.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range got {
		if tg.Transport != UDP {
			t.Errorf("target %v with only udp enabled", tg)
		}
	}
	if len(got) != 3 {
		t.Errorf("got %d targets, want the 3 UDP ones: %v", len(got), targetStrings(got))
	}
	if _, err := r.Resolve(t.Context(), Query{Host: "example.test", Secure: true}); !errors.Is(err, ErrTransport) {
		t.Errorf("sips with only udp = %v, want ErrTransport", err)
	}
	if _, err := r.Resolve(t.Context(), Query{Host: "example.test", Transport: "tcp"}); !errors.Is(err, ErrTransport) {
		t.Errorf("transport=tcp with only udp = %v, want ErrTransport", err)
	}
	r2 := newTestResolver(t, srv, nil)
	for _, q := range []Query{
		{Host: "example.test", Transport: "udp", Secure: true},
		{Host: "example.test", Transport: "sctp"},
	} {
		if _, err := r2.Resolve(t.Context(), q); !errors.Is(err, ErrTransport) {
			t.Errorf("Resolve(%+v) = %v, want ErrTransport", q, err)
		}
	}
	if _, err := New(Config{Servers: []string{srv.addr}, Transports: []string{"ws"}}); !errors.Is(err, ErrTransport) {
		t.Errorf("New with ws = %v, want ErrTransport", err)
	}
}

func TestNXDomain(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	r := newTestResolver(t, srv, nil)
	for _, q := range []Query{
		{Host: "nonexistent.test"},
		{Host: "nonexistent.test", Port: 5060},
		{Host: "nonexistent.test", Transport: "tcp"},
	} {
		_, err := r.Resolve(t.Context(), q)
		if !errors.Is(err, ErrNXDomain) || !errors.Is(err, ErrNoTargets) {
			t.Errorf("Resolve(%+v) = %v, want ErrNXDomain and ErrNoTargets", q, err)
		}
	}
	// RFC 8020: after NXDOMAIN on the NAPTR name no SRV is asked.
	if n := srv.count("_sip._udp.nonexistent.test.", dns.TypeSRV); n != 0 {
		t.Errorf("SRV asked %d times under an NXDOMAIN name, want 0", n)
	}
}

func TestWeightedSelection(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	r := newTestResolver(t, srv, func(c *Config) { c.Rand = rand.New(rand.NewPCG(42, 42)) })
	const n = 3000
	first := map[string]int{}
	for range n {
		got, err := r.Resolve(t.Context(), Query{Host: "weighted.test", Transport: "udp"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Fatalf("got %d targets, want 4", len(got))
		}
		if got[3].Host != "backup.weighted.test" {
			t.Fatalf("last target %v, want the priority-20 backup", got[3])
		}
		first[got[0].Host]++
	}
	// Expected shares 10/100, 30/100, 60/100 (weights over sum+1 ≈ same).
	for host, want := range map[string]float64{"w10.weighted.test": 0.10, "w30.weighted.test": 0.30, "w60.weighted.test": 0.60} {
		got := float64(first[host]) / n
		if got < want-0.04 || got > want+0.04 {
			t.Errorf("%s first in %.3f of runs, want %.2f±0.04", host, got, want)
		}
	}
	// All from cache after the first round: SRV asked once.
	if c := srv.count("_sip._udp.weighted.test.", dns.TypeSRV); c != 1 {
		t.Errorf("SRV asked %d times, want 1 (cached)", c)
	}
}

func TestOrderSRVZeroWeight(t *testing.T) {
	recs := []*dns.SRV{
		{Priority: 1, Weight: 0, Target: "z1."},
		{Priority: 1, Weight: 0, Target: "z2."},
		{Priority: 0, Weight: 5, Target: "p0."},
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	counts := map[string]int{}
	for range 1000 {
		got := orderSRV(recs, rnd)
		if got[0].Target != "p0." || len(got) != 3 {
			t.Fatalf("order = %v, want priority 0 first", got)
		}
		counts[got[1].Target]++
	}
	// Both zero-weight records are chosen (a zero sum picks the first
	// zero-weight entry each round, RFC 2782): z1 always precedes z2.
	if counts["z1."] != 1000 {
		t.Errorf("z1 second in %d of 1000, want all", counts["z1."])
	}
}

func TestTCPFallbackOnTruncation(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	srv.mu.Lock()
	srv.truncate["big.test."] = true
	srv.mu.Unlock()
	r := newTestResolver(t, srv, func(c *Config) { c.NoIPv6 = true })
	got, err := r.Resolve(t.Context(), Query{Host: "big.test", Port: 5060})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"udp:192.0.2.70:5060 big.test"}; !slices.Equal(targetStrings(got), want) {
		t.Errorf("got %v, want %v", targetStrings(got), want)
	}
	var nets []string
	for _, q := range srv.queries() {
		if q.name == "big.test." {
			nets = append(nets, q.net)
		}
	}
	if !slices.Equal(nets, []string{"udp", "tcp"}) {
		t.Errorf("queries for big.test over %v, want [udp tcp]", nets)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCacheTTLAndBound(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	srv.add(t, `short.test. 5 IN A 192.0.2.90`)
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	r := newTestResolver(t, srv, func(c *Config) { c.Now = clk.Now; c.NoIPv6 = true })
	q := Query{Host: "short.test", Port: 5060}
	for range 3 {
		if _, err := r.Resolve(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.count("short.test.", dns.TypeA); n != 1 {
		t.Errorf("A asked %d times within TTL, want 1", n)
	}
	clk.Add(6 * time.Second)
	if _, err := r.Resolve(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	if n := srv.count("short.test.", dns.TypeA); n != 2 {
		t.Errorf("A asked %d times after TTL, want 2", n)
	}
	// Negative answers are cached too (SOA minimum 30 s, RFC 2308).
	for range 2 {
		_, _ = r.Resolve(t.Context(), Query{Host: "nonexistent.test", Port: 5060})
	}
	if n := srv.count("nonexistent.test.", dns.TypeA); n != 1 {
		t.Errorf("NXDOMAIN asked %d times, want 1 (negative cache)", n)
	}

	small := newTestResolver(t, srv, func(c *Config) { c.CacheSize = 2 })
	for _, h := range []string{"plain.test", "srvonly.test", "example.test", "weighted.test"} {
		if _, err := small.Resolve(t.Context(), Query{Host: h, Port: 5060}); err != nil {
			t.Fatal(err)
		}
	}
	if n := small.cacheLen(); n != 2 {
		t.Errorf("cache holds %d entries, want the bound 2", n)
	}
}

func TestHostsPinning(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	pbx := netip.MustParseAddr("127.0.0.2")
	r := newTestResolver(t, srv, func(c *Config) {
		c.Hosts = map[string][]netip.Addr{"PBX.Local": {pbx}, "localhost": {netip.MustParseAddr("127.0.0.1")}}
	})
	got, err := r.Resolve(t.Context(), Query{Host: "pbx.local."})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"udp:127.0.0.2:5060 pbx.local"}; !slices.Equal(targetStrings(got), want) {
		t.Errorf("got %v, want %v", targetStrings(got), want)
	}
	got, err = r.Resolve(t.Context(), Query{Host: "localhost", Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tls:127.0.0.1:5061 localhost"}; !slices.Equal(targetStrings(got), want) {
		t.Errorf("got %v, want %v", targetStrings(got), want)
	}
	if q := srv.queries(); len(q) != 0 {
		t.Errorf("pinned names sent queries: %v", q)
	}
}

func TestDNSServerFailover(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	// A loopback UDP port with nothing behind it: the kernel answers
	// "connection refused", so the resolver moves to the next server.
	dead := deadUDPAddr(t)
	r := newTestResolver(t, srv, func(c *Config) {
		c.Servers = []string{dead, srv.addr}
		c.Timeout = 500 * time.Millisecond
	})
	got, err := r.Resolve(t.Context(), Query{Host: "plain.test", Port: 5060})
	if err != nil {
		t.Fatalf("Resolve with a dead first server: %v", err)
	}
	if len(got) != 2 {
		t.Errorf("got %v", targetStrings(got))
	}

	only := newTestResolver(t, srv, func(c *Config) {
		c.Servers = []string{dead}
		c.Timeout = 500 * time.Millisecond
	})
	if _, err := only.Resolve(t.Context(), Query{Host: "plain.test", Port: 5060}); !errors.Is(err, ErrDNS) {
		t.Errorf("Resolve with only a dead server = %v, want ErrDNS", err)
	}

	srv.mu.Lock()
	srv.servfail["plain.test."] = true
	srv.mu.Unlock()
	sf := newTestResolver(t, srv, nil)
	if _, err := sf.Resolve(t.Context(), Query{Host: "plain.test", Port: 5060}); !errors.Is(err, ErrDNS) {
		t.Errorf("Resolve on SERVFAIL = %v, want ErrDNS", err)
	}
}

func TestResolvConfDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte("nameserver 127.0.0.53\nnameserver ::1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{ResolvConf: path})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"127.0.0.53:53", "[::1]:53"}; !slices.Equal(r.servers, want) {
		t.Errorf("servers = %v, want %v", r.servers, want)
	}
	if _, err := New(Config{ResolvConf: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("New with a missing resolv.conf = nil error")
	}
	// Servers without a port get 53.
	r, err = New(Config{Servers: []string{"127.0.0.1", "::1"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"127.0.0.1:53", "[::1]:53"}; !slices.Equal(r.servers, want) {
		t.Errorf("servers = %v, want %v", r.servers, want)
	}
}

func TestBadQueries(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	r := newTestResolver(t, srv, nil)
	// RFC 2782 "." with an explicit transport: no fallback to A.
	if _, err := r.Resolve(t.Context(), Query{Host: "dot.test", Transport: "udp"}); !errors.Is(err, ErrNoTargets) {
		t.Errorf("Resolve(dot.test;transport=udp) = %v, want ErrNoTargets", err)
	}
	for _, q := range []Query{{Host: ""}, {Host: "[]"}, {Host: "plain.test", Port: 70000}} {
		if _, err := r.Resolve(t.Context(), q); !errors.Is(err, ErrNoTargets) {
			t.Errorf("Resolve(%+v) = %v, want ErrNoTargets", q, err)
		}
	}
}

func TestConcurrentResolve(t *testing.T) {
	srv := newTestDNS(t, testZone...)
	r := newTestResolver(t, srv, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			hosts := []string{"example.test", "weighted.test", "srvonly.test", "plain.test"}
			for j := range 20 {
				if _, err := r.Resolve(t.Context(), Query{Host: hosts[(i+j)%len(hosts)]}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
