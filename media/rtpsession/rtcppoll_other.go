//go:build !linux

package rtpsession

import (
	"net"
	"net/netip"
	"time"
)

const rtcpPollEvery = time.Second

// rtcpPoller is Linux-only; elsewhere a goroutine reads the RTCP socket.
type rtcpPoller struct{}

func newRTCPPoller(*net.UDPConn) *rtcpPoller { return nil }

func (*rtcpPoller) next(time.Time) ([]byte, netip.AddrPort, time.Time, bool) {
	return nil, netip.AddrPort{}, time.Time{}, false
}
