package contacts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// FileVersion is the contacts file format this package reads and writes.
const FileVersion = 1

// Known keys of the contacts file. Everything else is kept and written back.
const (
	keyVersion  = "version"
	keyContact  = "contact"
	keyID       = "id"
	keyName     = "name"
	keyURI      = "uri"
	keyNumbers  = "numbers"
	keyFavorite = "favorite"
	keyTags     = "tags"
	keyNote     = "note"
)

// FileError is a problem in a contacts file, with the position of the
// offending line when it is known (Line 0 otherwise).
type FileError struct {
	Path   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	Key    string
	Msg    string
	Err    error // underlying error, for errors.Is / errors.As
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		fmt.Fprintf(&b, "key %q: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

// Load reads the contacts file at path. A missing file gives an error
// wrapping fs.ErrNotExist (callers usually start with NewBook then). A
// syntax error, a value of the wrong type, a bad address or an address used
// by two contacts gives a *FileError naming the file and line.
func Load(path string) (*Book, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	return decode(data, path)
}

// Decode reads a contacts file from r; name is used in error messages.
func Decode(r io.Reader, name string) (*Book, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read contacts %s: %w", name, err)
	}
	return decode(data, name)
}

func decode(data []byte, name string) (*Book, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &FileError{Path: name, Line: pe.Position.Line, Column: pe.Position.Col,
				Key: pe.LastKey, Msg: pe.Message, Err: err}
		}
		return nil, &FileError{Path: name, Msg: err.Error(), Err: err}
	}
	lines := newLineIndex(data)
	b := NewBook()
	if v, ok := raw[keyVersion]; ok {
		n, ok := v.(int64)
		if !ok || n < 1 {
			return nil, &FileError{Path: name, Line: lines.topKey(keyVersion), Key: keyVersion, Msg: "want a positive integer"}
		}
		if n > FileVersion {
			return nil, &FileError{Path: name, Line: lines.topKey(keyVersion), Key: keyVersion,
				Msg: fmt.Sprintf("file format version %d is newer than this teaphone understands (%d)", n, FileVersion)}
		}
	}
	var list []map[string]any
	switch v := raw[keyContact].(type) {
	case nil:
	case []map[string]any: // [[contact]] tables
		list = v
	case []any: // contact = [{...}, ...]
		for _, x := range v {
			m, ok := x.(map[string]any)
			if !ok {
				return nil, &FileError{Path: name, Line: lines.topKey(keyContact), Key: keyContact, Msg: "want an array of tables ([[contact]])"}
			}
			list = append(list, m)
		}
	default:
		return nil, &FileError{Path: name, Line: lines.topKey(keyContact), Key: keyContact, Msg: "want an array of tables ([[contact]])"}
	}
	for i, m := range list {
		c, extra, err := contactFromTable(m)
		if err != nil {
			err.Path = name
			err.Line = lines.contactKey(i, err.Key)
			return nil, err
		}
		if _, err := b.addLocked(c, extra); err != nil {
			key := keyURI
			var de *DuplicateURIError
			if errors.As(err, &de) && de.URI != c.URI {
				key = keyNumbers
			} else if errors.Is(err, ErrInvalidURI) && ValidateURI(c.URI) == nil {
				key = keyNumbers
			} else if _, ok := errors.AsType[*DuplicateIDError](err); ok {
				key = keyID
			}
			return nil, &FileError{Path: name, Line: lines.contactKey(i, key), Key: keyContact + "." + key,
				Msg: fmt.Sprintf("contact %d (%s): %v", i+1, describe(c), err), Err: err}
		}
	}
	delete(raw, keyVersion)
	delete(raw, keyContact)
	b.extra = cloneExtra(raw)
	return b, nil
}

func describe(c Contact) string {
	if c.Name != "" {
		return fmt.Sprintf("%q", c.Name)
	}
	if c.URI != "" {
		return c.URI
	}
	return "no name"
}

func contactFromTable(m map[string]any) (Contact, map[string]any, *FileError) {
	var c Contact
	extra := make(map[string]any)
	for k, v := range m {
		var err error
		switch k {
		case keyID:
			c.ID, err = asString(v)
		case keyName:
			c.Name, err = asString(v)
		case keyURI:
			c.URI, err = asString(v)
		case keyNote:
			c.Note, err = asString(v)
		case keyNumbers:
			c.Numbers, err = asStrings(v)
		case keyTags:
			c.Tags, err = asStrings(v)
		case keyFavorite:
			var ok bool
			if c.Favorite, ok = v.(bool); !ok {
				err = fmt.Errorf("want true or false, got %s", tomlType(v))
			}
		default:
			extra[k] = v
		}
		if err != nil {
			return c, nil, &FileError{Key: keyContact + "." + k, Msg: err.Error()}
		}
	}
	if _, ok := m[keyURI]; !ok {
		return c, nil, &FileError{Key: keyContact + "." + keyURI, Msg: "missing: every contact needs a uri"}
	}
	if len(extra) == 0 {
		extra = nil
	}
	return c, extra, nil
}

func asString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", tomlType(v))
	}
	return s, nil
}

func asStrings(v any) ([]string, error) {
	if s, ok := v.(string); ok { // be liberal: numbers = "+49 30 123"
		return []string{s}, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want an array of strings, got %s", tomlType(v))
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("want an array of strings, found %s", tomlType(x))
		}
		out = append(out, s)
	}
	return out, nil
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return "a date/time"
	}
}

