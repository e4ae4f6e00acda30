package rtpsession

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
)

// ErrNoPort is returned when no RTP (and RTCP) port could be bound.
var ErrNoPort = errors.New("rtpsession: no free RTP port")

func listenUDP(addr netip.Addr, port int) (*net.UDPConn, error) {
	return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port))))
}

func boundPort(c *net.UDPConn) int {
	return int(c.LocalAddr().(*net.UDPAddr).AddrPort().Port())
}

// listenPair binds the RTP socket on an even port and, without rtcp-mux,
// the RTCP socket on the next port (RFC 3550 §11). With min = max = 0 the
// kernel picks the ports; otherwise every pair in [min, max] is tried from
// a random starting point.
func listenPair(addr netip.Addr, minPort, maxPort int, mux bool) (rtp, rtcp *net.UDPConn, err error) {
	try := func(port int) bool {
		c, e := listenUDP(addr, port)
		if e != nil {
			err = e
			return false
		}
		p := boundPort(c)
		if p%2 != 0 && (port == 0 || !mux) {
			c.Close()
			return false
		}
		if mux {
			rtp = c
			return true
		}
		r, e := listenUDP(addr, p+1)
		if e != nil {
			err = e
			c.Close()
			return false
		}
		rtp, rtcp = c, r
		return true
	}
	if minPort == 0 && maxPort == 0 {
		for range 100 {
			if try(0) {
				return rtp, rtcp, nil
			}
		}
		return nil, nil, fmt.Errorf("%w: on %v: %w", ErrNoPort, addr, err)
	}
	if minPort%2 != 0 {
		minPort++
	}
	if maxPort > 65534 {
		maxPort = 65534
	}
	pairs := (maxPort-minPort)/2 + 1
	if minPort <= 0 || pairs <= 0 {
		return nil, nil, fmt.Errorf("%w: bad port range %d-%d", ErrNoPort, minPort, maxPort)
	}
	start := rand.IntN(pairs)
	for i := range pairs {
		if try(minPort + 2*((start+i)%pairs)) {
			return rtp, rtcp, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: range %d-%d on %v: %w", ErrNoPort, minPort, maxPort, addr, err)
}

// openSocks binds the session's sockets (see listenPair) and turns them
// into socks.
func openSocks(addr netip.Addr, minPort, maxPort int, mux bool) (rtp, rtcp *sock, err error) {
	rtpc, rtcpc, err := listenPair(addr, minPort, maxPort, mux)
	if err != nil {
		return nil, nil, err
	}
	if rtp, err = newSock(rtpc); err != nil {
		if rtcpc != nil {
			rtcpc.Close()
		}
		return nil, nil, err
	}
	if rtcpc != nil {
		if rtcp, err = newSock(rtcpc); err != nil {
			rtp.close()
			return nil, nil, err
		}
	}
	return rtp, rtcp, nil
}
