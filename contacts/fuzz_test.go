package contacts

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzImportVCard: any input imports without panicking, and every contact
// it returns is accepted by a Book.
func FuzzImportVCard(f *testing.F) {
	files, _ := filepath.Glob("testdata/vcard/*.vcf")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("BEGIN:VCARD\nN;ENCODING=QUOTED-PRINTABLE:=\n=4\nTEL;VALUE=uri:tel:;\nEND:VCARD"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, _, err := ImportVCard(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if _, err := NewBook().Add(c); err != nil {
				t.Errorf("imported contact %+v rejected: %v", c, err)
			}
		}
	})
}

// FuzzDecode: any contacts file either fails with a *FileError or round
// trips through Encode unchanged.
func FuzzDecode(f *testing.F) {
	data, err := os.ReadFile("testdata/contacts.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add("[[contact]]\nuri = \"sip:a@b\"\nx = {y = [1, 2]}\n[contact.z]\nq = 1999-01-01\n")
	f.Add("version = 1\nother = \"x\"\n[t]\na = 1\n")
	f.Fuzz(func(t *testing.T, in string) {
		b, err := Decode(strings.NewReader(in), "fuzz.toml")
		if err != nil {
			if _, ok := err.(*FileError); !ok {
				t.Fatalf("error %v is %T, want *FileError", err, err)
			}
			return
		}
		var buf bytes.Buffer
		if err := b.Encode(&buf); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		b2, err := Decode(bytes.NewReader(buf.Bytes()), "re.toml")
		if err != nil {
			t.Fatalf("re-decode: %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(b.All(), b2.All()) {
			t.Fatalf("round trip changed contacts:\n%#v\n%#v", b.All(), b2.All())
		}
	})
}

// FuzzNormalizeURI: validation and normalization agree and never panic.
func FuzzNormalizeURI(f *testing.F) {
	for _, s := range []string{"sip:alice@example.com:5060;transport=tcp", "tel:+1-555-0100", "+44 20 7946",
		`"A" <sips:[::1]:5061>`, "alice@example.com", "sip:%41@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := NormalizeURI(s)
		if (ValidateURI(s) == nil) != (err == nil) {
			t.Fatalf("ValidateURI and NormalizeURI disagree on %q", s)
		}
		if err == nil && k == "" {
			t.Fatalf("NormalizeURI(%q) = empty key", s)
		}
		b := NewBook()
		if err == nil {
			if _, aerr := b.Add(Contact{URI: s}); aerr != nil {
				t.Fatalf("Add(%q): %v", s, aerr)
			}
			if _, ok := b.Lookup(s); !ok {
				t.Fatalf("Lookup(%q) does not find its own contact", s)
			}
		}
	})
}
