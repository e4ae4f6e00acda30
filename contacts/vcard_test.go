package contacts

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func importFile(t *testing.T, name string) ([]Contact, []VCardWarning) {
	t.Helper()
	f, err := os.Open("testdata/vcard/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cs, ws, err := ImportVCard(f)
	if err != nil {
		t.Fatalf("ImportVCard(%s): %v", name, err)
	}
	return cs, ws
}

func warnStrings(ws []VCardWarning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	return out
}

func TestImportVCardFixtures(t *testing.T) {
	tests := []struct {
		file  string
		want  []Contact
		warns []string
	}{
		{
			file: "v21.vcf", // quoted-printable, CHARSET, soft line breaks, bare params, photo
			want: []Contact{
				{Name: "Dr. Jürgen Müller", URI: "tel:+491701234567", Numbers: []string{"tel:03012345678", "tel:0305550100"},
					Note: "First line\nsecond line with a very long text that is split by a soft line break"},
				{Name: "François", URI: "tel:+33123456789"},
			},
			warns: []string{`card 1 (Dr. Jürgen Müller) line 7: TEL "(030) 555-0100 x23": extension or pause dropped`},
		},
		{
			file: "v30.vcf", // TYPE lists, pref, IMPP, escapes, folding, card without number
			want: []Contact{
				{Name: "Siobhan O'Brien", URI: "sip:siobhan@widgets.example",
					Numbers: []string{"tel:+353871234567", "tel:+35315550199"},
					Tags:    []string{"Work", "Ireland, South"},
					Note:    "Met at the conference; call after 9\nSecond line"},
				{Name: "Folded Name That Is Very Long And Continues On The Next Physical Line Of The File", URI: "tel:1234"},
			},
			warns: []string{
				"card 2 (No Number Person): no sip address or phone number; card skipped",
				`card 3 (Folded Name That Is Very Long And Continues On The Next Physical Line Of The File) line 23: TEL "555-CALL-NOW": not a phone number, ignored`,
			},
		},
		{
			file: "v40.vcf", // VALUE=uri tel:, quoted TYPE, PREF=1, IMPP xmpp ignored, URL sips:
			want: []Contact{
				{Name: "Zoë Kowalski", URI: "sip:zoe@voip.example.pl",
					Numbers: []string{"sips:zoe.secure@voip.example.pl", "tel:+48221234567", "tel:+48227654321"}},
			},
		},
		{
			file: "android.vcf", // X-SIP, QP UTF-8 name, missing END:VCARD at EOF
			want: []Contact{
				{Name: "Kenji Nakamura", URI: "sip:kenji@sip.example.jp", Numbers: []string{"tel:+819012345678", "tel:+81312345678"}},
				{Name: "東京オフィス", URI: "tel:0355550000"},
				{Name: "Broken Card", URI: "tel:+15550100"},
			},
			warns: []string{"card 3 (Broken Card): file ends inside the card (missing END:VCARD)"},
		},
		{
			file: "ios.vcf", // item groups, type=pref, X-SERVICE-TYPE, ORG-only card
			want: []Contact{
				{Name: "Johnny Appleseed", URI: "sip:johnny@orchard.example", Numbers: []string{"tel:+14085550101", "tel:+14085550102"}},
				{Name: "Pizza Place", URI: "tel:+14085550199"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, ws := importFile(t, tt.file)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("contacts:\n got %#v\nwant %#v", got, tt.want)
			}
			if g := warnStrings(ws); !reflect.DeepEqual(g, tt.warns) {
				t.Errorf("warnings:\n got %q\nwant %q", g, tt.warns)
			}
			// Every imported contact is acceptable to a Book.
			b := NewBook()
			if _, errs := b.Import(got); len(errs) > 0 {
				t.Errorf("Import: %v", errs)
			}
		})
	}
}

func TestImportVCardEdgeCases(t *testing.T) {
	in := strings.Join([]string{
		"junk before any card",
		"BEGIN:VCARD",
		"VERSION:3.0",
		"N:Doe;Jane;Q.;Ms.;PhD",
		"TEL;TYPE=home:+1 555 0100",
		"TEL;TYPE=cell;TYPE=pref:+1 555 0199",
		"TEL:+1 555 0199", // same number twice
		"X-SIP;TYPE=work:sip:jane@example.com",
		"AGENT:", // vCard 2.1 embedded card: skipped
		"BEGIN:VCARD",
		"FN:The Agent",
		"TEL:+1 555 0001",
		"END:VCARD",
		"this line has no colon",
		"PHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD",
		"2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwg", // unindented base64: no warning
		"",
		"TEL;CHARSET=KOI8-R:+7 495 000",
		"END:VCARD",
		"BEGIN:VCARD",
		"FN:Second",
		"IMPP:sip:bad host@example.com",
		"TEL:+44 20 0000 0000",
		"BEGIN:VCARD", // missing END of the previous card
		"FN:Third",
		"TEL:999",
		"END:VCARD",
	}, "\n")
	got, ws := importString(t, in)
	want := []Contact{
		{Name: "Ms. Jane Q. Doe PhD", URI: "sip:jane@example.com", Numbers: []string{"tel:+15550199", "tel:+15550100"}},
		{Name: "Second", URI: "tel:+442000000000"},
		{Name: "Third", URI: "tel:999"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("contacts:\n got %#v\nwant %#v", got, want)
	}
	wantWarns := []string{
		"card 1 (Ms. Jane Q. Doe PhD) line 14: unparsable line ignored",
		"card 1 (Ms. Jane Q. Doe PhD) line 18: TEL: charset KOI8-R not supported",
		`card 2 (Second) line 22: IMPP: invalid uri "sip:bad host@example.com": contains white space`,
		"card 2 (Second) line 24: BEGIN:VCARD inside a card (missing END:VCARD?)",
	}
	if g := warnStrings(ws); !reflect.DeepEqual(g, wantWarns) {
		t.Errorf("warnings:\n got %q\nwant %q", g, wantWarns)
	}
}

func importString(t *testing.T, s string) ([]Contact, []VCardWarning) {
	t.Helper()
	cs, ws, err := ImportVCard(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return cs, ws
}

func TestImportVCardEmpty(t *testing.T) {
	cs, ws := importString(t, "")
	if cs != nil || ws != nil {
		t.Errorf("empty input: %v %v", cs, ws)
	}
}
