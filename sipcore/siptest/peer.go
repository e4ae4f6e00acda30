package siptest

import (
	"errors"
	"net"
	"sync"
)

// Script answers one received datagram with zero or more replies sent back
// to its source.
type Script func(req []byte) [][]byte

// Peer is a scripted datagram peer: it reads on its socket and answers each
// datagram with the script's replies. It owns one goroutine, stopped by
// Close (also registered as a test cleanup).
type Peer struct {
	conn   net.PacketConn
	script Script
	done   chan struct{}

	mu       sync.Mutex
	received [][]byte
	err      error
}

// NewPeer starts a peer reading conn. The peer closes conn on Close.
func NewPeer(t TB, conn net.PacketConn, script Script) *Peer {
	p := &Peer{conn: conn, script: script, done: make(chan struct{})}
	go p.run()
	t.Cleanup(func() { p.Close() })
	return p
}

func (p *Peer) run() {
	defer close(p.done)
	buf := make([]byte, 65535)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
			}
			return
		}
		req := append([]byte(nil), buf[:n]...)
		p.mu.Lock()
		p.received = append(p.received, req)
		p.mu.Unlock()
		if p.script == nil {
			continue
		}
		for _, reply := range p.script(req) {
			if _, err := p.conn.WriteTo(reply, from); err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
			}
		}
	}
}

// Addr is the peer's local address.
func (p *Peer) Addr() net.Addr { return p.conn.LocalAddr() }

// Received returns copies of the datagrams read so far.
func (p *Peer) Received() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.received...)
}

// Close closes the socket and waits for the goroutine; it returns the
// first read or write error the peer met, if any.
func (p *Peer) Close() error {
	p.conn.Close()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
