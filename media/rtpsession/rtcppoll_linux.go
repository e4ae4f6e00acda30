package rtpsession

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"time"
	"unsafe"
)

// rtcpPollEvery is how often the clock looks at the RTCP socket. Reports
// come every few seconds (§6.2); the kernel's receive timestamp keeps their
// arrival time exact, so this only delays what they tell (a BYE, stats).
const rtcpPollEvery = 100 * time.Millisecond

// rtcpPoller reads the RTCP socket without a goroutine: the clock calls
// next at most every rtcpPollEvery, and recvmsg(MSG_DONTWAIT) returns at
// once when nothing is queued. A goroutine blocked on the socket costs a
// descriptor and a stack per call for a packet every five seconds; at a
// thousand calls that is half of the process's goroutines. With
// SO_TIMESTAMPNS each packet carries the time the kernel received it,
// which the RTT (§6.4.1) needs. An empty poll allocates nothing.
type rtcpPoller struct {
	rc  syscall.RawConn
	buf [1500]byte
	oob [64]byte // one SCM_TIMESTAMPNS control message
	rsa syscall.RawSockaddrAny
	iov syscall.Iovec
	msg syscall.Msghdr

	recv  func(fd uintptr) bool // built once: a closure per call would allocate
	n     uintptr               // recv's results
	errno syscall.Errno
}

// newRTCPPoller returns nil if c cannot be polled (the caller then reads
// it with a goroutine).
func newRTCPPoller(c *net.UDPConn) *rtcpPoller {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return nil
	}
	p := &rtcpPoller{rc: rc}
	p.recv = func(fd uintptr) bool {
		p.n, _, p.errno = syscall.Syscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&p.msg)), syscall.MSG_DONTWAIT)
		return true // never wait: the clock comes back
	}
	return p
}

// next returns the next queued packet, its source and when the kernel
// received it (on now's monotonic clock); ok is false when none is queued
// or the socket is closed. b is valid until the next call.
func (p *rtcpPoller) next(now time.Time) (b []byte, from netip.AddrPort, at time.Time, ok bool) {
	p.iov.Base = &p.buf[0]
	p.iov.SetLen(len(p.buf))
	p.msg = syscall.Msghdr{
		Name:    (*byte)(unsafe.Pointer(&p.rsa)),
		Namelen: uint32(unsafe.Sizeof(p.rsa)),
		Iov:     &p.iov,
		Iovlen:  1,
		Control: &p.oob[0],
	}
	p.msg.SetControllen(len(p.oob))
	if err := p.rc.Read(p.recv); err != nil || p.errno != 0 {
		return nil, netip.AddrPort{}, time.Time{}, false
	}
	switch p.rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&p.rsa))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&p.rsa))
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), ntohs(sa.Port))
	}
	return p.buf[:p.n], from, receivedAt(p.oob[:p.msg.Controllen], now), true
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
