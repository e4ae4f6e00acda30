package resolve

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Transports (RFC 3261 §18; "tls" is TLS over TCP as used by sips).
const (
	UDP = "udp"
	TCP = "tcp"
	TLS = "tls"
)

// Sentinel errors.
var (
	// ErrNXDomain reports that the domain does not exist (DNS NXDOMAIN).
	ErrNXDomain = errors.New("resolve: no such domain")
	// ErrNoTargets reports that resolution found no usable target.
	ErrNoTargets = errors.New("resolve: no targets")
	// ErrDNS reports that no DNS server gave an answer (timeout, SERVFAIL,
	// REFUSED, network error).
	ErrDNS = errors.New("resolve: dns lookup failed")
	// ErrTransport reports a transport that is unknown, not enabled in
	// Config.Transports, or not allowed for sips (UDP).
	ErrTransport = errors.New("resolve: unsupported transport")
	// ErrTryNext, wrapped by an attempt's error, tells Try to move to the
	// next target (for instance on a 503, RFC 3263 §4.3).
	ErrTryNext = errors.New("resolve: try next target")
	// ErrExhausted reports that Try ran out of targets.
	ErrExhausted = errors.New("resolve: all targets failed")
)

// Query is what RFC 3263 §4 starts from: parts of a SIP or SIPS URI.
type Query struct {
	Host      string // host part: name, IPv4, or IPv6 (brackets allowed)
	Port      int    // 0 when the URI has none
	Transport string // the transport URI parameter, "" when absent
	Secure    bool   // sips URI
}

// Target is one place to send a request. For TLS, check the server
// certificate against the URI's domain (Query.Host, RFC 5922 §4), not
// against Host, which may be an SRV target.
type Target struct {
	Transport string     // UDP, TCP or TLS
	Host      string     // the name whose address records gave IP (an SRV target, or the URI host)
	IP        netip.Addr // address to connect to
	Port      int
}

// AddrPort returns the target's IP and port.
func (t Target) AddrPort() netip.AddrPort { return netip.AddrPortFrom(t.IP, uint16(t.Port)) }

// String returns "transport:ip:port" with brackets for IPv6.
func (t Target) String() string { return t.Transport + ":" + t.AddrPort().String() }

// Config configures a Resolver. The zero value reads /etc/resolv.conf.
type Config struct {
	// Servers are DNS servers as host:port (port 53 when absent), tried in
	// order. Nil means the nameservers of ResolvConf.
	Servers []string
	// ResolvConf is read when Servers is nil; "" means /etc/resolv.conf.
	ResolvConf string
	// Timeout bounds one DNS exchange with one server; 0 means 2 s.
	Timeout time.Duration
	// Transports are the transports this client supports, in the order SRV
	// queries are made when there is no NAPTR (RFC 3263 §4.1). Nil means
	// udp, tcp, tls.
	Transports []string
	// Rand drives the RFC 2782 weighted selection; nil means a generator
	// seeded from crypto/rand. Tests pass a fixed seed. Guarded by the
	// Resolver's lock, so it need not be safe for concurrent use.
	Rand *rand.Rand
	// Hosts pins names to addresses like /etc/hosts; names are
	// case-insensitive, without a trailing dot. A pinned name (and
	// "localhost", RFC 6761 §6.3, unless pinned otherwise) is treated like a
	// numeric address: no NAPTR or SRV lookup.
	Hosts map[string][]netip.Addr
	// NoIPv6 skips AAAA lookups; PreferIPv6 puts IPv6 addresses first.
	NoIPv6     bool
	PreferIPv6 bool
	// CacheSize bounds the number of cached DNS answers; 0 means 512,
	// negative disables caching.
	CacheSize int
	// AttemptTimeout, when positive, bounds each attempt made by Try.
	AttemptTimeout time.Duration
	// Now is the clock for cache expiry; nil means time.Now.
	Now func() time.Time
}

// Resolver resolves SIP URIs. It is safe for concurrent use.
type Resolver struct {
	cfg     Config
	servers []string
	hosts   map[string][]netip.Addr
	udp     *dns.Client
	tcp     *dns.Client

	mu    sync.Mutex // guards rnd and cache
	rnd   *rand.Rand
	cache *cache
}

