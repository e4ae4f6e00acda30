package contacts

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxVCardSize bounds what ImportVCard reads (address books with photos
// run to a few MB).
const maxVCardSize = 64 << 20

// VCardWarning is a problem with one card (or one line of it) that did not
// stop the import.
type VCardWarning struct {
	Card int    // 1-based index of the card in the file
	Line int    // 1-based physical line where the property starts; 0 for the whole card
	Name string // the card's name when known
	Msg  string
}

func (w VCardWarning) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "card %d", w.Card)
	if w.Name != "" {
		fmt.Fprintf(&b, " (%s)", w.Name)
	}
	if w.Line > 0 {
		fmt.Fprintf(&b, " line %d", w.Line)
	}
	b.WriteString(": ")
	b.WriteString(w.Msg)
	return b.String()
}

// ImportVCard reads vCards (RFC 6350 4.0, RFC 2426 3.0 and the older 2.1
// that many phones still export) and converts each card with a usable
// address into a Contact (without ID). Cards without one are skipped with a
// warning; problems inside a card become warnings too. The error is only
// for failing to read r.
//
// Mapping: FN (else N, else ORG) → Name; sip:/sips: URIs from IMPP
// (RFC 4770), X-SIP and URL → addresses, preferred first; TEL (RFC 6350
// §6.4.1, TYPE/PREF honoured for the order, tel: URI or text) → tel:
// numbers; NOTE → Note; CATEGORIES → Tags. The first SIP address, else the
// first number, becomes URI; the rest go to Numbers. EMAIL, PHOTO, ADR and
// everything else are ignored.
func ImportVCard(r io.Reader) ([]Contact, []VCardWarning, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxVCardSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read vcard: %w", err)
	}
	if len(data) > maxVCardSize {
		return nil, nil, fmt.Errorf("read vcard: file larger than %d bytes", maxVCardSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	var (
		out   []Contact
		warns []VCardWarning
		cur   *card
		n     int
	)
	finish := func() {
		c, w := cur.contact()
		warns = append(warns, w...)
		if c != nil {
			out = append(out, *c)
		}
		cur = nil
	}
	inBase64 := false // inside a vCard 2.1 BASE64 value (PHOTO), which may run on unindented
	for _, pl := range vcardLines(data) {
		p, ok := parseProperty(pl.text)
		if !ok {
			if strings.TrimSpace(pl.text) == "" {
				inBase64 = false // a 2.1 BASE64 value ends with a blank line
			} else if cur != nil && !inBase64 {
				cur.warn(pl.line, "unparsable line ignored")
			}
			continue
		}
		inBase64 = p.has("ENCODING", "BASE64") || p.has("ENCODING", "B")
		switch {
		case p.name == "BEGIN" && strings.EqualFold(p.value, "VCARD"):
			if cur != nil {
				if cur.depth > 0 || cur.agent {
					// vCard 2.1 AGENT: an embedded card follows; skip it.
					cur.depth++
					cur.agent = false
					continue
				}
				cur.warn(pl.line, "BEGIN:VCARD inside a card (missing END:VCARD?)")
				finish()
			}
			n++
			cur = &card{index: n}
		case p.name == "END" && strings.EqualFold(p.value, "VCARD"):
			if cur == nil {
				continue
			}
			if cur.depth > 0 {
				cur.depth--
				continue
			}
			finish()
		case cur != nil && cur.depth == 0:
			cur.agent = p.name == "AGENT" && strings.TrimSpace(p.value) == ""
			cur.add(p, pl.line)
		}
	}
	if cur != nil {
		cur.warn(0, "file ends inside the card (missing END:VCARD)")
		finish()
	}
	return out, warns, nil
}

type physLine struct {
	text string
	line int // first physical line, 1-based
}

// vcardLines splits data into logical lines: CRLF or LF, folded lines
// (RFC 6350 §3.2: a line starting with a space or tab continues the
// previous one, minus that one character) and vCard 2.1 quoted-printable
// soft line breaks (a QP value ending in '=' continues on the next line,
// RFC 2045 §6.7 rule 5).
func vcardLines(data []byte) []physLine {
	raw := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var out []physLine
	for i := 0; i < len(raw); i++ {
		l := strings.TrimSuffix(raw[i], "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(out) > 0 {
			out[len(out)-1].text += l[1:]
			continue
		}
		out = append(out, physLine{text: l, line: i + 1})
		cur := &out[len(out)-1]
		for isQP(cur.text) && strings.HasSuffix(cur.text, "=") && i+1 < len(raw) {
			i++
			cur.text += "\n" + strings.TrimSuffix(raw[i], "\r") // decodeQP drops "=\n"
		}
	}
	return out
}

func isQP(line string) bool {
	head, _, ok := strings.Cut(line, ":")
	return ok && strings.Contains(strings.ToUpper(head), "QUOTED-PRINTABLE")
}

type property struct {
	group  string
	name   string              // upper-case
	params map[string][]string // upper-case names; values as written
	value  string              // raw, still escaped/encoded
}

// parseProperty splits "group.NAME;param=a,b;param2="x:y":value"
// (RFC 6350 §3.3). vCard 2.1 bare parameters (";CELL;PREF") become TYPE
// values, and ";QUOTED-PRINTABLE" an ENCODING.
func parseProperty(l string) (property, bool) {
	var p property
	// Find the ':' that ends name and params, skipping quoted param values.
	inQuote, end := false, -1
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '"':
			inQuote = !inQuote
		case ':':
			if !inQuote {
				end = i
			}
		}
		if end >= 0 {
			break
		}
	}
	if end <= 0 {
		return p, false
	}
	head, value := l[:end], l[end+1:]
	parts := splitQuoted(head, ';')
	name := strings.TrimSpace(parts[0])
	if g, n, ok := strings.Cut(name, "."); ok {
		p.group, name = g, n
	}
	if name == "" {
		return p, false
	}
	p.name = strings.ToUpper(name)
	p.value = value
	p.params = make(map[string][]string)
	for _, prm := range parts[1:] {
		k, v, ok := strings.Cut(prm, "=")
		k = strings.ToUpper(strings.TrimSpace(k))
		if !ok {
			switch k {
			case "QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B":
				p.params["ENCODING"] = append(p.params["ENCODING"], k)
			default:
				p.params["TYPE"] = append(p.params["TYPE"], k)
			}
			continue
		}
		for _, x := range splitQuoted(v, ',') {
			p.params[k] = append(p.params[k], strings.Trim(strings.TrimSpace(x), `"`))
		}
	}
	return p, true
}

