package sdp

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: the tolerant parser never panics; whatever it accepts marshals
// to text it accepts again with the same media count; answering it never
// panics, and an answer produced is itself parseable with one m= line per
// offered one.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sdp"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("v=0\nm=audio 1 RTP/AVP\nc=IN IP4 1.2.3.4\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		sd, err := Parse(raw)
		if err != nil {
			return
		}
		out, err := sd.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		sd2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of\n%q\nfailed: %v\n(input %q)", out, err, raw)
		}
		if len(sd2.MediaDescriptions) != len(sd.MediaDescriptions) {
			t.Fatalf("media count %d after round trip, was %d", len(sd2.MediaDescriptions), len(sd.MediaDescriptions))
		}
		n, err := NewNegotiator(Config{Addr: netip.MustParseAddr("192.0.2.1"), Port: 4000,
			Codecs: []Format{PCMU(), Opus(0, "useinbandfec=1")}, SessionID: 1})
		if err != nil {
			t.Fatal(err)
		}
		ans, _, err := n.Answer(raw)
		if err != nil {
			return
		}
		sa, err := Parse(ans)
		if err != nil {
			t.Fatalf("own answer does not parse: %v\n%s", err, ans)
		}
		if len(sa.MediaDescriptions) != len(sd.MediaDescriptions) {
			t.Fatalf("answer has %d m= lines for %d offered", len(sa.MediaDescriptions), len(sd.MediaDescriptions))
		}
	})
}