// New returns a Resolver for cfg.
func New(cfg Config) (*Resolver, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Transports == nil {
		cfg.Transports = []string{UDP, TCP, TLS}
	}
	cfg.Transports = slices.Clone(cfg.Transports)
	for i, t := range cfg.Transports {
		t = strings.ToLower(t)
		if t != UDP && t != TCP && t != TLS {
			return nil, fmt.Errorf("%w: %q", ErrTransport, t)
		}
		cfg.Transports[i] = t
	}
	servers := slices.Clone(cfg.Servers)
	if servers == nil {
		path := cfg.ResolvConf
		if path == "" {
			path = "/etc/resolv.conf"
		}
		cc, err := dns.ClientConfigFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("resolve: reading %s: %w", path, err)
		}
		for _, s := range cc.Servers {
			servers = append(servers, net.JoinHostPort(s, cc.Port))
		}
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("%w: no dns servers configured", ErrDNS)
	}
	for i, s := range servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			servers[i] = net.JoinHostPort(strings.Trim(s, "[]"), "53")
		}
	}
	hosts := make(map[string][]netip.Addr, len(cfg.Hosts)+1)
	// RFC 6761 §6.3: localhost resolves to loopback without asking DNS.
	hosts["localhost"] = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	for name, addrs := range cfg.Hosts {
		hosts[canonical(name)] = slices.Clone(addrs)
	}
	rnd := cfg.Rand
	if rnd == nil {
		var seed [16]byte
		if _, err := crand.Read(seed[:]); err != nil {
			return nil, fmt.Errorf("resolve: seeding: %w", err)
		}
		rnd = rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	}
	size := cfg.CacheSize
	if size == 0 {
		size = 512
	}
	return &Resolver{
		cfg:     cfg,
		servers: servers,
		hosts:   hosts,
		udp:     &dns.Client{Net: "udp", Timeout: cfg.Timeout, UDPSize: dns.DefaultMsgSize},
		tcp:     &dns.Client{Net: "tcp", Timeout: cfg.Timeout},
		rnd:     rnd,
		cache:   newCache(size),
	}, nil
}

func canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

func (r *Resolver) supports(t string) bool { return slices.Contains(r.cfg.Transports, t) }

func defaultPort(transport string) int {
	if transport == TLS {
		return 5061 // RFC 3261 §19.1.2
	}
	return 5060
}

// Resolve returns the ordered targets for q (RFC 3263 §4.1, §4.2).
func (r *Resolver) Resolve(ctx context.Context, q Query) ([]Target, error) {
	host := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(q.Host, "["), "]"), ".")
	if host == "" {
		return nil, fmt.Errorf("%w: empty host", ErrNoTargets)
	}
	if q.Port < 0 || q.Port > 65535 {
		return nil, fmt.Errorf("%w: port %d out of range", ErrNoTargets, q.Port)
	}
	transport, err := r.explicitTransport(q)
	if err != nil {
		return nil, err
	}
	if q.Secure && !r.supports(TLS) {
		return nil, fmt.Errorf("%w: sips needs tls, which is not enabled", ErrTransport)
	}

	// §4.1/§4.2: a numeric IP needs no lookup; transport UDP for sip, TLS
	// for sips unless given.
	if ip, err := netip.ParseAddr(host); err == nil {
		t := r.fallbackTransport(transport, q.Secure)
		return []Target{{Transport: t, Host: host, IP: ip.Unmap(), Port: portOr(q.Port, t)}}, nil
	}
	if addrs, ok := r.hosts[canonical(host)]; ok {
		t := r.fallbackTransport(transport, q.Secure)
		ts := r.addrTargets(host, addrs, t, portOr(q.Port, t))
		if len(ts) == 0 {
			return nil, fmt.Errorf("%w: %s: no usable static address", ErrNoTargets, host)
		}
		return ts, nil
	}
	fqdn := dns.Fqdn(host)

	// §4.2: an explicit port means A/AAAA only.
	if q.Port != 0 {
		t := r.fallbackTransport(transport, q.Secure)
		return r.addresses(ctx, fqdn, t, q.Port)
	}

	// §4.1: an explicit transport means SRV for it, then A/AAAA.
	if transport != "" {
		ts, err := r.srvTargets(ctx, srvName(transport, fqdn), transport)
		if err == nil && len(ts) > 0 {
			return ts, nil
		}
		if errors.Is(err, errUnavailable) {
			return nil, fmt.Errorf("%w: %s: %w", ErrNoTargets, host, err)
		}
		if errors.Is(err, ErrNXDomain) {
			// The SRV name not existing says nothing about the host.
			err = nil
		}
		if err != nil && !errors.Is(err, errNoRecords) {
			return nil, err
		}
		return r.addresses(ctx, fqdn, transport, defaultPort(transport))
	}

	// §4.1: NAPTR.
	ts, err := r.naptrTargets(ctx, fqdn, q.Secure)
	if err != nil {
		if errors.Is(err, ErrNXDomain) {
			// RFC 8020: nothing exists at or below an NXDOMAIN name.
			return nil, fmt.Errorf("%w: %s: %w", ErrNoTargets, host, err)
		}
		if !errors.Is(err, errNoRecords) {
			return nil, err
		}
	}
	if len(ts) > 0 {
		return ts, nil
	}
	// §4.1: no (usable) NAPTR: SRV for each supported transport.
	for _, t := range r.cfg.Transports {
		if q.Secure && t != TLS {
			continue
		}
		st, err := r.srvTargets(ctx, srvName(t, fqdn), t)
		if err != nil && !errors.Is(err, errNoRecords) && !errors.Is(err, ErrNXDomain) && !errors.Is(err, errUnavailable) {
			return nil, err
		}
		ts = append(ts, st...)
	}
	if len(ts) > 0 {
		return ts, nil
	}
	// §4.1/§4.2: no SRV: A/AAAA with UDP (sip) or TLS (sips) on the default port.
	t := r.fallbackTransport("", q.Secure)
	return r.addresses(ctx, fqdn, t, defaultPort(t))
}

