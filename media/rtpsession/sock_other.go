//go:build !linux

package rtpsession

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

const rtcpPollEvery = time.Second

// sock is one bound UDP socket of a session. Polling it from the clock is
// Linux-only (see sock_linux.go); elsewhere a goroutine reads it.
type sock struct {
	c     *net.UDPConn
	local netip.AddrPort
}

func newSock(c *net.UDPConn) (*sock, error) {
	return &sock{c: c, local: c.LocalAddr().(*net.UDPAddr).AddrPort()}, nil
}

func (k *sock) polled() bool { return false }

func (k *sock) close() { k.c.Close() }

func (k *sock) writeTo(b []byte, to netip.AddrPort) error {
	_, err := k.c.WriteToUDPAddrPort(b, to)
	return err
}

// startReaders starts a goroutine reading each socket.
func (s *Session) startReaders() {
	for _, k := range []*sock{s.rtpSock, s.rtcpSock} {
		if k != nil {
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.readLoop(k, k == s.rtcpSock) }()
		}
	}
}

// readLoop reads k until it is closed. isRTCPSocket is false for the RTP
// socket, muxed or not.
func (s *Session) readLoop(k *sock, isRTCPSocket bool) {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, from, err := k.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-s.done:
				return
			default:
				continue // e.g. an ICMP error reported on the socket
			}
		}
		s.receive(&pkt, buf[:n], from, time.Now(), isRTCPSocket)
	}
}

type pollScratch struct{}

func newPollScratch() *pollScratch { return nil }

func (*pollScratch) read(*sock) int { return 0 }

func (*pollScratch) packet(int, time.Time) ([]byte, netip.AddrPort, time.Time) {
	return nil, netip.AddrPort{}, time.Time{}
}
