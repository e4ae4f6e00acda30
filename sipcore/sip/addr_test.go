package sip

import (
	"reflect"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in   string
		want Address
		out  string // String(); "" means same as in
	}{
		{`Bob <sip:bob@biloxi.com>`, Address{DisplayName: "Bob", URI: URI{Scheme: "sip", User: "bob", Host: "biloxi.com"}}, ""},
		{`"Alice Smith" <sip:alice@atlanta.com>;tag=1928301774`, Address{DisplayName: "Alice Smith", URI: URI{Scheme: "sip", User: "alice", Host: "atlanta.com"}, Params: Params{{"tag", "1928301774"}}}, `Alice Smith <sip:alice@atlanta.com>;tag=1928301774`},
		{`<sip:alice@atlanta.com;transport=tcp>;expires=60`, Address{URI: URI{Scheme: "sip", User: "alice", Host: "atlanta.com", Params: Params{{"transport", "tcp"}}}, Params: Params{{"expires", "60"}}}, ""},
		// addr-spec: the parameters belong to the header, not the URI (§20.10).
		{`sip:alice@atlanta.com;tag=88`, Address{URI: URI{Scheme: "sip", User: "alice", Host: "atlanta.com"}, Params: Params{{"tag", "88"}}}, `<sip:alice@atlanta.com>;tag=88`},
		{`caller<sip:caller@example.com>;tag=323`, Address{DisplayName: "caller", URI: URI{Scheme: "sip", User: "caller", Host: "example.com"}, Params: Params{{"tag", "323"}}}, `caller <sip:caller@example.com>;tag=323`},
		{`"\"Q\" \\ x" <sip:q@x.org>`, Address{DisplayName: `"Q" \ x`, URI: URI{Scheme: "sip", User: "q", Host: "x.org"}}, ""},
		{`"" <sip:x.org>`, Address{URI: URI{Scheme: "sip", Host: "x.org"}}, `<sip:x.org>`},
		{` <tel:+1-555-0100> ; q = 0.5 `, Address{URI: URI{Scheme: "tel", User: "+1-555-0100"}, Params: Params{{"q", "0.5"}}}, `<tel:+1-555-0100>;q=0.5`},
		{"J\u00f6rg M\u00fcller <sip:j@x>", Address{DisplayName: "J\u00f6rg M\u00fcller", URI: URI{Scheme: "sip", User: "j", Host: "x"}}, "\"J\u00f6rg M\u00fcller\" <sip:j@x>"},
		{`<sip:a@b>;x="quoted value"`, Address{URI: URI{Scheme: "sip", User: "a", Host: "b"}, Params: Params{{"x", `"quoted value"`}}}, ""},
	}
	for _, tc := range tests {
		got, err := ParseAddress(tc.in)
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseAddress(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
		want := tc.out
		if want == "" {
			want = tc.in
		}
		if s := got.String(); s != want {
			t.Errorf("String() = %q, want %q", s, want)
		}
	}
}

func TestParseAddressErrors(t *testing.T) {
	for _, in := range []string{
		``, `"unterminated <sip:a@b>`, `Bell, Alexander <sip:a@b>`, `< sip:a@b >`, `<sip:a@b`,
		`sip:a@b?Route=x`, `<sip:a@b>;;`, `<sip:a@b>;x=`, `"x" sip:a@b`, `<sip:a@b> junk`, `*`,
	} {
		if a, err := ParseAddress(in); err == nil {
			t.Errorf("ParseAddress(%q) = %#v, want error", in, a)
		}
	}
}

func TestParseAddressList(t *testing.T) {
	as, err := ParseAddressList(`<sip:a@x>;q=0.1, "B, the second" <sip:b@x> ,sip:c@x;expires=3`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range as {
		got = append(got, a.String())
	}
	want := []string{`<sip:a@x>;q=0.1`, `"B, the second" <sip:b@x>`, `<sip:c@x>;expires=3`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	as, err = ParseAddressList(" * ")
	if err != nil || len(as) != 1 || !as[0].Wildcard || as[0].String() != "*" {
		t.Errorf("wildcard: %#v %v", as, err)
	}
	if _, err := ParseAddressList("*, <sip:a@x>"); err == nil {
		t.Error("wildcard with another contact accepted")
	}
	if _, err := ParseAddressList("<sip:a@x>,,<sip:b@x>"); err == nil {
		t.Error("empty element accepted")
	}
}

func TestAddressTag(t *testing.T) {
	a := mustAddr(t)(ParseAddress(`<sip:a@x>;TAG=abc`))
	if a.Tag() != "abc" {
		t.Errorf("Tag = %q", a.Tag())
	}
	b := a.WithTag("new")
	if b.Tag() != "new" || a.Tag() != "abc" {
		t.Errorf("WithTag changed the original: %q %q", a.Tag(), b.Tag())
	}
	for in, want := range map[string]string{
		`"A;tag=no" <sip:a@x;tag=no>;x=1;tag=yes`: "yes",
		`sip:a@x ; tag = 7`:                       "7",
		`<sip:a@x>`:                               "",
		`sip:a@x;foo="a;tag=b";tag=c`:             "c",
	} {
		if got, _ := addrParam(in, "tag"); got != want {
			t.Errorf("addrParam(%q) = %q, want %q", in, got, want)
		}
	}
}
