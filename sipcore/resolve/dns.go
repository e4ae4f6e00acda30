package resolve

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// errNoRecords is an internal "NOERROR, no data" answer (RFC 2308 §2.2).
var errNoRecords = errors.New("no records")

const (
	maxCNAME    = 8                // bound on CNAME chains we follow ourselves
	maxTTL      = 24 * time.Hour   // cap on cached positive answers
	negativeTTL = 60 * time.Second // negative TTL when the answer has no SOA
	maxNegTTL   = 10 * time.Minute // cap on negative caching (RFC 2308 §5)
)

// lookup returns the records of qtype for name (a FQDN), from the cache or
// the configured servers, following CNAMEs.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	name = dns.Fqdn(strings.ToLower(name))
	for range maxCNAME {
		rrs, cname, err := r.lookupOne(ctx, name, qtype)
		if err != nil || cname == "" {
			return rrs, err
		}
		name = cname
	}
	return nil, fmt.Errorf("%w: cname chain too long at %s", ErrDNS, name)
}

// lookupOne answers one question. When the answer is only a CNAME, cname is
// its target and the caller asks again.
func (r *Resolver) lookupOne(ctx context.Context, name string, qtype uint16) (rrs []dns.RR, cname string, err error) {
	key := cacheKey{name: name, qtype: qtype}
	now := r.cfg.Now()
	r.mu.Lock()
	e, ok := r.cache.get(key, now)
	r.mu.Unlock()
	if ok {
		return e.rrs, e.cname, e.err
	}

	msg, err := r.exchange(ctx, name, qtype)
	if err != nil {
		return nil, "", err // not cached: transient
	}
	ent := cacheEntry{}
	switch msg.Rcode {
	case dns.RcodeSuccess:
		minTTL := uint32(maxTTL / time.Second)
		for _, rr := range msg.Answer {
			h := rr.Header()
			switch {
			case h.Rrtype == qtype:
				ent.rrs = append(ent.rrs, rr)
			case h.Rrtype == dns.TypeCNAME && qtype != dns.TypeCNAME:
				if c, ok := rr.(*dns.CNAME); ok && ent.cname == "" {
					ent.cname = strings.ToLower(c.Target)
				}
			default:
				continue
			}
			minTTL = min(minTTL, h.Ttl)
		}
		switch {
		case len(ent.rrs) > 0:
			ent.cname = "" // the server followed the chain for us
			ent.expires = now.Add(time.Duration(minTTL) * time.Second)
		case ent.cname != "":
			ent.expires = now.Add(time.Duration(minTTL) * time.Second)
		default:
			ent.err = fmt.Errorf("%s %s: %w", dns.TypeToString[qtype], name, errNoRecords)
			ent.expires = now.Add(negTTL(msg))
		}
	case dns.RcodeNameError:
		ent.err = fmt.Errorf("%s %s: %w", dns.TypeToString[qtype], name, ErrNXDomain)
		ent.expires = now.Add(negTTL(msg))
	default:
		// Servers already tried in exchange; SERVFAIL etc. are not cached.
		return nil, "", fmt.Errorf("%w: %s %s: rcode %s", ErrDNS, dns.TypeToString[qtype], name, dns.RcodeToString[msg.Rcode])
	}
	r.mu.Lock()
	r.cache.put(key, ent)
	r.mu.Unlock()
	return ent.rrs, ent.cname, ent.err
}

// negTTL is the negative caching time: min(SOA TTL, SOA MINIMUM) from the
// authority section (RFC 2308 §5), else a default.
func negTTL(msg *dns.Msg) time.Duration {
	for _, rr := range msg.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			d := time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second
			return min(d, maxNegTTL)
		}
	}
	return negativeTTL
}

// exchange asks the servers in order over UDP, retrying over TCP when the
// answer is truncated (RFC 7766 §5). A server that times out, fails or
// answers SERVFAIL/REFUSED is skipped.
func (r *Resolver) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	m.SetEdns0(dns.DefaultMsgSize, false)
	var last error
	for _, srv := range r.servers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDNS, err)
		}
		resp, _, err := r.udp.ExchangeContext(ctx, m, srv)
		if err == nil && resp.Truncated {
			resp, _, err = r.tcp.ExchangeContext(ctx, m, srv)
		}
		if err != nil {
			last = err
			continue
		}
		if resp.Id != m.Id {
			last = errors.New("id mismatch")
			continue
		}
		if resp.Rcode == dns.RcodeServerFailure || resp.Rcode == dns.RcodeRefused {
			last = fmt.Errorf("rcode %s from %s", dns.RcodeToString[resp.Rcode], srv)
			continue
		}
		return resp, nil
	}
	return nil, fmt.Errorf("%w: %s %s: %w", ErrDNS, dns.TypeToString[qtype], name, last)
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cacheEntry struct {
	rrs     []dns.RR
	cname   string
	err     error
	expires time.Time
}

// cache is a size-bounded LRU of DNS answers with per-entry expiry. Not safe
// for concurrent use: the Resolver's lock guards it.
type cache struct {
	max   int
	ll    *list.List // front = most recently used; values are *cacheItem
	items map[cacheKey]*list.Element
}

type cacheItem struct {
	key cacheKey
	ent cacheEntry
}

func newCache(max int) *cache {
	return &cache{max: max, ll: list.New(), items: make(map[cacheKey]*list.Element)}
}

func (c *cache) get(k cacheKey, now time.Time) (cacheEntry, bool) {
	el, ok := c.items[k]
	if !ok {
		return cacheEntry{}, false
	}
	it := el.Value.(*cacheItem)
	if !now.Before(it.ent.expires) {
		c.ll.Remove(el)
		delete(c.items, k)
		return cacheEntry{}, false
	}
	c.ll.MoveToFront(el)
	return it.ent, true
}

func (c *cache) put(k cacheKey, e cacheEntry) {
	if c.max <= 0 {
		return
	}
	if el, ok := c.items[k]; ok {
		el.Value.(*cacheItem).ent = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[k] = c.ll.PushFront(&cacheItem{key: k, ent: e})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheItem).key)
	}
}

// cacheLen reports the number of cached answers (for tests).
func (r *Resolver) cacheLen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cache.ll.Len()
}
