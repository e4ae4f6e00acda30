package sip

import (
	"errors"
	"reflect"
	"testing"
)

// RFC 3261 §19.1.4: the equivalent and non-equivalent URI examples.
func TestURIEqualRFC3261Examples(t *testing.T) {
	equal := [][2]string{
		{"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;security=on"},
		{"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"},
		{"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"},
		{"sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x"},
	}
	unequal := [][2]string{
		{"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"}, // different usernames
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"},                              // different ports
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"},                     // different transports
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"},                // port and transport
		{"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"},      // header component
		{"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"},                        // no resolution
		{"sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"},    // non-transitive example
		{"sip:alice@atlanta.com", "sips:alice@atlanta.com"},                            // sip vs sips
		{"sip:alice@atlanta.com", "sip:alice@atlanta.com;maddr=239.255.255.1"},         // maddr in one
		{"sip:alice@atlanta.com", "sip:alice@atlanta.com;user=phone"},                  // user in one
		{"sip:alice@atlanta.com;ttl=5", "sip:alice@atlanta.com"},                       // ttl in one
		{"sip:alice@atlanta.com;method=INVITE", "sip:alice@atlanta.com"},               // method in one
		{"sip:alice:pw@atlanta.com", "sip:alice@atlanta.com"},                          // password
	}
	for _, c := range equal {
		a, b := mustURI(t, c[0]), mustURI(t, c[1])
		if !a.Equal(b) || !b.Equal(a) {
			t.Errorf("%s == %s: got unequal", c[0], c[1])
		}
	}
	for _, c := range unequal {
		a, b := mustURI(t, c[0]), mustURI(t, c[1])
		if a.Equal(b) || b.Equal(a) {
			t.Errorf("%s != %s: got equal", c[0], c[1])
		}
	}
}

func TestParseURI(t *testing.T) {
	tests := []struct {
		in   string
		want URI
	}{
		{"sip:alice@atlanta.com", URI{Scheme: "sip", User: "alice", Host: "atlanta.com"}},
		{"sip:alice:secretword@atlanta.com;transport=tcp", URI{Scheme: "sip", User: "alice", Password: "secretword", Host: "atlanta.com", Params: Params{{"transport", "tcp"}}}},
		{"sips:alice@atlanta.com?subject=project%20x&priority=urgent", URI{Scheme: "sips", User: "alice", Host: "atlanta.com", Headers: Params{{"subject", "project%20x"}, {"priority", "urgent"}}}},
		{"sip:+1-212-555-1212:1234@gateway.com;user=phone", URI{Scheme: "sip", User: "+1-212-555-1212", Password: "1234", Host: "gateway.com", Params: Params{{"user", "phone"}}}},
		{"sip:alice@192.0.2.4:5070", URI{Scheme: "sip", User: "alice", Host: "192.0.2.4", Port: 5070}},
		{"sip:[2001:db8::10]:5070;lr", URI{Scheme: "sip", Host: "[2001:db8::10]", Port: 5070, Params: Params{{"lr", ""}}}},
		{"sip:alice;day=tuesday@atlanta.com", URI{Scheme: "sip", User: "alice;day=tuesday", Host: "atlanta.com"}},
		{"SIP:Bob@Example.COM", URI{Scheme: "SIP", User: "Bob", Host: "Example.COM"}},
		{"tel:+1-201-555-0123;ext=1234", URI{Scheme: "tel", User: "+1-201-555-0123", Params: Params{{"ext", "1234"}}}},
		{"tel:7042;phone-context=example.com", URI{Scheme: "tel", User: "7042", Params: Params{{"phone-context", "example.com"}}}},
		{"tel:863-1234;phone-context=+1-914-555", URI{Scheme: "tel", User: "863-1234", Params: Params{{"phone-context", "+1-914-555"}}}},
		{"urn:service:sos", URI{Scheme: "urn", Opaque: "service:sos"}},
		{"http://www.example.com/a?b=c", URI{Scheme: "http", Opaque: "//www.example.com/a?b=c"}},
	}
	for _, tc := range tests {
		got, err := ParseURI(tc.in)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseURI(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("String() = %q, want %q", s, tc.in)
		}
	}
	u := mustURI(t, "sip:[2001:db8::10]:5070")
	if u.Hostname() != "2001:db8::10" || u.HostPort() != "[2001:db8::10]:5070" {
		t.Errorf("Hostname %q HostPort %q", u.Hostname(), u.HostPort())
	}
}

func TestParseURIErrors(t *testing.T) {
	for _, in := range []string{
		"", "alice@atlanta.com", "sip:", "sip:@atlanta.com", "sip:alice@", "sip:alice@atlanta.com:99999",
		"sip:alice@atlanta.com:port", "sip:al ice@atlanta.com", "sip:alice@atlanta.com;", "sip:alice@atlanta.com;x=",
		"sip:alice@atlanta.com?x", "sip:a%zzb@atlanta.com", "sip:[2001:db8::1@x", "<sip:alice@atlanta.com>",
		"tel:", "tel:+", "tel:+1-abc", "tel:12;", "1sip:x", "mailto:", "foo:a b",
	} {
		if u, err := ParseURI(in); err == nil {
			t.Errorf("ParseURI(%q) = %#v, want error", in, u)
		} else if !errors.Is(err, ErrURI) {
			t.Errorf("ParseURI(%q) error %v is not ErrURI", in, err)
		}
	}
}

// RFC 3966 §4 comparison.
func TestTelURIEqual(t *testing.T) {
	equal := [][2]string{
		{"tel:+1-201-555-0123", "tel:+12015550123"},
		{"tel:+1(201)555.0123;ext=12", "tel:+12015550123;EXT=12"},
		{"tel:7042;phone-context=example.com", "tel:7042;Phone-Context=EXAMPLE.com"},
		{"tel:+1-201-555-0123;a=1;b=2", "tel:+1-201-555-0123;b=2;a=1"},
		{"tel:12ab", "tel:12AB"},
	}
	unequal := [][2]string{
		{"tel:+1-201-555-0123", "tel:+1-201-555-0124"},
		{"tel:+1-201-555-0123", "tel:+1-201-555-0123;ext=1"},
		{"tel:7042;phone-context=example.com", "tel:7042;phone-context=example.net"},
		{"tel:+12015550123", "sip:+12015550123@example.com"},
	}
	for _, c := range equal {
		if !mustURI(t, c[0]).Equal(mustURI(t, c[1])) {
			t.Errorf("%s == %s: got unequal", c[0], c[1])
		}
	}
	for _, c := range unequal {
		if mustURI(t, c[0]).Equal(mustURI(t, c[1])) {
			t.Errorf("%s != %s: got equal", c[0], c[1])
		}
	}
}

func TestEscaping(t *testing.T) {
	if got := Unescape("a%20b%zz%4"); got != "a b%zz%4" {
		t.Errorf("Unescape = %q", got)
	}
	if got := EscapeUser("al ice@x"); got != "al%20ice%40x" {
		t.Errorf("EscapeUser = %q", got)
	}
	if got := EscapeParam("a b;c"); got != "a%20b%3Bc" {
		t.Errorf("EscapeParam = %q", got)
	}
	u := URI{Scheme: "sip", User: EscapeUser("I have spaces"), Host: "example.net"}
	if !u.Equal(mustURI(t, "sip:I%20have%20spaces@example.net")) || u.String() != "sip:I%20have%20spaces@example.net" {
		t.Errorf("escaped user: %s", u.String())
	}
}
