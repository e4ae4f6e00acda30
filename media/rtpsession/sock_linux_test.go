package rtpsession

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/pion/rtp"
	"github.com/teaphone/teaphone/media/audio"
)

// TestPolledSessionNeedsNoGoroutine: on a clock that already runs, a
// session adds no goroutine, with rtcp-mux or with an RTCP socket: the
// clock reads both sockets at the ticks.
func TestPolledSessionNeedsNoGoroutine(t *testing.T) {
	clk := NewClock()
	newSession(t, Options{Clock: clk})
	grow := func(o Options) int {
		o.Clock = clk
		before := runtime.NumGoroutine()
		s := newSession(t, o)
		n := runtime.NumGoroutine() - before
		s.Close()
		return n
	}
	if mux, pair := grow(Options{RTCPMux: true}), grow(Options{}); mux != 0 || pair != 0 {
		t.Errorf("goroutines per session: %d with rtcp-mux, %d with an RTCP socket; want 0", mux, pair)
	}
}

// TestPolledRTPKeepsArrivalTimes: the clock reads RTP only at its play
// ticks, but the interarrival jitter (RFC 3550 A.8) comes from the kernel's
// receive times. A sender whose packets leave at uneven moments, each
// stamped with the moment it left, has no jitter; read at the ticks, the
// same packets would look up to a frame late (several ms of jitter).
func TestPolledRTPKeepsArrivalTimes(t *testing.T) {
	s := newSession(t, Options{})
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(s.LocalAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	gaps := []time.Duration{3, 17, 9, 11, 2, 19, 13, 7} // ms, a frame is 20
	var pkt rtp.Packet
	pkt.Version, pkt.PayloadType, pkt.SSRC = 2, 0, 0x1234
	pkt.Payload = make([]byte, 160)
	for i := range 40 {
		time.Sleep(gaps[i%len(gaps)] * time.Millisecond)
		pkt.SequenceNumber = uint16(i)
		pkt.Timestamp = uint32(time.Since(start) * 8000 / time.Second) // when it left
		b, _ := pkt.Marshal()
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * s.ptime) // the last packets are read
	st := s.Stats()
	if st.PacketsReceived < 40 {
		t.Fatalf("%d packets received, want 40", st.PacketsReceived)
	}
	if st.Jitter > time.Millisecond {
		t.Errorf("interarrival jitter %v for packets stamped as they left, want < 1ms", st.Jitter)
	}
}

// TestPolledRTCPKeepsRTTExact: RTCP is read up to rtcpPollEvery late, but
// the kernel's receive timestamps keep the round trip on loopback near
// zero (it would be about rtcpPollEvery without them).
func TestPolledRTCPKeepsRTTExact(t *testing.T) {
	a, b, rec := pair(t, Options{Source: audio.NewTone(8000, 1000, toneDB), RTCPInterval: 150 * time.Millisecond},
		Options{RTCPInterval: 150 * time.Millisecond})
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

// TestEmptyPollAllocatesNothing: the clock polls every RTP socket at
// every frame, and the RTCP sockets ten times a second, mostly finding
// nothing.
func TestEmptyPollAllocatesNothing(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	k := newTestSock(t, c)
	sc := newPollScratch()
	if n := testing.AllocsPerRun(100, func() {
		if n := sc.read(k); n != 0 {
			t.Fatalf("%d packets on a socket nobody sends to", n)
		}
	}); n != 0 {
		t.Errorf("%v allocations per empty poll, want 0", n)
	}
}

// TestPollReadsBatches: datagrams queued beyond one recvmmsg come out of
// successive reads, in order, each with its own source and length.
func TestPollReadsBatches(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	k, sc := newTestSock(t, c), newPollScratch()
	const total = pollBatch*2 + 1
	for i := range total {
		if _, err := tx.Write(make([]byte, 10+i)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // loopback delivery
	var got []int
	for range 4 {
		n := sc.read(k)
		for i := range n {
			b, from, at := sc.packet(i, time.Now())
			if from != tx.LocalAddr().(*net.UDPAddr).AddrPort() {
				t.Errorf("packet %d from %v, want %v", len(got), from, tx.LocalAddr())
			}
			if time.Since(at) < 10*time.Millisecond {
				t.Errorf("packet %d received %v ago, want the kernel's time (>= 20ms)", len(got), time.Since(at))
			}
			got = append(got, len(b))
		}
	}
	want := make([]int, total)
	for i := range want {
		want[i] = 10 + i
	}
	if !slices.Equal(got, want) {
		t.Errorf("lengths read %v, want %v", got, want)
	}
}

// newTestSock turns c into a sock closed at cleanup.
func newTestSock(t *testing.T, c *net.UDPConn) *sock {
	t.Helper()
	k, err := newSock(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.close)
	return k
}

// TestSockLeavesNetpoller: the runtime's epoll set watches no socket of a
// session (each datagram would wake a thread for nothing), while the
// socket stays bound and readable. The epoll set is read from
// /proc/self/fdinfo, where each watched file has a line with its inode.
func TestSockLeavesNetpoller(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	rc, _ := c.SyscallConn()
	_ = rc.Control(func(fd uintptr) { _ = syscall.Fstat(int(fd), &st) })
	ino := fmt.Sprintf(" ino:%x ", st.Ino)
	watched := func() bool {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range fds {
			if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l != "anon_inode:[eventpoll]" {
				continue
			}
			info, _ := os.ReadFile("/proc/self/fdinfo/" + e.Name())
			if strings.Contains(string(info), ino) {
				return true
			}
		}
		return false
	}
	if !watched() {
		t.Fatalf("a net.UDPConn not found in the runtime's epoll set (inode%s); the test cannot see it", ino)
	}
	k := newTestSock(t, c)
	if watched() {
		t.Error("the sock is still in the runtime's epoll set")
	}
	if err := k.writeTo([]byte("hello"), k.local); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	sc := newPollScratch()
	if n := sc.read(k); n != 1 {
		t.Fatalf("read %d datagrams, want 1", n)
	}
	if b, from, _ := sc.packet(0, time.Now()); string(b) != "hello" || from != k.local {
		t.Errorf("read %q from %v, want %q from %v", b, from, "hello", k.local)
	}
}

// TestSockWriteTo: sendto builds the destination for the socket's family:
// IPv4, v4-mapped on an IPv4 socket, IPv4 on a dual-stack IPv6 socket;
// an IPv6 peer from an IPv4 socket and no destination are errors.
func TestSockWriteTo(t *testing.T) {
	listen := func(network string, ip net.IP) *sock {
		c, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
		if err != nil {
			t.Skipf("%s on %v: %v", network, ip, err)
		}
		return newTestSock(t, c)
	}
	rx := listen("udp4", net.IPv4(127, 0, 0, 1))
	v4 := listen("udp4", net.IPv4(127, 0, 0, 1))
	mapped := netip.AddrPortFrom(netip.AddrFrom16(rx.local.Addr().As16()), rx.local.Port())
	sc := newPollScratch()
	expect := func(from *sock, what string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if n := sc.read(rx); n > 0 {
				if b, src, _ := sc.packet(0, time.Now()); string(b) != what || src.Port() != from.local.Port() {
					t.Errorf("got %q from %v, want %q from port %d", b, src, what, from.local.Port())
				}
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Errorf("%q never arrived", what)
	}
	if err := v4.writeTo([]byte("v4"), rx.local); err != nil {
		t.Fatal(err)
	}
	expect(v4, "v4")
	if err := v4.writeTo([]byte("mapped"), mapped); err != nil {
		t.Fatal(err)
	}
	expect(v4, "mapped")
	if err := v4.writeTo([]byte("x"), netip.MustParseAddrPort("[::1]:9")); err == nil {
		t.Error("IPv6 destination from an IPv4 socket: no error")
	}
	if err := v4.writeTo([]byte("x"), netip.AddrPort{}); err == nil {
		t.Error("no destination: no error")
	}
	dual := listen("udp", net.IPv6unspecified)
	if !dual.v6 {
		t.Fatalf("socket on %v is not AF_INET6", dual.local)
	}
	if err := dual.writeTo([]byte("dual"), rx.local); err != nil {
		t.Fatal(err)
	}
	expect(dual, "dual")
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
