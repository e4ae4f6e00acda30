package siptest

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Recorder keeps every Datagram the network reports, for assertions.
type Recorder struct {
	mu      sync.Mutex
	recs    []Datagram
	changed chan struct{} // closed and replaced on every append
}

// Record attaches a new Recorder to the network.
func (n *Network) Record() *Recorder {
	r := &Recorder{changed: make(chan struct{})}
	n.AddTap(r.Tap)
	return r
}

// Tap records d; usable as Options.Tap.
func (r *Recorder) Tap(d Datagram) {
	r.mu.Lock()
	r.recs = append(r.recs, d)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// All returns a copy of every record so far.
func (r *Recorder) All() []Datagram {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Datagram(nil), r.recs...)
}

// Len is the number of records so far (a mark for WaitSince).
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

// Filter returns the records matching every predicate.
func (r *Recorder) Filter(preds ...Match) []Datagram {
	var out []Datagram
	for _, d := range r.All() {
		if And(preds...)(d) {
			out = append(out, d)
		}
	}
	return out
}

// Wait returns the first record (past or future) matching pred, waiting
// until ctx ends.
func (r *Recorder) Wait(ctx context.Context, pred Match) (Datagram, error) {
	return r.WaitSince(ctx, 0, pred)
}

// WaitSince is Wait considering only records from index mark (see Len).
func (r *Recorder) WaitSince(ctx context.Context, mark int, pred Match) (Datagram, error) {
	i := mark
	for {
		r.mu.Lock()
		for ; i < len(r.recs); i++ {
			if pred(r.recs[i]) {
				d := r.recs[i]
				r.mu.Unlock()
				return d, nil
			}
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Datagram{}, fmt.Errorf("siptest: no matching datagram: %w", ctx.Err())
		}
	}
}

// WaitFor is Wait with a timeout that fails t when nothing matches.
func (r *Recorder) WaitFor(t TB, timeout time.Duration, pred Match) Datagram {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	d, err := r.Wait(ctx, pred)
	if err != nil {
		t.Fatalf("%v after %v; recorded:\n%s", err, timeout, r.dump())
	}
	return d
}

func (r *Recorder) dump() string {
	var b bytes.Buffer
	for _, d := range r.All() {
		fmt.Fprintln(&b, "  ", d)
	}
	return b.String()
}

// Match is a predicate over records.
type Match func(Datagram) bool

// And matches when every predicate does (no predicates: always).
func And(preds ...Match) Match {
	return func(d Datagram) bool {
		for _, p := range preds {
			if !p(d) {
				return false
			}
		}
		return true
	}
}

// Delivered matches records not dropped at send time.
func Delivered() Match { return func(d Datagram) bool { return !d.Dropped } }

// Dropped matches drops with the given reason ("" for any).
func Dropped(reason string) Match {
	return func(d Datagram) bool { return d.Dropped && (reason == "" || d.Reason == reason) }
}

// From matches records sent from addr ("ip:port" or "ip").
func From(addr string) Match { return addrMatch(addr, true) }

// To matches records sent to addr ("ip:port" or "ip").
func To(addr string) Match { return addrMatch(addr, false) }

func addrMatch(addr string, from bool) Match {
	return func(d Datagram) bool {
		ap := d.To
		if from {
			ap = d.From
		}
		return hostMatches(addr, ap)
	}
}

func hostMatches(addr string, ap netip.AddrPort) bool {
	if x, err := netip.ParseAddrPort(addr); err == nil {
		return x.Addr().Unmap() == ap.Addr() && x.Port() == ap.Port()
	}
	if x, err := netip.ParseAddr(addr); err == nil {
		return x.Unmap() == ap.Addr()
	}
	return false
}

// Contains matches records whose payload contains s.
func Contains(s string) Match {
	return func(d Datagram) bool { return bytes.Contains(d.Data, []byte(s)) }
}

// HasPrefix matches records whose payload starts with s (e.g. "INVITE ",
// "SIP/2.0 200").
func HasPrefix(s string) Match {
	return func(d Datagram) bool { return bytes.HasPrefix(d.Data, []byte(s)) }
}

// OnNetwork matches "udp" or "tcp" records.
func OnNetwork(network string) Match {
	return func(d Datagram) bool { return d.Network == network }
}
