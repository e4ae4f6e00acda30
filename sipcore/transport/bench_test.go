package transport_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/siptest"
	"github.com/teaphone/teaphone/sipcore/transport"
)

// BenchmarkSendReceive measures one request through Send, the wire and the
// receive path (parse, §18.2.1 stamp, delivery) on loopback.
func BenchmarkSendReceive(b *testing.B) {
	for _, tr := range []string{transport.UDP, transport.TCP} {
		b.Run(tr, func(b *testing.B) {
			a, err := transport.New(transport.Options{FillVia: true})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			s, err := transport.New(transport.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			apc, _ := net.ListenPacket("udp", "127.0.0.1:0")
			a.ServePacket(apc)
			var dst transport.Target
			if tr == transport.UDP {
				spc, _ := net.ListenPacket("udp", "127.0.0.1:0")
				s.ServePacket(spc)
				dst = transport.Target{Transport: tr, Addr: apOfB(b, spc.LocalAddr())}
			} else {
				ln, _ := net.Listen("tcp", "127.0.0.1:0")
				s.ServeTCP(ln)
				dst = transport.Target{Transport: tr, Addr: apOfB(b, ln.Addr())}
			}
			req := siptest.Request(b, sip.MethodOptions, "sip:bob@127.0.0.1")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := a.Send(b.Context(), req, dst); err != nil {
					b.Fatal(err)
				}
				<-s.Messages()
			}
		})
	}
}

func apOfB(b *testing.B, a net.Addr) netip.AddrPort {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		b.Fatal(err)
	}
	return ap
}
