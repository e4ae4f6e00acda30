package sdp

import (
	"net/netip"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// Parse reads SDP as real phones send it and returns it as a pion session
// description.
//
// pion/sdp follows the RFC 4566 §5 grammar strictly and refuses, for example,
// a c= line after t= (pion/sdp#163), so the text is first normalized (see
// Normalize) and then handed to pion. When pion still refuses (media types
// such as m=image, transports such as udptl) the normalized lines are read
// by a lenient parser of our own. Either way the result marshals back to text
// that Parse accepts again.
//
// Unusable SDP (nothing that looks like SDP, no m= line, no c= line anywhere)
// gives a *ParseError that keeps the raw text.
func Parse(raw []byte) (*psdp.SessionDescription, error) {
	d, err := normalize(string(raw))
	if err != nil {
		return nil, &ParseError{Raw: string(raw), Err: err}
	}
	sd := &psdp.SessionDescription{}
	if err := sd.UnmarshalString(d.render()); err != nil {
		sd = d.toPion()
	}
	return sd, nil
}

// Normalize rewrites sloppy SDP into RFC 4566 §5 order with CRLF line ends:
// blank lines, unknown line types and unparseable b= lines are dropped;
// trailing white space is trimmed; missing v=, o=, s= and t= are filled in;
// session-level lines found inside a media description (c= excepted) move
// to the session; upper-case line types and well-known attribute names are
// lower-cased; exact duplicate attributes are dropped; u=, e=, p=, r=, z= and
// k= are dropped because teaphone does not use them.
func Normalize(raw []byte) (string, error) {
	d, err := normalize(string(raw))
	if err != nil {
		return "", &ParseError{Raw: string(raw), Err: err}
	}
	return d.render(), nil
}

// doc is SDP cut into lines by section, each line already repaired.
type doc struct {
	origin   []string // six fields, RFC 4566 §5.2
	hasO     bool
	name     string
	hasName  bool
	info     *string
	conn     []string // three fields, RFC 4566 §5.7
	bw       []psdp.Bandwidth
	times    [][2]uint64
	attrs    []psdp.Attribute
	media    []*docMedia
	anyConn  bool
	anyValid bool
}

type docMedia struct {
	fields []string // media, port[/n], proto, fmt...
	info   *string
	conn   []string
	bw     []psdp.Bandwidth
	attrs  []psdp.Attribute
}

// isKnownAttr reports the attribute names we read or write; they are matched
// without case and written in lower case.
func isKnownAttr(k string) bool {
	switch k {
	case "rtpmap", "fmtp", "ptime", "maxptime",
		"sendrecv", "sendonly", "recvonly", "inactive",
		"rtcp", "rtcp-mux", "rtcp-fb", "silencesupp",
		"crypto", "fingerprint", "setup", "mid",
		"ice-ufrag", "ice-pwd", "candidate", "ssrc":
		return true
	}
	return false
}

// splitFields splits on SDP white space (space and tab), as pion does.
func splitFields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

func normalize(raw string) (*doc, error) {
	d := &doc{}
	var cur *docMedia
	lines := strings.FieldsFunc(raw, func(r rune) bool { return r == '\n' || r == '\r' })
	for _, ln := range lines {
		ln = strings.TrimSpace(ln)
		if len(ln) < 2 || ln[1] != '=' {
			continue
		}
		typ := ln[0] | 0x20 // lower-case ASCII letters
		if typ < 'a' || typ > 'z' {
			continue
		}
		val := strings.TrimSpace(ln[2:])
		switch typ {
		case 'v':
			d.anyValid = true // always written as v=0
		case 'o':
			if !d.hasO {
				d.origin, d.hasO = splitFields(val), true
				d.anyValid = true
			}
		case 's':
			if !d.hasName {
				d.name, d.hasName = val, true
				d.anyValid = true
			}
		case 't':
			if t, ok := parseTiming(val); ok {
				if cur == nil || len(d.times) == 0 {
					d.times = append(d.times, t)
				}
				d.anyValid = true
			}
		case 'i':
			v := val
			if cur != nil {
				if cur.info == nil {
					cur.info = &v
				}
			} else if d.info == nil {
				d.info = &v
			}
		case 'c':
			c, ok := parseConn(val)
			if !ok {
				continue
			}
			d.anyValid = true
			if cur != nil {
				if cur.conn == nil {
					cur.conn = c
				}
			} else if d.conn == nil {
				d.conn = c
			}
		case 'b':
			b, ok := parseBandwidth(val)
			if !ok {
				continue
			}
			if cur != nil {
				cur.bw = append(cur.bw, b)
			} else {
				d.bw = append(d.bw, b)
			}
		case 'a':
			a, ok := parseAttr(val)
			if !ok {
				continue
			}
			if cur != nil {
				cur.attrs = appendAttr(cur.attrs, a)
			} else {
				d.attrs = appendAttr(d.attrs, a)
			}
		case 'm':
			f := splitFields(val)
			if len(f) < 3 {
				cur = &docMedia{} // swallow its lines, emit nothing
				continue
			}
			f[0] = strings.ToLower(f[0])
			f[1] = repairPort(f[1])
			f[2] = strings.ToUpper(f[2])
			if f[2] == "UDPTL" {
				f[2] = "udptl" // RFC 3362 writes it in lower case
			}
			cur = &docMedia{fields: f}
			d.media = append(d.media, cur)
			d.anyValid = true
		}
	}
	if !d.anyValid {
		return nil, ErrNotSDP
	}
	if len(d.media) == 0 {
		return nil, ErrNoMedia
	}
	d.anyConn = d.conn != nil
	for _, m := range d.media {
		d.anyConn = d.anyConn || m.conn != nil
	}
	if !d.anyConn {
		return nil, ErrNoConnection
	}
	d.repairOrigin()
	if d.name == "" {
		d.name = "-" // RFC 4566 §5.3: "s=-" when there is no name
	}
	if len(d.times) == 0 {
		d.times = [][2]uint64{{0, 0}} // RFC 3264 §5: t=0 0
	}
	return d, nil
}

func parseTiming(v string) ([2]uint64, bool) {
	f := splitFields(v)
	if len(f) != 2 {
		return [2]uint64{}, false
	}
	a, err1 := strconv.ParseUint(f[0], 10, 64)
	b, err2 := strconv.ParseUint(f[1], 10, 64)
	return [2]uint64{a, b}, err1 == nil && err2 == nil
}

// parseConn checks "IN IP4|IP6 <address>" (RFC 4566 §5.7), fixing case.
func parseConn(v string) ([]string, bool) {
	f := splitFields(v)
	if len(f) != 3 || !strings.EqualFold(f[0], "IN") {
		return nil, false
	}
	at := strings.ToUpper(f[1])
	if at != "IP4" && at != "IP6" {
		return nil, false
	}
	return []string{"IN", at, f[2]}, true
}

// parseBandwidth reads "<bwtype>:<bandwidth>" (RFC 4566 §5.8, RFC 3556,
// RFC 3890) in the form pion accepts.
func parseBandwidth(v string) (psdp.Bandwidth, bool) {
	t, n, ok := strings.Cut(v, ":")
	if !ok {
		return psdp.Bandwidth{}, false
	}
	bw, err := strconv.ParseUint(strings.TrimSpace(n), 10, 64)
	if err != nil {
		return psdp.Bandwidth{}, false
	}
	t = strings.TrimSpace(t)
	if len(t) > 2 && strings.EqualFold(t[:2], "X-") {
		if strings.ContainsAny(t[2:], " \t:") {
			return psdp.Bandwidth{}, false
		}
		return psdp.Bandwidth{Experimental: true, Type: t[2:], Bandwidth: bw}, true
	}
	t = strings.ToUpper(t)
	switch t {
	case "CT", "AS", "TIAS", "RS", "RR":
		return psdp.Bandwidth{Type: t, Bandwidth: bw}, true
	}
	return psdp.Bandwidth{}, false
}

// parseAttr splits "name[:value]" (RFC 4566 §5.13), lower-casing the names
// we know.
func parseAttr(v string) (psdp.Attribute, bool) {
	k, val, hasVal := strings.Cut(v, ":")
	k = strings.TrimSpace(k)
	if k == "" || strings.ContainsAny(k, " \t") {
		return psdp.Attribute{}, false
	}
	if lk := strings.ToLower(k); isKnownAttr(lk) {
		k = lk
	}
	if !hasVal {
		return psdp.NewPropertyAttribute(k), true
	}
	return psdp.NewAttribute(k, strings.TrimSpace(val)), true
}

// appendAttr drops exact duplicates.
func appendAttr(list []psdp.Attribute, a psdp.Attribute) []psdp.Attribute {
	for _, b := range list {
		if b.Key == a.Key && b.Value == a.Value {
			return list
		}
	}
	return append(list, a)
}

func repairPort(p string) string {
	port, rng, hasRange := strings.Cut(p, "/")
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "0"
	}
	if hasRange {
		if r, err := strconv.Atoi(rng); err == nil && r > 0 && r < 65536 {
			return strconv.Itoa(n) + "/" + strconv.Itoa(r)
		}
	}
	return strconv.Itoa(n)
}

