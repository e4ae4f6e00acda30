package sipgobench

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/emiago/sipgo/sip"
)

var benchFiles = []string{"invite_rfc3261_s4", "ok200_3via_sdp", "ok200_3via_nobody", "register_rfc3261_s24"}

func readBench(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "bench", name+".sip"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkParse mirrors sipcore/sip's: parse, then read the top Via
// (branch and sent-by), CSeq number and method, Call-ID, From tag, To tag
// and the body.
func BenchmarkParse(b *testing.B) {
	p := sip.NewParser()
	for _, name := range benchFiles {
		data := readBench(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var sink int
			for b.Loop() {
				m, err := p.ParseSIP(data)
				if err != nil {
					b.Fatal(err)
				}
				v := m.Via()
				br, _ := v.Params.Get("branch")
				c := m.CSeq()
				ft, _ := m.From().Params.Get("tag")
				tt, _ := m.To().Params.Get("tag")
				sink += len(br) + len(v.Host) + v.Port + int(c.SeqNo) + len(c.MethodName) +
					len(m.CallID().Value()) + len(ft) + len(tt) + len(m.Body())
			}
			if sink == 0 {
				b.Fatal("nothing read")
			}
		})
	}
}

// BenchmarkSerialize mirrors sipcore/sip's: write the parsed message into a
// reused buffer.
func BenchmarkSerialize(b *testing.B) {
	p := sip.NewParser()
	for _, name := range benchFiles {
		m, err := p.ParseSIP(readBench(b, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			buf.Grow(2048)
			for b.Loop() {
				buf.Reset()
				m.StringWrite(&buf)
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}
