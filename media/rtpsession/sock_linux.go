package rtpsession

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rtcpPollEvery is how often the clock looks at the RTCP socket. Reports
// come every few seconds (§6.2); the kernel's receive timestamp keeps their
// arrival time exact, so this only delays what they tell (a BYE, stats).
const rtcpPollEvery = 100 * time.Millisecond

// sock is one bound UDP socket of a session, held as a raw descriptor
// that the runtime's network poller does not watch. The clock reads it at
// the session's ticks with recvmmsg(MSG_DONTWAIT), which returns at once
// when nothing is queued, and sends on it with sendto.
//
// A goroutine blocked on the socket costs a stack per call and a scheduler
// wake-up per packet. A socket left in the network poller costs the wake-up
// even unread: each datagram wakes the thread that waits in epoll. Taken
// out of it, the clock's one wake-up per half frame serves every call's
// sending, playout and receiving.
//
// With SO_TIMESTAMPNS each datagram carries the time the kernel received
// it, which the interarrival jitter (§6.4.1, A.8), the jitter buffer and
// the RTT need: polling delays the reading, not the arrival time.
//
// Reads and writes come from the session's ticks (and from Close after
// the clock has let the session go), never at the same time as close.
type sock struct {
	fd    int
	v6    bool // AF_INET6: IPv4 peers are reached as v4-mapped addresses
	local netip.AddrPort
}

// newSock takes c's socket out of the network poller: it keeps a
// duplicate of the descriptor (same socket, still bound, still
// non-blocking) and closes c, which removes it from epoll.
func newSock(c *net.UDPConn) (*sock, error) {
	defer c.Close()
	k := &sock{fd: -1, local: c.LocalAddr().(*net.UDPAddr).AddrPort()}
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		var domain int
		if domain, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_DOMAIN); serr != nil {
			return
		}
		k.v6 = domain == syscall.AF_INET6
		k.fd, serr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, os.NewSyscallError("rtp socket", serr)
	}
	if err := syscall.SetsockoptInt(k.fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1); err != nil {
		syscall.Close(k.fd)
		return nil, os.NewSyscallError("setsockopt SO_TIMESTAMPNS", err)
	}
	return k, nil
}

// polled: the clock reads this socket; no goroutine does.
func (k *sock) polled() bool { return true }

// startReaders starts nothing: the clock polls the sockets.
func (s *Session) startReaders() {}

func (k *sock) close() {
	if k.fd >= 0 {
		syscall.Close(k.fd)
		k.fd = -1
	}
}

// writeTo sends b to the address to. It does not block: with the socket's
// buffer full the datagram is dropped (EAGAIN), as a late RTP packet
// would be.
func (k *sock) writeTo(b []byte, to netip.AddrPort) error {
	var (
		sa4 syscall.RawSockaddrInet4
		sa6 syscall.RawSockaddrInet6
		sa  unsafe.Pointer
		l   uintptr
	)
	a := to.Addr()
	switch {
	case !to.IsValid():
		return errors.New("rtp socket: no destination")
	case k.v6:
		sa6.Family = syscall.AF_INET6
		sa6.Addr = a.As16()
		sa6.Port = ntohs(to.Port()) // a swap either way
		if z := a.Zone(); z != "" {
			ifi, err := net.InterfaceByName(z)
			if err != nil {
				return err
			}
			sa6.Scope_id = uint32(ifi.Index)
		}
		sa, l = unsafe.Pointer(&sa6), unsafe.Sizeof(sa6)
	case a.Is4() || a.Is4In6():
		sa4.Family = syscall.AF_INET
		sa4.Addr = a.Unmap().As4()
		sa4.Port = ntohs(to.Port())
		sa, l = unsafe.Pointer(&sa4), unsafe.Sizeof(sa4)
	default:
		return fmt.Errorf("rtp socket: IPv6 destination %v from an IPv4 socket", to)
	}
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	_, _, errno := syscall.Syscall6(unix.SYS_SENDTO, uintptr(k.fd), uintptr(p), uintptr(len(b)),
		syscall.MSG_DONTWAIT, uintptr(sa), l)
	if errno != 0 {
		return errno
	}
	return nil
}

// mmsghdr is struct mmsghdr of recvmmsg(2); Go pads it as C does.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
}

// pollScratch is the receive memory of one clock goroutine. The ticks it
// runs poll their sockets one after the other, so every session of the
// clock reads into it, and a packet is handled before the next read.
type pollScratch struct {
	bufs [pollBatch][1500]byte
	oob  [pollBatch][64]byte // one SCM_TIMESTAMPNS control message
	rsa  [pollBatch]syscall.RawSockaddrAny
	iov  [pollBatch]syscall.Iovec
	hdrs [pollBatch]mmsghdr
}

func newPollScratch() *pollScratch {
	sc := &pollScratch{}
	for i := range sc.hdrs {
		sc.iov[i].Base = &sc.bufs[i][0]
		sc.iov[i].SetLen(len(sc.bufs[i]))
		sc.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&sc.rsa[i]))
		sc.hdrs[i].hdr.Iov = &sc.iov[i]
		sc.hdrs[i].hdr.Iovlen = 1
		sc.hdrs[i].hdr.Control = &sc.oob[i][0]
	}
	return sc
}

// read takes up to pollBatch queued datagrams from k into sc and returns
// how many; 0 when none is queued (or on an error, such as an ICMP error
// queued on the socket, which the read consumes; the next poll goes on).
func (sc *pollScratch) read(k *sock) int {
	for i := range sc.hdrs {
		h := &sc.hdrs[i].hdr
		h.Namelen = uint32(unsafe.Sizeof(sc.rsa[i]))
		h.SetControllen(len(sc.oob[i]))
		h.Flags = 0
	}
	n, _, errno := syscall.Syscall6(unix.SYS_RECVMMSG, uintptr(k.fd),
		uintptr(unsafe.Pointer(&sc.hdrs[0])), pollBatch, syscall.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0
	}
	return int(n)
}

// packet returns datagram i of the last read, its source and when the
// kernel received it (on now's monotonic clock). b is valid until the
// next read.
func (sc *pollScratch) packet(i int, now time.Time) (b []byte, from netip.AddrPort, at time.Time) {
	h := &sc.hdrs[i]
	switch sc.rsa[i].Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&sc.rsa[i]))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&sc.rsa[i]))
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), ntohs(sa.Port))
	}
	return sc.bufs[i][:h.len], from, receivedAt(sc.oob[i][:h.hdr.Controllen], now)
}

func ntohs(port uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&port))
	return binary.BigEndian.Uint16(b[:])
}

// receivedAt finds the SCM_TIMESTAMPNS in oob and returns it on now's
// monotonic clock; now if there is none (or it is not in the last second).
func receivedAt(oob []byte, now time.Time) time.Time {
	const hdr = int(unsafe.Sizeof(syscall.Cmsghdr{}))
	for len(oob) >= hdr {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < hdr || l > len(oob) {
			break
		}
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS && l-hdr >= int(unsafe.Sizeof(syscall.Timespec{})) {
			ts := (*syscall.Timespec)(unsafe.Pointer(&oob[hdr]))
			age := now.Sub(time.Unix(int64(ts.Sec), int64(ts.Nsec))) // wall clock on both sides
			if age < 0 || age > time.Second {
				return now
			}
			return now.Add(-age) // keeps now's monotonic reading
		}
		oob = oob[cmsgAlign(l):]
	}
	return now
}

func cmsgAlign(n int) int {
	const a = int(unsafe.Sizeof(uintptr(0)))
	return (n + a - 1) &^ (a - 1)
}