// repairOrigin fills in a missing or broken o= line (RFC 4566 §5.2) from
// what is there and the connection address.
func (d *doc) repairOrigin() {
	f := d.origin
	get := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	user := get(0)
	if user == "" {
		user = "-"
	}
	id, err := strconv.ParseUint(get(1), 10, 64)
	if err != nil {
		id = 0
	}
	ver, err := strconv.ParseUint(get(2), 10, 64)
	if err != nil {
		ver = 0
	}
	at := strings.ToUpper(get(4))
	addr := get(5)
	if addr == "" || (at != "IP4" && at != "IP6") {
		addr, at = d.anyAddress()
	}
	d.origin = []string{user, strconv.FormatUint(id, 10), strconv.FormatUint(ver, 10), "IN", at, addr}
}

func (d *doc) anyAddress() (string, string) {
	c := d.conn
	for _, m := range d.media {
		if c == nil {
			c = m.conn
		}
	}
	if c == nil {
		return "0.0.0.0", "IP4"
	}
	return c[2], c[1]
}

// render writes the document in RFC 4566 §5 order with CRLF line ends.
func (d *doc) render() string {
	var b strings.Builder
	line := func(t string, parts ...string) {
		b.WriteString(t)
		b.WriteByte('=')
		for i, p := range parts {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p)
		}
		b.WriteString("\r\n")
	}
	line("v", "0")
	line("o", d.origin...)
	line("s", d.name)
	if d.info != nil {
		line("i", *d.info)
	}
	if d.conn != nil {
		line("c", d.conn...)
	}
	for _, bw := range d.bw {
		line("b", bw.String())
	}
	for _, t := range d.times {
		line("t", strconv.FormatUint(t[0], 10), strconv.FormatUint(t[1], 10))
	}
	for _, a := range d.attrs {
		line("a", a.String())
	}
	for _, m := range d.media {
		line("m", m.fields...)
		if m.info != nil {
			line("i", *m.info)
		}
		if m.conn != nil {
			line("c", m.conn...)
		}
		for _, bw := range m.bw {
			line("b", bw.String())
		}
		for _, a := range m.attrs {
			line("a", a.String())
		}
	}
	return b.String()
}

