package sdp

import (
	"net/netip"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"linphone.sdp", "sloppy-order.sdp", "audio-and-t38.sdp"} {
		raw := readTestdata(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := Parse(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAnswer(b *testing.B) {
	raw := readTestdata(b, "linphone.sdp")
	b.ReportAllocs()
	for b.Loop() {
		n, err := NewNegotiator(Config{Addr: netip.MustParseAddr("192.0.2.1"), Port: 4000, SessionID: 1})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := n.Answer(raw); err != nil {
			b.Fatal(err)
		}
	}
}
