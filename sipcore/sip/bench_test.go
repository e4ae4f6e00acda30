package sip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// BenchmarkParse parses each standard message and then reads what a
// transaction layer reads from every message, so lazy parsing cannot hide
// its cost: the top Via (branch and sent-by), CSeq number and method,
// Call-ID, From tag, To tag, and the body (Content-Length is enforced by
// the parser, the body length is read here).
func BenchmarkParse(b *testing.B) {
	for _, name := range benchFiles {
		data := readBench(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var sink int
			for b.Loop() {
				m, err := Parse(data)
				if err != nil {
					b.Fatal(err)
				}
				v, err := m.TopVia()
				if err != nil {
					b.Fatal(err)
				}
				c, err := m.CSeq()
				if err != nil {
					b.Fatal(err)
				}
				sink += len(v.Branch()) + len(v.Host) + v.Port + int(c.Seq) + len(c.Method) +
					len(m.CallID()) + len(m.FromTag()) + len(m.ToTag()) + len(m.Body())
			}
			if sink == 0 {
				b.Fatal("nothing read")
			}
		})
	}
}

// BenchmarkSerialize appends each parsed standard message to a reused
// buffer (what a transport does before writing), Content-Length included.
func BenchmarkSerialize(b *testing.B) {
	for _, name := range benchFiles {
		m, err := Parse(readBench(b, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 2048)
			for b.Loop() {
				buf = m.AppendTo(buf[:0])
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func TestBenchFilesRoundTrip(t *testing.T) {
	for _, name := range benchFiles {
		data := readBench(t, name)
		m, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := m.String(); got != string(data) {
			t.Errorf("%s: round trip differs:\n%q\n%q", name, got, data)
		}
		if !strings.HasPrefix(topBranch(m), "z9hG4bK") {
			t.Errorf("%s: branch %q", name, topBranch(m))
		}
	}
}

func topBranch(m Message) string {
	v, _ := m.TopVia()
	return v.Branch()
}