// toPion is the lenient fallback: it builds the pion structure directly from
// the repaired lines, for SDP that pion's grammar refuses.
func (d *doc) toPion() *psdp.SessionDescription {
	sd := &psdp.SessionDescription{}
	id, _ := strconv.ParseUint(d.origin[1], 10, 64)
	ver, _ := strconv.ParseUint(d.origin[2], 10, 64)
	sd.Origin = psdp.Origin{
		Username: d.origin[0], SessionID: id, SessionVersion: ver,
		NetworkType: d.origin[3], AddressType: d.origin[4], UnicastAddress: d.origin[5],
	}
	sd.SessionName = psdp.SessionName(d.name)
	if d.info != nil {
		i := psdp.Information(*d.info)
		sd.SessionInformation = &i
	}
	sd.ConnectionInformation = pionConn(d.conn)
	sd.Bandwidth = d.bw
	for _, t := range d.times {
		sd.TimeDescriptions = append(sd.TimeDescriptions, psdp.TimeDescription{
			Timing: psdp.Timing{StartTime: t[0], StopTime: t[1]},
		})
	}
	sd.Attributes = d.attrs
	for _, m := range d.media {
		md := &psdp.MediaDescription{
			ConnectionInformation: pionConn(m.conn),
			Bandwidth:             m.bw,
			Attributes:            m.attrs,
		}
		if m.info != nil {
			i := psdp.Information(*m.info)
			md.MediaTitle = &i
		}
		md.MediaName.Media = m.fields[0]
		port, rng, hasRange := strings.Cut(m.fields[1], "/")
		md.MediaName.Port.Value, _ = strconv.Atoi(port)
		if hasRange {
			r, _ := strconv.Atoi(rng)
			md.MediaName.Port.Range = &r
		}
		md.MediaName.Protos = strings.Split(m.fields[2], "/")
		md.MediaName.Formats = append([]string(nil), m.fields[3:]...)
		sd.MediaDescriptions = append(sd.MediaDescriptions, md)
	}
	return sd
}

func pionConn(c []string) *psdp.ConnectionInformation {
	if c == nil {
		return nil
	}
	return &psdp.ConnectionInformation{
		NetworkType: c[0], AddressType: c[1],
		Address: &psdp.Address{Address: c[2]},
	}
}

// connAddr returns the IP address of a c= line, without a multicast TTL or
// range suffix (RFC 4566 §5.7).
func connAddr(c *psdp.ConnectionInformation) (netip.Addr, bool) {
	if c == nil || c.Address == nil {
		return netip.Addr{}, false
	}
	a, _, _ := strings.Cut(c.Address.Address, "/")
	ip, err := netip.ParseAddr(a)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}
