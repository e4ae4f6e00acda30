package siptest

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

type packet struct {
	data []byte
	from netip.AddrPort
}

// PacketConn is an in-memory UDP socket. It implements net.PacketConn; its
// addresses are *net.UDPAddr.
type PacketConn struct {
	nw    *Network
	local netip.AddrPort
	in    chan packet

	closeOnce sync.Once
	closed    chan struct{}
	rd, wd    *deadline
}

var _ net.PacketConn = (*PacketConn)(nil)

func newPacketConn(nw *Network, local netip.AddrPort) *PacketConn {
	return &PacketConn{
		nw:     nw,
		local:  local,
		in:     make(chan packet, nw.opts.QueueLen),
		closed: make(chan struct{}),
		rd:     newDeadline(),
		wd:     newDeadline(),
	}
}

// enqueue is called with the network lock held; it never blocks.
func (c *PacketConn) enqueue(p packet) bool {
	select {
	case <-c.closed:
		return false
	default:
	}
	select {
	case c.in <- p:
		return true
	default:
		return false
	}
}

// ReadFrom reads one datagram. A buffer shorter than the datagram gets its
// prefix and the rest is discarded, as with a real UDP socket.
func (c *PacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, ap, err := c.ReadFromAddrPort(p)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// ReadFromAddrPort is ReadFrom returning a netip.AddrPort.
func (c *PacketConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	select {
	case <-c.closed:
		return 0, netip.AddrPort{}, c.opErr("read", nil, net.ErrClosed)
	default:
	}
	select {
	case pk := <-c.in:
		return copy(p, pk.data), pk.from, nil
	case <-c.closed:
		return 0, netip.AddrPort{}, c.opErr("read", nil, net.ErrClosed)
	case <-c.rd.wait():
		return 0, netip.AddrPort{}, c.opErr("read", nil, os.ErrDeadlineExceeded)
	}
}

// WriteTo sends one datagram to addr through the network's impairments.
func (c *PacketConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, c.opErr("write", addr, net.ErrClosed)
	case <-c.wd.wait():
		return 0, c.opErr("write", addr, os.ErrDeadlineExceeded)
	default:
	}
	to, err := addrPortOf(addr)
	if err != nil {
		return 0, c.opErr("write", addr, err)
	}
	b := append([]byte(nil), p...)
	if err := c.nw.sendDatagram(c.local, to, b); err != nil {
		return 0, c.opErr("write", addr, err)
	}
	return len(p), nil
}

// Close closes the socket; blocked readers return net.ErrClosed.
func (c *PacketConn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closed)
		c.rd.stop()
		c.wd.stop()
		c.nw.mu.Lock()
		if c.nw.packets[c.local] == c {
			delete(c.nw.packets, c.local)
		}
		delete(c.nw.usedPorts, portKey{"udp", c.local})
		c.nw.mu.Unlock()
	})
	if !first {
		return c.opErr("close", nil, net.ErrClosed)
	}
	return nil
}

// LocalAddr returns the bound *net.UDPAddr.
func (c *PacketConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.local) }

// AddrPort returns the bound address.
func (c *PacketConn) AddrPort() netip.AddrPort { return c.local }

// SetDeadline sets both deadlines.
func (c *PacketConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline sets the read deadline.
func (c *PacketConn) SetReadDeadline(t time.Time) error { c.rd.set(t); return nil }

// SetWriteDeadline sets the write deadline.
func (c *PacketConn) SetWriteDeadline(t time.Time) error { c.wd.set(t); return nil }

func (c *PacketConn) opErr(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.LocalAddr(), Addr: addr, Err: err}
}
