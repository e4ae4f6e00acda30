package pidf

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Document
	}{
		{
			name: "RFC 3863 §4.2 example",
			body: `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:im="urn:ietf:params:xml:ns:pidf:im"
    xmlns:myex="http://id.example.com/presence/" entity="pres:someone@example.com">
  <tuple id="bs35r9">
    <status><basic>open</basic><im:im>busy</im:im><myex:location>home</myex:location></status>
    <contact priority="0.8">im:someone@mobilecarrier.net</contact>
    <note xml:lang="en">Don't Disturb Please!</note>
    <note xml:lang="fr">Ne derangez pas, s'il vous plait</note>
    <timestamp>2001-10-27T16:49:29Z</timestamp>
  </tuple>
  <tuple id="eg92n8">
    <status><basic>open</basic></status>
    <contact priority="1.0">mailto:someone@example.com</contact>
  </tuple>
  <note>I'll be in Tokyo next week</note>
</presence>`,
			want: Document{Entity: "pres:someone@example.com", Basic: Open, Note: "Don't Disturb Please!",
				Contact: "im:someone@mobilecarrier.net", Timestamp: time.Date(2001, 10, 27, 16, 49, 29, 0, time.UTC)},
		},
		{
			name: "RPID away as Kamailio relays it from baresip/linphone",
			body: `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
 xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:bob@127.0.0.1">
<tuple id="t1"><status><basic>open</basic></status></tuple>
<dm:person id="p1"><rpid:activities><rpid:away/></rpid:activities><dm:note>Lunch</dm:note></dm:person>
</presence>`,
			want: Document{Entity: "sip:bob@127.0.0.1", Basic: Open, Activities: []string{"away"}, Note: "Lunch"},
		},
		{
			name: "closed with on-the-phone, rpid person, folded note whitespace",
			body: `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:c@x">
<tuple id="a"><status><basic>closed</basic></status><note>
   gone
   home </note></tuple>
<r:person><r:activities><r:on-the-phone/><r:other>odd</r:other></r:activities></r:person></presence>`,
			want: Document{Entity: "sip:c@x", Basic: Closed, Activities: []string{"on-the-phone"}, Note: "gone home"},
		},
		{
			name: "open wins over closed across tuples",
			body: `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:d@x">
<tuple id="a"><status><basic>closed</basic></status></tuple>
<tuple id="b"><status><basic>OPEN</basic></status><contact>sip:d@10.0.0.1</contact></tuple></presence>`,
			want: Document{Entity: "sip:d@x", Basic: Open, Contact: "sip:d@10.0.0.1"},
		},
		{name: "empty body means no information", body: " \r\n", want: Document{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Entity != tt.want.Entity || got.Basic != tt.want.Basic || got.Note != tt.want.Note ||
				got.Contact != tt.want.Contact || !got.Timestamp.Equal(tt.want.Timestamp) || !slices.Equal(got.Activities, tt.want.Activities) {
				t.Errorf("Parse =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, body := range []string{
		`<foo xmlns="urn:x"/>`,
		`<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple>`,
		`not xml at all`,
	} {
		if _, err := Parse([]byte(body)); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", body)
		}
	}
	big := make([]byte, maxDocument+1)
	if _, err := Parse(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse(too large) = %v, want ErrTooLarge", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	in := Document{Entity: "sip:alice@example.com", Basic: Open, Activities: []string{"away", "bad name<"},
		Note: `at "lunch" & <back> soon`, Contact: "sip:alice@192.0.2.1", Timestamp: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	out, err := Parse(Marshal(in, "t1", "p1"))
	if err != nil {
		t.Fatalf("Parse(Marshal): %v\n%s", err, Marshal(in, "t1", "p1"))
	}
	if out.Entity != in.Entity || out.Basic != Open || out.Note != in.Note || out.Contact != in.Contact ||
		!out.Timestamp.Equal(in.Timestamp) || !slices.Equal(out.Activities, []string{"away"}) {
		t.Errorf("round trip = %+v, want %+v (invalid activity names dropped)", out, in)
	}
	closed, _ := Parse(Marshal(Document{Entity: "sip:a@b"}, "t", "p"))
	if closed.Basic != Closed {
		t.Errorf("zero Document marshals as %v, want closed", closed.Basic)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@b"><tuple id="t"><status><basic>open</basic></status></tuple></presence>`))
	f.Add(Marshal(Document{Entity: "sip:x@y", Basic: Open, Activities: []string{"away"}, Note: "n"}, "t", "p"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := Parse(body)
		if err != nil {
			return
		}
		// Whatever parses survives a round trip through Marshal.
		again, err := Parse(Marshal(d, "t", "p"))
		if err != nil {
			t.Fatalf("re-parse of marshalled %+v: %v", d, err)
		}
		if again.Basic != d.Basic && !(d.Basic == Unknown && again.Basic == Closed) {
			t.Errorf("basic %v became %v", d.Basic, again.Basic)
		}
	})
}