// lineIndex finds the lines of keys in a contacts file. BurntSushi/toml does
// not expose key positions after a successful decode, so this scans the
// text: good enough for the files people write (one key per line, no
// [[contact]] inside multi-line strings); 0 when not found.
type lineIndex struct {
	lines   []string
	headers []int // 0-based line of each [[contact]] header
}

var (
	contactHeader = regexp.MustCompile(`^\s*\[\[\s*"?contact"?\s*\]\]`)
	anyHeader     = regexp.MustCompile(`^\s*\[`)
)

func newLineIndex(data []byte) lineIndex {
	li := lineIndex{lines: strings.Split(string(data), "\n")}
	for i, l := range li.lines {
		if contactHeader.MatchString(l) {
			li.headers = append(li.headers, i)
		}
	}
	return li
}

func keyLine(l, key string) bool {
	l = strings.TrimSpace(l)
	rest, ok := strings.CutPrefix(l, key)
	if !ok {
		rest, ok = strings.CutPrefix(l, `"`+key+`"`)
	}
	return ok && strings.HasPrefix(strings.TrimSpace(rest), "=")
}

// topKey is the line of a top-level key (before the first table header).
func (li lineIndex) topKey(key string) int {
	for i, l := range li.lines {
		if anyHeader.MatchString(l) {
			break
		}
		if keyLine(l, key) {
			return i + 1
		}
	}
	return 0
}

// contactKey is the line of key ("contact.uri" or "uri") in the i-th
// [[contact]] table, or of its header when the key is not found.
func (li lineIndex) contactKey(i int, key string) int {
	if i >= len(li.headers) {
		return 0
	}
	key = strings.TrimPrefix(key, keyContact+".")
	start := li.headers[i]
	for j := start + 1; j < len(li.lines); j++ {
		if anyHeader.MatchString(li.lines[j]) {
			break
		}
		if keyLine(li.lines[j], key) {
			return j + 1
		}
	}
	return start + 1
}

// Save writes the book to path atomically: a temporary file in the same
// directory, written, fsynced, given mode 0600, renamed over path, and the
// directory fsynced, so a crash leaves either the old or the new file.
func (b *Book) Save(path string) error {
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save contacts: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("save contacts: %w", err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("save contacts: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("save contacts: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("save contacts: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save contacts: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		_ = d.Close()
	}
	return nil
}

const fileHeader = `# teaphone contacts. Edited by teaphone; hand edits are fine while it is
# not running. One [[contact]] table per contact: name, uri (sip:, sips:,
# tel:, user@host or a number), optional numbers, favorite (= show in the
# buddy list and subscribe to presence), tags and note.
`

// Encode writes the book as a contacts file, contacts in All order. Keys
// this version does not know, read by Load, are written back.
func (b *Book) Encode(w io.Writer) error {
	b.mu.RLock()
	entries := make([]*entry, 0, len(b.byID))
	for _, e := range b.byID {
		entries = append(entries, &entry{c: e.c.clone(), extra: cloneExtra(e.extra)})
	}
	topExtra := cloneExtra(b.extra)
	b.mu.RUnlock()
	slices.SortFunc(entries, func(x, y *entry) int { return compareContacts(x.c, y.c) })

	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	fmt.Fprintf(&buf, "%s = %d\n", keyVersion, FileVersion)
	if len(topExtra) > 0 {
		if err := encodeTOML(&buf, topExtra); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if err := encodeContact(&buf, e); err != nil {
			return err
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write contacts: %w", err)
	}
	return nil
}

func encodeTOML(w io.Writer, v any) error {
	enc := toml.NewEncoder(w)
	enc.Indent = ""
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode contacts: %w", err)
	}
	return nil
}

func encodeContact(buf *bytes.Buffer, e *entry) error {
	c := e.c
	var known strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&known, "%s = %s\n", k, v) }
	kv(keyID, quoteTOML(c.ID))
	if c.Name != "" {
		kv(keyName, quoteTOML(c.Name))
	}
	kv(keyURI, quoteTOML(c.URI))
	if len(c.Numbers) > 0 {
		kv(keyNumbers, quoteTOMLList(c.Numbers))
	}
	if c.Favorite {
		kv(keyFavorite, "true")
	}
	if len(c.Tags) > 0 {
		kv(keyTags, quoteTOMLList(c.Tags))
	}
	if c.Note != "" {
		kv(keyNote, quoteTOML(c.Note))
	}
	const header = "[[contact]]\n"
	buf.WriteString("\n" + header)
	buf.WriteString(known.String())
	if len(e.extra) == 0 {
		return nil
	}
	// Let the encoder write the unknown keys (and any sub-tables, as
	// [contact.x] headers that attach to this [[contact]]), then drop its
	// own copy of the header.
	var xb bytes.Buffer
	if err := encodeTOML(&xb, map[string]any{keyContact: []map[string]any{e.extra}}); err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(strings.TrimLeft(xb.String(), "\n"), header)
	if !ok {
		return fmt.Errorf("encode contacts: unexpected encoder output for contact %s", c.ID)
	}
	buf.WriteString(rest)
	return nil
}

// quoteTOML writes s as a TOML basic string (TOML 1.0 §String): quotes,
// backslashes and control characters escaped, everything else literal UTF-8.
func quoteTOML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func quoteTOMLList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = quoteTOML(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