// explicitTransport validates the transport parameter (RFC 3261 §19.1.1;
// RFC 3263 §4.1: sips needs TLS, so transport=tcp means TLS and UDP is out).
func (r *Resolver) explicitTransport(q Query) (string, error) {
	t := strings.ToLower(q.Transport)
	switch t {
	case "":
		return "", nil
	case UDP, TCP, TLS:
	default:
		return "", fmt.Errorf("%w: %q", ErrTransport, q.Transport)
	}
	if q.Secure {
		if t == UDP {
			return "", fmt.Errorf("%w: udp with a sips uri", ErrTransport)
		}
		t = TLS
	}
	if !r.supports(t) {
		return "", fmt.Errorf("%w: %q not enabled", ErrTransport, t)
	}
	return t, nil
}

// fallbackTransport is the transport when none was given and no NAPTR/SRV
// applies: UDP for sip, TLS for sips (RFC 3263 §4.1), or the first
// supported one if UDP is disabled.
func (r *Resolver) fallbackTransport(explicit string, secure bool) string {
	if explicit != "" {
		return explicit
	}
	if secure {
		return TLS
	}
	if r.supports(UDP) {
		return UDP
	}
	return r.cfg.Transports[0]
}

func portOr(port int, transport string) int {
	if port != 0 {
		return port
	}
	return defaultPort(transport)
}

// srvName is the SRV owner name for a transport (RFC 3263 §4.2, RFC 2782).
func srvName(transport, fqdn string) string {
	switch transport {
	case TLS:
		return "_sips._tcp." + fqdn
	case TCP:
		return "_sip._tcp." + fqdn
	default:
		return "_sip._udp." + fqdn
	}
}

// errUnavailable is an SRV answer whose only target is "." (RFC 2782).
var errUnavailable = errors.New("service decidedly not available")

// naptrService maps NAPTR services to transports (RFC 3263 §4.1).
var naptrService = map[string]string{"sip+d2u": UDP, "sip+d2t": TCP, "sips+d2t": TLS}

func (r *Resolver) naptrTargets(ctx context.Context, fqdn string, secure bool) ([]Target, error) {
	rrs, err := r.lookup(ctx, fqdn, dns.TypeNAPTR)
	if err != nil {
		return nil, err
	}
	var recs []*dns.NAPTR
	for _, rr := range rrs {
		n, ok := rr.(*dns.NAPTR)
		if !ok || !strings.EqualFold(n.Flags, "s") || n.Replacement == "" || n.Replacement == "." {
			continue // RFC 3263 §4.1 uses only "s" records with a replacement
		}
		t, ok := naptrService[strings.ToLower(n.Service)]
		if !ok || !r.supports(t) || (secure && t != TLS) {
			continue
		}
		recs = append(recs, n)
	}
	// RFC 3403 §4.1: ascending order, then ascending preference.
	slices.SortStableFunc(recs, func(a, b *dns.NAPTR) int {
		if a.Order != b.Order {
			return int(a.Order) - int(b.Order)
		}
		return int(a.Preference) - int(b.Preference)
	})
	var out []Target
	for _, n := range recs {
		t := naptrService[strings.ToLower(n.Service)]
		ts, err := r.srvTargets(ctx, n.Replacement, t)
		if err != nil && !errors.Is(err, errNoRecords) && !errors.Is(err, ErrNXDomain) && !errors.Is(err, errUnavailable) {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

// srvTargets looks up an SRV name and expands its targets to addresses in
// RFC 2782 order.
func (r *Resolver) srvTargets(ctx context.Context, name, transport string) ([]Target, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeSRV)
	if err != nil {
		return nil, err
	}
	var recs []*dns.SRV
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SRV); ok {
			recs = append(recs, s)
		}
	}
	// RFC 2782: a single record with target "." means "decidedly not available".
	if len(recs) == 1 && recs[0].Target == "." {
		return nil, fmt.Errorf("%s: %w", name, errUnavailable)
	}
	r.mu.Lock()
	ordered := orderSRV(recs, r.rnd)
	r.mu.Unlock()
	var out []Target
	for _, s := range ordered {
		if s.Target == "." {
			continue
		}
		ts, err := r.addresses(ctx, s.Target, transport, int(s.Port))
		if err != nil {
			continue // an SRV target without addresses is skipped
		}
		out = append(out, ts...)
	}
	return out, nil
}

