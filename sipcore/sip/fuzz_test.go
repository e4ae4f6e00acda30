package sip

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// checkRoundTrip asserts that a parsed message re-serializes to bytes that
// parse to an equal message: the same start line, the same header names and
// values in order (Content-Length aside, which the serializer recomputes
// and adds when absent), the same body; and that serialization is then a
// fixed point.
func checkRoundTrip(t testing.TB, m1 Message) {
	t.Helper()
	s1 := m1.String()
	// Serialization may grow a message (CRLF for LF, an added
	// Content-Length), so the re-parse is not bound by the default size.
	m2, err := roomyParser.Parse([]byte(s1))
	if err != nil {
		t.Fatalf("re-parse failed: %v\nserialized: %q", err, s1)
	}
	if a, b := m1.StartLine(), m2.StartLine(); a != b {
		t.Fatalf("start line changed: %q -> %q", a, b)
	}
	if a, b := headersNoCL(m1), headersNoCL(m2); !reflect.DeepEqual(a, b) {
		t.Fatalf("headers changed:\n%q\n%q", a, b)
	}
	if !bytes.Equal(m1.Body(), m2.Body()) {
		t.Fatalf("body changed: %q -> %q", m1.Body(), m2.Body())
	}
	if s2 := m2.String(); s2 != s1 {
		t.Fatalf("serialization not stable:\n%q\n%q", s1, s2)
	}
}

var roomyParser = Parser{Limits: Limits{MaxMessageSize: 1 << 20}}

func headersNoCL(m Message) [][2]string {
	var out [][2]string
	for _, h := range m.Headers() {
		if !h.Is(HeaderContentLength) {
			out = append(out, [2]string{h.Name, h.Value})
		}
	}
	return out
}

func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, pat := range []string{"testdata/rfc4475/*.dat", "testdata/bench/*.sip"} {
		files, err := filepath.Glob(pat)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parser{Limits: Limits{MaxMessageSize: 1 << 16}}.Parse(data)
		if err != nil {
			return
		}
		checkRoundTrip(t, m)
		// Typed accessors must never panic, whatever the values hold.
		_, _ = m.Vias()
		_, _ = m.From()
		_, _ = m.To()
		_, _ = m.CSeq()
		_, _ = m.Contacts()
		_, _ = m.ContentType()
		_ = m.FromTag() + m.ToTag()
		if r, ok := m.(*Request); ok {
			_ = ValidateRequest(r, ValidateOptions{Accept: []string{"application/sdp"}})
		} else {
			_ = ValidateResponse(m.(*Response))
		}
		// A stream framer must deliver the same message.
		fr := NewFramer(bytes.NewReader([]byte(m.String())), roomyParser.Limits)
		m2, err := fr.Next()
		if err != nil {
			t.Fatalf("framer: %v", err)
		}
		if m2.String() != m.String() {
			t.Fatalf("framer result differs")
		}
	})
}

func FuzzParseURI(f *testing.F) {
	for _, s := range uriSeeds {
		f.Add(s)
	}
	for _, s := range fuzzSeeds(f) {
		if r, err := Parse(s); err == nil {
			if req, ok := r.(*Request); ok {
				f.Add(req.URI.String())
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			return
		}
		s1 := u.String()
		u2, err := ParseURI(s1)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", s1, s, err)
		}
		if !reflect.DeepEqual(u, u2) {
			t.Fatalf("uri changed: %#v -> %#v", u, u2)
		}
		if s2 := u2.String(); s2 != s1 {
			t.Fatalf("not stable: %q -> %q", s1, s2)
		}
		if !u.Equal(u2) {
			t.Fatalf("%q not equal to itself", s1)
		}
		// As a name-addr the URI must survive too.
		a, err := ParseAddress(Address{URI: u}.String())
		if err != nil || !a.URI.Equal(u) {
			t.Fatalf("name-addr of %q: %v", s1, err)
		}
	})
}

var uriSeeds = []string{
	"sip:alice@atlanta.com",
	"sip:alice:secretword@atlanta.com;transport=tcp",
	"sips:alice@atlanta.com?subject=project%20x&priority=urgent",
	"sip:+1-212-555-1212:1234@gateway.com;user=phone",
	"sips:1212@gateway.com",
	"sip:alice@192.0.2.4",
	"sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com",
	"sip:alice;day=tuesday@atlanta.com",
	"sip:[2001:db8::10]:5070;transport=tcp",
	"tel:+1-201-555-0123;ext=1234",
	"tel:7042;phone-context=example.com",
	"urn:service:sos",
	"http://www.example.com/a?b=c",
}
