package contacts

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadExample(t *testing.T) {
	b, err := Load("testdata/contacts.example.toml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := names(b.All()), []string{"Alice Liddell", "Bob Builder", "Carol Danvers", "Reception"}; !reflect.DeepEqual(got, want) {
		t.Errorf("All = %q, want %q", got, want)
	}
	alice, ok := b.Get("alice")
	want := Contact{ID: "alice", Name: "Alice Liddell", URI: "sip:alice@example.com",
		Numbers:  []string{"tel:+44-20-7946-0001", "+44 7700 900123"},
		Favorite: true, Tags: []string{"work", "team"}, Note: "Prefers messages before 10:00."}
	if !ok || !reflect.DeepEqual(alice, want) {
		t.Errorf("alice = %#v\nwant %#v", alice, want)
	}
	if c, ok := b.Lookup(`<sip:+447700900123@gw.example;user=phone>`); !ok || c.ID != "alice" {
		t.Errorf("Lookup by mobile = %q, %v", c.ID, ok)
	}
	if got := names(b.Favorites()); !reflect.DeepEqual(got, []string{"Alice Liddell", "Bob Builder"}) {
		t.Errorf("Favorites = %q", got)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	b, err := Load("testdata/contacts.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	// Awkward strings survive quoting.
	mustAdd(t, b, Contact{Name: `Quote "Q" \ Backslash`, URI: "sip:q@example.com",
		Note: "line 1\nline 2\ttab \x01 ctrl — ünïcödé 😀"})
	b.extra = map[string]any{"ui": map[string]any{"sort": "name"}, "owner": "me"}
	dir := t.TempDir()
	path := filepath.Join(dir, "contacts.toml")
	if err := b.Save(path); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if err := b.Save(path); err != nil { // over an existing file
		t.Fatalf("second Save: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after Save, want 1 (temp file left?)", len(entries))
	}
	b2, err := Load(path)
	if err != nil {
		data, _ := os.ReadFile(path)
		t.Fatalf("Load of saved file: %v\n%s", err, data)
	}
	if got, want := b2.All(), b.All(); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed contacts:\n got %#v\nwant %#v", got, want)
	}
	// Unknown keys survive: per contact and top level.
	var buf bytes.Buffer
	if err := b2.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{`ringtone = "bells.wav"`, `owner = "me"`, "[ui]", `sort = "name"`} {
		if !strings.Contains(out, s) {
			t.Errorf("saved file lost %q:\n%s", s, out)
		}
	}
	// Editing a contact keeps its unknown keys.
	carol, _ := b2.Get("carol")
	carol.Name = "Carol D."
	if err := b2.Update(carol); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	_ = b2.Encode(&buf)
	if !strings.Contains(buf.String(), `ringtone = "bells.wav"`) {
		t.Errorf("Update dropped unknown key:\n%s", buf.String())
	}
}

func TestRoundTripNestedUnknownTable(t *testing.T) {
	in := `version = 1
[[contact]]
id = "a"
uri = "sip:a@example.com"
extra = 1
[contact.presence]
note = "custom"
[[contact]]
id = "b"
uri = "sip:b@example.com"
`
	b, err := Decode(strings.NewReader(in), "in.toml")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	b2, err := Decode(&buf, "out.toml")
	if err != nil {
		t.Fatalf("re-decode: %v\n%s", err, buf.String())
	}
	want := map[string]any{"extra": int64(1), "presence": map[string]any{"note": "custom"}}
	if got := b2.byID["a"].extra; !reflect.DeepEqual(got, want) {
		t.Errorf("extra = %#v, want %#v", got, want)
	}
	if b2.byID["b"].extra != nil {
		t.Errorf("b got extra %#v", b2.byID["b"].extra)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantLine int
		wantIn   []string // substrings of the message
		wantErr  error
	}{
		{
			name:     "syntax",
			in:       "version = 1\n\n[[contact]]\nname = \"Alice\nuri = \"sip:a@x\"\n",
			wantLine: 4,
			wantIn:   []string{"contacts.toml:4:", "newline"},
		},
		{
			name:     "bad value",
			in:       "[[contact]]\nuri = \"sip:a@x\"\nfavorite = yes\n",
			wantLine: 3,
			wantIn:   []string{"contacts.toml:3:"},
		},
		{
			name:     "wrong type",
			in:       "[[contact]]\nname = \"A\"\nuri = \"sip:a@x\"\n\n[[contact]]\nname = \"B\"\nuri = \"sip:b@x\"\nfavorite = \"yes\"\n",
			wantLine: 8,
			wantIn:   []string{"contacts.toml:8:", `key "contact.favorite"`, "want true or false, got a string"},
		},
		{
			name:     "missing uri",
			in:       "[[contact]]\nname = \"A\"\nuri = \"sip:a@x\"\n[[contact]]\nname = \"B\"\n",
			wantLine: 4,
			wantIn:   []string{"contacts.toml:4:", "every contact needs a uri"},
		},
		{
			name:     "invalid uri",
			in:       "# c\n[[contact]]\nname = \"Bob\"\n\nuri = \"mailto:bob@x\"\n",
			wantLine: 5,
			wantIn:   []string{"contacts.toml:5:", `contact 1 ("Bob")`, "invalid uri", "mailto"},
			wantErr:  ErrInvalidURI,
		},
		{
			name:     "invalid number",
			in:       "[[contact]]\nname = \"Bob\"\nuri = \"sip:bob@x\"\nnumbers = [\"+1 555\", \"call me\"]\n",
			wantLine: 4,
			wantIn:   []string{"contacts.toml:4:", `key "contact.numbers"`},
			wantErr:  ErrInvalidURI,
		},
		{
			name:     "duplicate uri",
			in:       "[[contact]]\nname = \"A\"\nuri = \"sip:a@x\"\n[[contact]]\nname = \"B\"\nuri = \"SIP:a@X:5060\"\n",
			wantLine: 6,
			wantIn:   []string{"contacts.toml:6:", `contact 2 ("B")`, `already belongs to "A"`},
			wantErr:  ErrDuplicateURI,
		},
		{
			name:     "duplicate id",
			in:       "[[contact]]\nid = \"x\"\nuri = \"sip:a@x\"\n[[contact]]\nid = \"x\"\nuri = \"sip:b@x\"\n",
			wantLine: 5,
			wantIn:   []string{"contacts.toml:5:", "duplicate contact id x"},
		},
		{
			name:     "newer version",
			in:       "# x\nversion = 7\n",
			wantLine: 2,
			wantIn:   []string{"contacts.toml:2:", "version 7 is newer"},
		},
		{
			name:     "contact not a table",
			in:       "contact = \"alice\"\n",
			wantLine: 1,
			wantIn:   []string{"contacts.toml:1:", "[[contact]]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "contacts.toml")
			if err := os.WriteFile(path, []byte(tt.in), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Load error = %v (%T), want *FileError", err, err)
			}
			if fe.Line != tt.wantLine {
				t.Errorf("line = %d, want %d (%v)", fe.Line, tt.wantLine, err)
			}
			if fe.Path != path {
				t.Errorf("path = %q, want %q", fe.Path, path)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantErr)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load missing file = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadEmptyAndInlineArray(t *testing.T) {
	b, err := Decode(strings.NewReader(""), "empty")
	if err != nil || b.Len() != 0 {
		t.Fatalf("empty file: %v, %d contacts", err, b.Len())
	}
	b, err = Decode(strings.NewReader(`contact = [{name = "A", uri = "sip:a@x", numbers = "+1 555 0100"}]`), "inline")
	if err != nil {
		t.Fatal(err)
	}
	if all := b.All(); len(all) != 1 || !reflect.DeepEqual(all[0].Numbers, []string{"+1 555 0100"}) {
		t.Errorf("inline array: %+v", all)
	}
}

func TestSaveIntoMissingDir(t *testing.T) {
	err := NewBook().Save(filepath.Join(t.TempDir(), "no", "such", "contacts.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save = %v, want fs.ErrNotExist", err)
	}
}