// splitQuoted splits s at sep outside double quotes.
func splitQuoted(s string, sep byte) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case sep:
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (p property) has(param, value string) bool {
	return slices.ContainsFunc(p.params[param], func(v string) bool { return strings.EqualFold(v, value) })
}

// isPref reports a preferred property: 2.1/3.0 TYPE=pref or 4.0 PREF=1.
func (p property) isPref() bool {
	if p.has("TYPE", "pref") {
		return true
	}
	for _, v := range p.params["PREF"] {
		if n, err := strconv.Atoi(v); err == nil && n == 1 {
			return true
		}
	}
	return false
}

type card struct {
	index   int
	depth   int  // nested cards (2.1 AGENT) being skipped
	agent   bool // the last property was an empty AGENT: a card follows
	fn, n   string
	org     string
	sips    []candidate
	tels    []candidate
	note    string
	tags    []string
	warns   []VCardWarning
	version string
}

type candidate struct {
	uri  string
	pref bool
}

func (c *card) warn(line int, format string, args ...any) {
	c.warns = append(c.warns, VCardWarning{Card: c.index, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (c *card) add(p property, line int) {
	switch p.name {
	case "VERSION", "FN", "N", "ORG", "TEL", "IMPP", "X-SIP", "URL", "NOTE", "CATEGORIES":
	default:
		return // EMAIL, PHOTO, ADR, X-…: not ours
	}
	val, err := p.decodedValue()
	if err != nil {
		c.warn(line, "%s: %v", p.name, err)
		return
	}
	switch p.name {
	case "VERSION":
		c.version = strings.TrimSpace(val)
	case "FN":
		c.fn = strings.TrimSpace(unescapeText(val))
	case "N":
		c.n = nameFromN(val)
	case "ORG":
		c.org = strings.TrimSpace(unescapeText(splitUnescaped(val, ';')[0]))
	case "NOTE":
		if c.note != "" {
			c.note += "\n"
		}
		c.note += strings.TrimSpace(unescapeText(val))
	case "CATEGORIES":
		for _, t := range splitUnescaped(val, ',') {
			if t = strings.TrimSpace(unescapeText(t)); t != "" {
				c.tags = append(c.tags, t)
			}
		}
	case "TEL":
		c.addTel(p, strings.TrimSpace(val), line)
	case "IMPP", "X-SIP", "URL":
		c.addSIP(p, strings.TrimSpace(unescapeText(val)), line)
	}
}

// telExtension matches a number followed by an extension or dial pause as
// phones write them: "x23", "ext. 23", ",23", ";23", "p23", "w23".
var telExtension = regexp.MustCompile(`(?i)^(\+?[\d\s\-.()]*\d)\s*(?:x|ext\.?|extension|,+|;|p+|w)\s*[\d#*]+$`)

// addTel takes a 4.0 tel: URI (VALUE=uri) or a 2.1/3.0 text number.
func (c *card) addTel(p property, v string, line int) {
	v = unescapeText(v)
	if v == "" {
		return
	}
	num := v
	if s, rest, ok := strings.Cut(v, ":"); ok {
		switch strings.ToLower(s) {
		case "tel":
			num, _, _ = strings.Cut(rest, ";")
		case "sip", "sips":
			c.addSIP(p, v, line)
			return
		default:
			c.warn(line, "TEL %q: unsupported uri", v)
			return
		}
	}
	// Phones write extensions as "x123", "ext. 123" or ",123"; keep the
	// main number and say so.
	main := num
	if m := telExtension.FindStringSubmatch(num); m != nil {
		main = m[1]
		c.warn(line, "TEL %q: extension or pause dropped", v)
	}
	if !isPhoneLike(main) {
		c.warn(line, "TEL %q: not a phone number, ignored", v)
		return
	}
	c.tels = append(c.tels, candidate{uri: "tel:" + phoneDigits(main), pref: p.isPref()})
}

// addSIP takes IMPP (RFC 4770), X-SIP and URL values; only sip:/sips:
// addresses are used (X-SIP may also be a bare user@host). Other IM
// schemes and web URLs are silently ignored.
func (c *card) addSIP(p property, v string, line int) {
	if v == "" {
		return
	}
	scheme, _, ok := strings.Cut(v, ":")
	switch {
	case ok && (strings.EqualFold(scheme, "sip") || strings.EqualFold(scheme, "sips")):
	case p.name == "X-SIP" && !ok || p.name == "X-SIP" && strings.Contains(scheme, "@"):
		v = "sip:" + v
	default:
		return
	}
	if err := ValidateURI(v); err != nil {
		c.warn(line, "%s: %v", p.name, err)
		return
	}
	c.sips = append(c.sips, candidate{uri: v, pref: p.isPref()})
}

// decodedValue undoes ENCODING=QUOTED-PRINTABLE (vCard 2.1) and the
// CHARSET parameter; it returns text still carrying vCard escapes.
func (p property) decodedValue() (string, error) {
	v := p.value
	raw := []byte(v)
	if p.has("ENCODING", "QUOTED-PRINTABLE") {
		raw = decodeQP(v)
	} else if p.has("ENCODING", "BASE64") || p.has("ENCODING", "B") {
		return "", fmt.Errorf("base64 value not supported here")
	}
	cs := strings.ToUpper(firstOr(p.params["CHARSET"], "UTF-8"))
	switch cs {
	case "UTF-8", "UTF8", "US-ASCII", "ASCII":
		if !utf8.Valid(raw) {
			return strings.ToValidUTF8(string(raw), "\uFFFD"), nil
		}
		return string(raw), nil
	case "ISO-8859-1", "LATIN1", "WINDOWS-1252", "CP1252":
		// Latin-1 maps byte for byte onto U+0000..U+00FF; the few
		// windows-1252 extras (€, curly quotes) come out as C1 controls.
		rs := make([]rune, len(raw))
		for i, b := range raw {
			rs[i] = rune(b)
		}
		return string(rs), nil
	default:
		return "", fmt.Errorf("charset %s not supported", cs)
	}
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7) leniently: soft breaks
// ("=\n") vanish, bad escapes stay literal.
func decodeQP(s string) []byte {
	s = strings.ReplaceAll(s, "=\n", "")
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '=' && i+2 < len(s) {
			if b, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				out = append(out, byte(b))
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}

// unescapeText undoes RFC 6350 §3.4 escapes: \\ \, \; \n \N.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		default: // \\ \, \; \: and anything else: the character itself
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// splitUnescaped splits at sep not preceded by a backslash; the parts keep
// their escapes.
func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// nameFromN builds "Prefix Given Additional Family Suffix" from the N
// components family;given;additional;prefixes;suffixes (RFC 6350 §6.2.2);
// each may be a comma list.
func nameFromN(v string) string {
	comp := splitUnescaped(v, ';')
	get := func(i int) string {
		if i >= len(comp) {
			return ""
		}
		var parts []string
		for _, x := range splitUnescaped(comp[i], ',') {
			if x = strings.TrimSpace(unescapeText(x)); x != "" {
				parts = append(parts, x)
			}
		}
		return strings.Join(parts, " ")
	}
	var words []string
	for _, i := range []int{3, 1, 2, 0, 4} {
		if s := get(i); s != "" {
			words = append(words, s)
		}
	}
	return strings.Join(words, " ")
}

// contact converts the card; nil when it has no usable address.
func (c *card) contact() (*Contact, []VCardWarning) {
	name := c.fn
	if name == "" {
		name = c.n
	}
	if name == "" {
		name = c.org
	}
	for i := range c.warns {
		c.warns[i].Name = name
	}
	order := func(list []candidate) []string {
		slices.SortStableFunc(list, func(a, b candidate) int {
			switch {
			case a.pref == b.pref:
				return 0
			case a.pref:
				return -1
			}
			return 1
		})
		out := make([]string, len(list))
		for i, x := range list {
			out[i] = x.uri
		}
		return out
	}
	addrs := append(order(c.sips), order(c.tels)...)
	var uniq []string
	var keys []string
	for _, a := range addrs {
		k, err := NormalizeURI(a)
		if err != nil || slices.Contains(keys, k) {
			continue
		}
		keys = append(keys, k)
		uniq = append(uniq, a)
	}
	if len(uniq) == 0 {
		return nil, append(c.warns, VCardWarning{Card: c.index, Name: name, Msg: "no sip address or phone number; card skipped"})
	}
	var nums []string
	if len(uniq) > 1 {
		nums = uniq[1:]
	}
	note := strings.ReplaceAll(c.note, "\r\n", "\n")
	return &Contact{Name: name, URI: uniq[0], Numbers: nums, Tags: c.tags, Note: note}, c.warns
}