// orderSRV sorts by priority and, within a priority, applies the RFC 2782
// weighted selection: zero-weight records first, running sums, a uniform
// random number in [0, sum], the first record whose running sum reaches it.
func orderSRV(recs []*dns.SRV, rnd *rand.Rand) []*dns.SRV {
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b *dns.SRV) int { return int(a.Priority) - int(b.Priority) })
	out := make([]*dns.SRV, 0, len(recs))
	for i := 0; i < len(recs); {
		j := i
		for j < len(recs) && recs[j].Priority == recs[i].Priority {
			j++
		}
		group := slices.Clone(recs[i:j])
		// Zero weights first, keeping order otherwise.
		slices.SortStableFunc(group, func(a, b *dns.SRV) int {
			return boolInt(a.Weight != 0) - boolInt(b.Weight != 0)
		})
		for len(group) > 0 {
			sum := 0
			for _, s := range group {
				sum += int(s.Weight)
			}
			pick := rnd.IntN(sum + 1)
			run := 0
			k := 0
			for k = range group {
				run += int(group[k].Weight)
				if run >= pick {
					break
				}
			}
			out = append(out, group[k])
			group = slices.Delete(group, k, k+1)
		}
		i = j
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// addresses looks up A and AAAA for name (or the static hosts) and returns
// one target per address.
func (r *Resolver) addresses(ctx context.Context, name, transport string, port int) ([]Target, error) {
	host := strings.TrimSuffix(name, ".")
	if addrs, ok := r.hosts[canonical(host)]; ok {
		return r.addrTargets(host, addrs, transport, port), nil
	}
	type result struct {
		rrs []dns.RR
		err error
	}
	var v4, v6 result
	var wg sync.WaitGroup
	wg.Go(func() { v4.rrs, v4.err = r.lookup(ctx, name, dns.TypeA) })
	if !r.cfg.NoIPv6 {
		wg.Go(func() { v6.rrs, v6.err = r.lookup(ctx, name, dns.TypeAAAA) })
	} else {
		v6.err = errNoRecords
	}
	wg.Wait()
	var addrs []netip.Addr
	// Cached slices are shared: read them, never append to them.
	for _, rr := range slices.Concat(v4.rrs, v6.rrs) {
		switch a := rr.(type) {
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(a.A.To4()); ok {
				addrs = append(addrs, ip)
			}
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(a.AAAA.To16()); ok {
				addrs = append(addrs, ip)
			}
		}
	}
	if len(addrs) == 0 {
		err := v4.err
		if err == nil || errors.Is(err, errNoRecords) {
			err = v6.err
		}
		if err == nil {
			err = errNoRecords
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrNoTargets, host, err)
	}
	return r.addrTargets(host, addrs, transport, port), nil
}

func (r *Resolver) addrTargets(host string, addrs []netip.Addr, transport string, port int) []Target {
	var v4, v6 []Target
	for _, a := range addrs {
		a = a.Unmap()
		t := Target{Transport: transport, Host: host, IP: a, Port: port}
		if a.Is4() {
			v4 = append(v4, t)
		} else if !r.cfg.NoIPv6 {
			v6 = append(v6, t)
		}
	}
	if r.cfg.PreferIPv6 {
		return append(v6, v4...)
	}
	return append(v4, v6...)
}

// Addr formats a target for net.Dial.
func (t Target) Addr() string { return net.JoinHostPort(t.IP.String(), strconv.Itoa(t.Port)) }
