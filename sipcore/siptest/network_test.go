package siptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

const (
	addrA = "192.0.2.1:5060"
	addrB = "192.0.2.2:5060"
)

func udpAddr(s string) net.Addr { return net.UDPAddrFromAddrPort(mustAP(s)) }

func mustAP(s string) (ap netip.AddrPort) {
	ap, err := parseAddr(s)
	if err != nil {
		panic(err)
	}
	return ap
}

func pair(t *testing.T, nw *Network) (*PacketConn, *PacketConn) {
	t.Helper()
	return nw.MustListenPacket(t, addrA), nw.MustListenPacket(t, addrB)
}

func read(t *testing.T, pc *PacketConn) (string, net.Addr) {
	t.Helper()
	buf := make([]byte, 2048)
	n, from, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("ReadFrom: %v", err)
	}
	return string(buf[:n]), from
}

func TestSendReceive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		defer nw.Close()
		a, b := pair(t, nw)
		if _, err := a.WriteTo([]byte("hello"), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		got, from := read(t, b)
		if got != "hello" || from.String() != addrA {
			t.Errorf("got %q from %v, want %q from %v", got, from, "hello", addrA)
		}
		if _, ok := from.(*net.UDPAddr); !ok {
			t.Errorf("from is %T, want *net.UDPAddr", from)
		}
	})
}

func TestEphemeralPortsAndInUse(t *testing.T) {
	nw := NewNetwork(Options{})
	defer nw.Close()
	p1 := nw.MustListenPacket(t, "192.0.2.1:0")
	p2 := nw.MustListenPacket(t, "192.0.2.1:0")
	if p1.LocalAddr().String() == p2.LocalAddr().String() {
		t.Errorf("two ephemeral binds got the same address %v", p1.LocalAddr())
	}
	if _, err := nw.ListenPacket("udp", p1.LocalAddr().String()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("rebind err = %v, want EADDRINUSE", err)
	}
	p1.Close()
	if _, err := nw.ListenPacket("udp", p1.LocalAddr().String()); err != nil {
		t.Errorf("bind after close: %v", err)
	}
	if _, err := nw.ListenPacket("udp", "0.0.0.0:5060"); err == nil {
		t.Error("unspecified bind succeeded, want error")
	}
	v6 := nw.MustListenPacket(t, "[2001:db8::1]:5060")
	if got, want := v6.LocalAddr().String(), "[2001:db8::1]:5060"; got != want {
		t.Errorf("v6 addr = %s, want %s", got, want)
	}
}

func TestLossRateDeterministic(t *testing.T) {
	run := func(seed uint64) (lost int, pattern []bool) {
		nw := NewNetwork(Options{Seed: seed, Link: LinkConfig{Loss: 0.2}})
		defer nw.Close()
		rec := nw.Record()
		a := nw.MustListenPacket(t, addrA)
		const n = 10000
		for i := range n {
			if _, err := a.WriteTo([]byte{byte(i)}, udpAddr(addrB)); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range rec.All() {
			pattern = append(pattern, d.Dropped && d.Reason == "loss")
			if d.Dropped && d.Reason == "loss" {
				lost++
			}
		}
		return lost, pattern
	}
	lost, p1 := run(42)
	// Binomial(10000, 0.2): sd = 40; ±5 sd.
	if lost < 1800 || lost > 2200 {
		t.Errorf("lost %d of 10000 at p=0.2, want within [1800, 2200]", lost)
	}
	_, p2 := run(42)
	if fmt.Sprint(p1) != fmt.Sprint(p2) {
		t.Error("same seed gave different loss patterns")
	}
	_, p3 := run(43)
	if fmt.Sprint(p1) == fmt.Sprint(p3) {
		t.Error("different seeds gave the same loss pattern")
	}
}

func TestDelayInFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{Link: LinkConfig{Delay: 32 * time.Second}})
		defer nw.Close()
		a, b := pair(t, nw)
		start := time.Now()
		a.WriteTo([]byte("x"), b.LocalAddr())
		read(t, b)
		if got, want := time.Since(start), 32*time.Second; got != want {
			t.Errorf("delivered after %v, want %v", got, want)
		}
	})
}

func TestJitterBoundsKeepOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{Seed: 7, Link: LinkConfig{Delay: 100 * time.Millisecond, Jitter: 50 * time.Millisecond}})
		defer nw.Close()
		rec := nw.Record()
		a, b := pair(t, nw)
		const n = 200
		for i := range n {
			a.WriteTo(fmt.Appendf(nil, "%03d", i), b.LocalAddr())
			time.Sleep(time.Millisecond)
		}
		for i := range n {
			got, _ := read(t, b)
			if want := fmt.Sprintf("%03d", i); got != want {
				t.Fatalf("datagram %d = %q, want %q (jitter must keep order)", i, got, want)
			}
		}
		spread := map[time.Duration]bool{}
		for _, d := range rec.All() {
			if d.Delay < 100*time.Millisecond || d.Delay >= 150*time.Millisecond {
				t.Errorf("delay %v out of bounds", d.Delay)
			}
			spread[d.Delay] = true
		}
		if len(spread) < 10 {
			t.Errorf("only %d distinct delays, want jitter", len(spread))
		}
	})
}

func TestDuplicate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{Link: LinkConfig{Duplicate: 1}})
		defer nw.Close()
		rec := nw.Record()
		a, b := pair(t, nw)
		a.WriteTo([]byte("once"), b.LocalAddr())
		for range 2 {
			if got, _ := read(t, b); got != "once" {
				t.Errorf("got %q, want %q", got, "once")
			}
		}
		if got := len(rec.Filter(func(d Datagram) bool { return d.Duplicate })); got != 1 {
			t.Errorf("recorded %d duplicates, want 1", got)
		}
	})
}

func TestSwapReorders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		defer nw.Close()
		a, b := pair(t, nw)
		nw.SetLink(addrA, addrB, LinkConfig{Swap: 1})
		a.WriteTo([]byte("1"), b.LocalAddr())
		nw.SetLink(addrA, addrB, LinkConfig{})
		a.WriteTo([]byte("2"), b.LocalAddr())
		g1, _ := read(t, b)
		g2, _ := read(t, b)
		if g1+g2 != "21" {
			t.Errorf("order %s, want 21", g1+g2)
		}
		// A held datagram with no successor is released after SwapHold.
		nw.SetLink(addrA, addrB, LinkConfig{Swap: 1, SwapHold: time.Second})
		start := time.Now()
		a.WriteTo([]byte("3"), b.LocalAddr())
		read(t, b)
		if got := time.Since(start); got != time.Second {
			t.Errorf("held datagram released after %v, want 1s", got)
		}
	})
}

func TestReorderByExtraDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{Seed: 3, Link: LinkConfig{Delay: 10 * time.Millisecond, Reorder: 0.3, ReorderDelay: 50 * time.Millisecond}})
		defer nw.Close()
		a, b := pair(t, nw)
		const n = 100
		for i := range n {
			a.WriteTo([]byte{byte(i)}, b.LocalAddr())
			time.Sleep(time.Millisecond) // fake time: spaces the sends
		}
		buf := make([]byte, 8)
		inversions, seen := 0, map[byte]bool{}
		prev := -1
		for range n {
			k, _, err := b.ReadFrom(buf)
			if err != nil || k != 1 {
				t.Fatalf("ReadFrom = %d, %v", k, err)
			}
			if int(buf[0]) < prev {
				inversions++
			}
			prev = int(buf[0])
			seen[buf[0]] = true
		}
		if len(seen) != n {
			t.Errorf("received %d distinct datagrams, want %d", len(seen), n)
		}
		if inversions == 0 {
			t.Error("no reordering observed with Reorder=0.3")
		}
	})
}

func TestPartitionAndHeal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		defer nw.Close()
		rec := nw.Record()
		a, b := pair(t, nw)
		nw.Partition("192.0.2.1", "192.0.2.2", true)
		a.WriteTo([]byte("lost"), b.LocalAddr())
		b.WriteTo([]byte("lost too"), a.LocalAddr())
		if got := len(rec.Filter(Dropped("partition"))); got != 2 {
			t.Errorf("partition drops = %d, want 2", got)
		}
		nw.Partition("192.0.2.1", "192.0.2.2", false)
		a.WriteTo([]byte("healed"), b.LocalAddr())
		if got, _ := read(t, b); got != "healed" {
			t.Errorf("after heal got %q", got)
		}
	})
}

