package contacts

import (
	"errors"
	"testing"
)

func TestNormalizeURI(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"sip:alice@example.com", "sip:alice@example.com"},
		{"SIP:alice@EXAMPLE.com", "sip:alice@example.com"},
		{"sips:alice@example.com", "sip:alice@example.com"},
		{"sip:alice@example.com:5060", "sip:alice@example.com"},
		{"sips:alice@example.com:5061", "sip:alice@example.com"},
		{"sips:alice@example.com:5060", "sip:alice@example.com:5060"},
		{"sip:alice@example.com:5070", "sip:alice@example.com:5070"},
		{"sip:alice@example.com;transport=tcp;lr", "sip:alice@example.com"},
		{"sip:alice@example.com?subject=hi", "sip:alice@example.com"},
		{"sip:alice:secret@example.com", "sip:alice@example.com"},
		{"sip:%61lice@example.com", "sip:alice@example.com"},                 // RFC 3261 §19.1.4
		{"sip:Alice@example.com", "sip:Alice@example.com"},                   // user part is case-sensitive
		{"sip:example.com", "sip:example.com"},                               // no user part
		{"sip:bob@[2001:DB8::1]:5060", "sip:bob@[2001:db8::1]"},              // IPv6 reference
		{"sip:bob@192.0.2.4:5080", "sip:bob@192.0.2.4:5080"},                 //
		{"alice@example.com", "sip:alice@example.com"},                       // user@host
		{"alice@Example.com:5060", "sip:alice@example.com"},                  //
		{`"Alice" <sip:alice@example.com>;tag=abc`, "sip:alice@example.com"}, // From header value
		{"<sip:alice@example.com;transport=udp>", "sip:alice@example.com"},
		{"tel:+1-202-555-0143", "tel:+12025550143"},
		{"TEL:+1 (202) 555.0143;phone-context=example.com", "tel:+12025550143"},
		{"+44 7700 900123", "tel:+447700900123"},
		{"100", "tel:100"},
		{"*97", "tel:*97"},
		{"sip:+4930123456@provider.example;user=phone", "sip:+4930123456@provider.example"},
	}
	for _, tt := range tests {
		got, err := NormalizeURI(tt.in)
		if err != nil {
			t.Errorf("NormalizeURI(%q) error: %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateURIRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		"alice",
		"mailto:alice@example.com",
		"http://example.com",
		"sip:",
		"sip:@example.com",
		"sip:alice@",
		"sip:alice@exa mple.com",
		"sip:alice@example.com:0",
		"sip:alice@example.com:99999",
		"sip:alice@example.com:",
		"sip:alice@[::1",
		"tel:",
		"tel:abc",
		"555-CALL-NOW",
		`"Alice" <sip:alice@example.com`,
	} {
		err := ValidateURI(in)
		if !errors.Is(err, ErrInvalidURI) {
			t.Errorf("ValidateURI(%q) = %v, want ErrInvalidURI", in, err)
		}
	}
}

func TestPhoneKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sip:+4930123456@provider.example;user=phone", "tel:+4930123456"},
		{"sip:100@pbx.example", "tel:100"},
		{"sip:alice@example.com", ""},
		{"tel:+49-30-123456", "tel:+4930123456"},
		{"030 123456", "tel:030123456"},
	}
	for _, tt := range tests {
		a, err := parseAddr(tt.in)
		if err != nil {
			t.Fatalf("parseAddr(%q): %v", tt.in, err)
		}
		if a.phone != tt.want {
			t.Errorf("parseAddr(%q).phone = %q, want %q", tt.in, a.phone, tt.want)
		}
	}
}
