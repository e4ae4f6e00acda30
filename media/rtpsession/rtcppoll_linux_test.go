package rtpsession

import (
	"net"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/teaphone/teaphone/media/audio"
)

// TestRTCPSocketNeedsNoGoroutine: a session with a separate RTCP socket
// runs as many goroutines as one with rtcp-mux (the clock polls RTCP).
func TestRTCPSocketNeedsNoGoroutine(t *testing.T) {
	grow := func(o Options) int {
		before := runtime.NumGoroutine()
		s := newSession(t, o)
		n := runtime.NumGoroutine() - before
		s.Close()
		return n
	}
	mux, pair := grow(Options{RTCPMux: true}), grow(Options{})
	if pair != mux {
		t.Errorf("goroutines per session: %d with an RTCP socket, %d with rtcp-mux", pair, mux)
	}
}

// TestPolledRTCPKeepsRTTExact: RTCP is read up to rtcpPollEvery late, but
// the kernel's receive timestamps keep the round trip on loopback near
// zero (it would be about rtcpPollEvery without them).
func TestPolledRTCPKeepsRTTExact(t *testing.T) {
	a, b, rec := pair(t, Options{Source: audio.NewTone(8000, 1000, toneDB), RTCPInterval: 150 * time.Millisecond},
		Options{RTCPInterval: 150 * time.Millisecond})
	if a.rtcpPoll == nil || b.rtcpPoll == nil {
		t.Fatal("RTCP socket not polled")
	}
	var rtts []time.Duration
	last := time.Duration(-1)
	waitSink(t, rec, 10*time.Second, "7 RTT measurements", func() bool {
		if r := a.Stats().RTT; r > 0 && r != last {
			rtts, last = append(rtts, r), r
		}
		time.Sleep(5 * time.Millisecond)
		return len(rtts) >= 7
	})
	if b.Stats().RTCPReceived == 0 {
		t.Error("B received no RTCP")
	}
	slices.Sort(rtts)
	if med := rtts[len(rtts)/2]; med > 20*time.Millisecond {
		t.Errorf("median RTT %v on loopback (all %v), want < 20ms", med, rtts)
	}
}

// TestEmptyPollAllocatesNothing: the clock polls every RTCP socket ten
// times a second, mostly finding nothing.
func TestEmptyPollAllocatesNothing(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := newRTCPPoller(c)
	if p == nil {
		t.Fatal("socket not pollable")
	}
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() {
		if _, _, _, ok := p.next(now); ok {
			t.Fatal("a packet on a socket nobody sends to")
		}
	}); n != 0 {
		t.Errorf("%v allocations per empty poll, want 0", n)
	}
}

func TestReceivedAt(t *testing.T) {
	now := time.Now()
	cmsg := func(level, typ int32, ts time.Time) []byte {
		const hdr = int(unsafe.Sizeof(syscall.Cmsghdr{}))
		b := make([]byte, cmsgAlign(hdr+int(unsafe.Sizeof(syscall.Timespec{}))))
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&b[0]))
		h.Level, h.Type = level, typ
		h.SetLen(hdr + int(unsafe.Sizeof(syscall.Timespec{})))
		*(*syscall.Timespec)(unsafe.Pointer(&b[hdr])) = syscall.NsecToTimespec(ts.UnixNano())
		return b
	}
	other := cmsg(syscall.SOL_IP, 8, now) // IP_PKTINFO-like: skipped
	cases := []struct {
		name string
		oob  []byte
		want time.Duration // before now
	}{
		{"timestamp", cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, now.Add(-5*time.Millisecond)), 5 * time.Millisecond},
		{"after another message", append(other, cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, now.Add(-7*time.Millisecond))...), 7 * time.Millisecond},
		{"none", nil, 0},
		{"truncated", cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, now)[:10], 0},
		{"too old", cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, now.Add(-2*time.Second)), 0},
		{"in the future", cmsg(syscall.SOL_SOCKET, syscall.SCM_TIMESTAMPNS, now.Add(time.Second)), 0},
	}
	for _, c := range cases {
		got := receivedAt(c.oob, now)
		if d := now.Sub(got) - c.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%s: %v before now, want %v", c.name, now.Sub(got), c.want)
		}
		if got == got.Round(0) {
			t.Errorf("%s: monotonic reading lost", c.name)
		}
	}
}