func TestMTU(t *testing.T) {
	nw := NewNetwork(Options{Link: LinkConfig{MTU: 1300}})
	defer nw.Close()
	rec := nw.Record()
	a := nw.MustListenPacket(t, addrA)
	if n, err := a.WriteTo(make([]byte, 1301), udpAddr(addrB)); err != nil || n != 1301 {
		t.Errorf("MTUDrop WriteTo = %d, %v; want 1301, nil", n, err)
	}
	if got := len(rec.Filter(Dropped("mtu"))); got != 1 {
		t.Errorf("mtu drops = %d, want 1", got)
	}
	nw.SetDefaultLink(LinkConfig{MTU: 1300, MTUMode: MTUError})
	if _, err := a.WriteTo(make([]byte, 1301), udpAddr(addrB)); !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("MTUError WriteTo err = %v, want EMSGSIZE", err)
	}
	if _, err := a.WriteTo(make([]byte, 1300), udpAddr(addrB)); err != nil {
		t.Errorf("WriteTo at MTU: %v", err)
	}
}

func TestPerLinkSpecificity(t *testing.T) {
	nw := NewNetwork(Options{})
	defer nw.Close()
	rec := nw.Record()
	a := nw.MustListenPacket(t, addrA)
	nw.MustListenPacket(t, "192.0.2.2:5070")
	nw.SetLink("192.0.2.1", "192.0.2.2", LinkConfig{Loss: 1})
	nw.SetLink(addrA, "192.0.2.2:5070", LinkConfig{})
	a.WriteTo([]byte("x"), udpAddr("192.0.2.2:5060"))
	a.WriteTo([]byte("y"), udpAddr("192.0.2.2:5070"))
	all := rec.All()
	if len(all) != 2 || !all[0].Dropped || all[1].Dropped {
		t.Errorf("records %v, want first lost, second not", all)
	}
}

func TestReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		defer nw.Close()
		a, _ := pair(t, nw)
		start := time.Now()
		a.SetReadDeadline(start.Add(2 * time.Second))
		_, _, err := a.ReadFrom(make([]byte, 10))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("err %v is not a net.Error timeout", err)
		}
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("deadline after %v, want 2s", got)
		}
		// Past deadline fails at once; clearing it blocks again.
		a.SetReadDeadline(time.Now().Add(-time.Second))
		if _, _, err := a.ReadFrom(nil); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("past deadline err = %v", err)
		}
		a.SetReadDeadline(time.Time{})
		done := make(chan error)
		go func() { _, _, err := a.ReadFrom(make([]byte, 10)); done <- err }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("read returned %v with no deadline", err)
		default:
		}
		// Extending a pending deadline while a reader waits.
		a.SetReadDeadline(time.Now().Add(time.Second))
		a.SetReadDeadline(time.Now().Add(3 * time.Second))
		start = time.Now()
		if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("extended deadline fired after %v, want 3s", got)
		}
		a.SetWriteDeadline(time.Now())
		if _, err := a.WriteTo([]byte("x"), udpAddr(addrB)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("write deadline err = %v", err)
		}
	})
}

func TestCloseUnblocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		a, _ := pair(t, nw)
		l := nw.MustListen(t, "192.0.2.3:5060")
		c, err := nw.Dial(t.Context(), "tcp", "192.0.2.4", "192.0.2.3:5060")
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 3)
		go func() { _, _, err := a.ReadFrom(make([]byte, 1)); errs <- err }()
		go func() { _, err := c.Read(make([]byte, 1)); errs <- err }()
		go func() {
			// Accept the dialled conn, then block on the next.
			s, err := l.Accept()
			if err == nil {
				s.Close()
				_, err = l.Accept()
			}
			errs <- err
		}()
		synctest.Wait()
		a.Close()
		c.Close()
		l.Close()
		for range 3 {
			if err := <-errs; !errors.Is(err, net.ErrClosed) && err != io.EOF {
				t.Errorf("unblocked with %v, want ErrClosed", err)
			}
		}
		if err := a.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close = %v, want ErrClosed", err)
		}
		nw.Close()
		if _, err := nw.ListenPacket("udp", addrA); !errors.Is(err, net.ErrClosed) {
			t.Errorf("listen on closed network = %v", err)
		}
	})
}

func TestNetworkCloseClosesAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{Link: LinkConfig{Delay: time.Hour}})
		a, b := pair(t, nw)
		a.WriteTo([]byte("pending"), b.LocalAddr()) // timer pending
		done := make(chan error)
		go func() { _, _, err := b.ReadFrom(make([]byte, 10)); done <- err }()
		synctest.Wait()
		nw.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Errorf("err = %v, want ErrClosed", err)
		}
	})
}

func TestQueueFull(t *testing.T) {
	nw := NewNetwork(Options{QueueLen: 2})
	defer nw.Close()
	rec := nw.Record()
	a, b := pair(t, nw)
	for range 3 {
		a.WriteTo([]byte("x"), b.LocalAddr())
	}
	if got := len(rec.Filter(Dropped("queue full"))); got != 1 {
		t.Errorf("queue full drops = %d, want 1", got)
	}
	a.WriteTo([]byte("x"), udpAddr("192.0.2.9:1"))
	if got := len(rec.Filter(Dropped("no listener"))); got != 1 {
		t.Errorf("no listener drops = %d, want 1", got)
	}
}

func TestStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{StreamBuffer: 8})
		defer nw.Close()
		l := nw.MustListen(t, "[2001:db8::2]:5061")
		c, err := nw.Dial(t.Context(), "tcp", "2001:db8::1", "[2001:db8::2]:5061")
		if err != nil {
			t.Fatal(err)
		}
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if s.RemoteAddr().String() != c.LocalAddr().String() || c.RemoteAddr().String() != "[2001:db8::2]:5061" {
			t.Errorf("addrs: server remote %v client local %v client remote %v", s.RemoteAddr(), c.LocalAddr(), c.RemoteAddr())
		}
		// Backpressure: 20 bytes through an 8-byte buffer.
		msg := []byte("0123456789abcdefghij")
		werr := make(chan error)
		go func() { _, err := c.Write(msg); werr <- err }()
		got, err := io.ReadAll(io.LimitReader(s, int64(len(msg))))
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("read %q, %v; want %q", got, err, msg)
		}
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
		// Deadline on a stream read.
		start := time.Now()
		s.SetReadDeadline(start.Add(time.Second))
		if _, err := s.Read(make([]byte, 4)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read err = %v, want deadline", err)
		}
		if time.Since(start) != time.Second {
			t.Errorf("deadline after %v", time.Since(start))
		}
		s.SetReadDeadline(time.Time{})
		// Close → peer drains then EOF; writes to a closed peer fail.
		c.Write([]byte("bye"))
		c.Close()
		got, err = io.ReadAll(s)
		if err != nil || string(got) != "bye" {
			t.Errorf("after close read %q, %v; want bye, nil", got, err)
		}
		if _, err := s.Write([]byte("x")); err == nil {
			t.Error("write to closed peer succeeded")
		}
		s.Close()
	})
}

func TestDialFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		defer nw.Close()
		if _, err := nw.Dial(t.Context(), "tcp", "", "192.0.2.9:5060"); !errors.Is(err, ErrNoRoute) {
			t.Errorf("dial nowhere = %v, want ErrNoRoute", err)
		}
		l := nw.MustListen(t, "192.0.2.2:5060")
		defer l.Close()
		nw.Partition("192.0.2.1", "192.0.2.2", true)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if _, err := nw.Dial(ctx, "tcp", "192.0.2.1", "192.0.2.2:5060"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("dial across partition = %v, want deadline", err)
		}
		if time.Since(start) != 5*time.Second {
			t.Errorf("dial gave up after %v, want 5s", time.Since(start))
		}
	})
}

func TestBreakStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		defer nw.Close()
		l := nw.MustListen(t, "192.0.2.2:5060")
		c, _ := nw.Dial(t.Context(), "tcp", "192.0.2.1", "192.0.2.2:5060")
		s, _ := l.Accept()
		errs := make(chan error, 1)
		go func() { _, err := s.Read(make([]byte, 1)); errs <- err }()
		synctest.Wait()
		nw.BreakStreams("192.0.2.1", "192.0.2.2")
		if err := <-errs; err == nil || errors.Is(err, io.EOF) {
			t.Errorf("read on broken stream = %v, want reset", err)
		}
		if _, err := c.Write([]byte("x")); err == nil {
			t.Error("write on broken stream succeeded")
		}
		c.Close()
		s.Close()
	})
}

func TestRecorderWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{Link: LinkConfig{Delay: time.Second}})
		defer nw.Close()
		rec := nw.Record()
		a, b := pair(t, nw)
		go func() {
			time.Sleep(10 * time.Second)
			a.WriteTo([]byte("INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"), b.LocalAddr())
		}()
		d := rec.WaitFor(t, time.Minute, And(HasPrefix("INVITE "), From(addrA), To("192.0.2.2"), Delivered()))
		if got, want := d.Time.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), 10*time.Second; got != want {
			t.Errorf("recorded at +%v, want +%v", got, want)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := rec.WaitSince(ctx, rec.Len(), Contains("never")); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("wait for absent = %v", err)
		}
		read(t, b)
	})
}

func TestPeerScript(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{Link: LinkConfig{Delay: 20 * time.Millisecond}})
		defer nw.Close()
		a, b := pair(t, nw)
		p := NewPeer(t, b, func(req []byte) [][]byte {
			return [][]byte{append([]byte("echo "), req...), []byte("again")}
		})
		a.WriteTo([]byte("ping"), b.LocalAddr())
		if got, _ := read(t, a); got != "echo ping" {
			t.Errorf("got %q", got)
		}
		if got, _ := read(t, a); got != "again" {
			t.Errorf("got %q", got)
		}
		if err := p.Close(); err != nil {
			t.Errorf("peer error %v", err)
		}
		if got := p.Received(); len(got) != 1 || string(got[0]) != "ping" {
			t.Errorf("peer received %q", got)
		}
	})
}

// TestRealTime exercises the network outside a bubble.
func TestRealTime(t *testing.T) {
	CheckGoroutines(t)
	nw := NewNetwork(Options{Link: LinkConfig{Delay: 5 * time.Millisecond}})
	defer nw.Close()
	a, b := pair(t, nw)
	p := NewPeer(t, b, func(req []byte) [][]byte { return [][]byte{req} })
	defer p.Close()
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	a.WriteTo([]byte("rt"), b.LocalAddr())
	if got, _ := read(t, a); got != "rt" {
		t.Errorf("got %q", got)
	}
	if el := time.Since(start); el < 10*time.Millisecond {
		t.Errorf("round trip %v, shorter than 2×5ms delay", el)
	}
}

// TestDeadlineAfterClose: setting a deadline on a closed conn must not
// hang (crypto/tls does it in Close).
func TestDeadlineAfterClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		defer nw.Close()
		l := nw.MustListen(t, "192.0.2.2:5060")
		c, _ := nw.Dial(t.Context(), "tcp", "192.0.2.1", "192.0.2.2:5060")
		c.SetDeadline(time.Now().Add(time.Hour))
		c.Close()
		c.SetWriteDeadline(time.Now().Add(time.Second))
		c.SetReadDeadline(time.Time{})
		a := nw.MustListenPacket(t, addrA)
		a.SetDeadline(time.Now().Add(time.Hour))
		a.Close()
		a.SetDeadline(time.Now().Add(time.Second))
		l.Close()
	})
}

func TestStreamPartitionHoldsData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw := NewNetwork(Options{})
		defer nw.Close()
		l := nw.MustListen(t, "192.0.2.2:5060")
		c, err := nw.Dial(t.Context(), "tcp", "192.0.2.1", "192.0.2.2:5060")
		if err != nil {
			t.Fatal(err)
		}
		s, _ := l.Accept()
		nw.Partition("192.0.2.1", "192.0.2.2", true)
		if _, err := c.Write([]byte("held")); err != nil {
			t.Fatalf("write during partition: %v", err)
		}
		got := make(chan string, 1)
		go func() {
			buf := make([]byte, 10)
			n, _ := s.Read(buf)
			got <- string(buf[:n])
		}()
		time.Sleep(time.Minute)
		synctest.Wait()
		select {
		case g := <-got:
			t.Fatalf("read %q across a partition", g)
		default:
		}
		nw.Partition("192.0.2.1", "192.0.2.2", false)
		if g := <-got; g != "held" {
			t.Errorf("after heal read %q, want held", g)
		}
		c.Close()
		s.Close()
	})
}
