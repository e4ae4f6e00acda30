package resolve

import (
	"math/rand/v2"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkResolveCached measures a full NAPTR → SRV → A/AAAA resolution
// answered from the cache (the common case for every request to a provider).
func BenchmarkResolveCached(b *testing.B) {
	srv := newTestDNS(b, testZone...)
	r, err := New(Config{Servers: []string{srv.addr}, Rand: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		b.Fatal(err)
	}
	q := Query{Host: "example.test"}
	if _, err := r.Resolve(b.Context(), q); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOrderSRV(b *testing.B) {
	recs := []*dns.SRV{
		{Priority: 10, Weight: 10, Target: "a."}, {Priority: 10, Weight: 30, Target: "b."},
		{Priority: 10, Weight: 60, Target: "c."}, {Priority: 20, Weight: 0, Target: "d."},
	}
	rnd := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	for b.Loop() {
		_ = orderSRV(recs, rnd)
	}
}
