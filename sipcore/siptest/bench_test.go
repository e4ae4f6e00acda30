package siptest

import "testing"

// BenchmarkDatagram is one WriteTo + ReadFrom through a perfect link.
func BenchmarkDatagram(b *testing.B) {
	nw := NewNetwork(Options{})
	defer nw.Close()
	a := nw.MustListenPacket(b, addrA)
	c := nw.MustListenPacket(b, addrB)
	msg := make([]byte, 800)
	buf := make([]byte, 2048)
	to := c.LocalAddr()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.WriteTo(msg, to); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.ReadFrom(buf); err != nil {
			b.Fatal(err)
		}
	}
}
