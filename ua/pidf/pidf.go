// Package pidf reads and writes presence documents: PIDF (RFC 3863) with the
// RPID extensions (RFC 4480) that phones use for "away", "on-the-phone" and
// the like, and the data-model person/device elements (RFC 4479) that carry
// them.
//
// Parsing is liberal: unknown elements and namespaces are ignored, several
// tuples are merged (open wins over closed, per RFC 3863 §4.1 a presentity is
// reachable if any tuple is open), notes are taken from the first tuple or
// person that has one. Building is strict and minimal.
//
// It imports only the standard library and must not import any other
// teaphone package.
package pidf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Namespaces (RFC 3863 §4.1, RFC 4480 §3, RFC 4479 §3).
const (
	NSPIDF       = "urn:ietf:params:xml:ns:pidf"
	NSRPID       = "urn:ietf:params:xml:ns:pidf:rpid"
	NSDataModel  = "urn:ietf:params:xml:ns:pidf:data-model"
	ContentType  = "application/pidf+xml"
	maxDocument  = 64 << 10
	maxTuples    = 64
	maxNoteBytes = 1024
)

// Basic is the basic status of RFC 3863 §4.1.4.
type Basic int

const (
	Unknown Basic = iota
	Open
	Closed
)

func (b Basic) String() string {
	switch b {
	case Open:
		return "open"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// Document is the presence state the parser extracts and the builder writes.
type Document struct {
	Entity     string // pres: URI of the presentity
	Basic      Basic
	Activities []string // RPID activities (RFC 4480 §3.2), e.g. "away", "on-the-phone"
	Note       string
	Contact    string    // contact URI of the first open tuple, if any
	Timestamp  time.Time // zero when absent
}

// Errors from Parse.
var (
	ErrTooLarge = errors.New("pidf: document too large")
	ErrNotPIDF  = errors.New("pidf: not a PIDF presence document")
)

type xmlNote struct {
	Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Text string `xml:",chardata"`
}

type xmlActivities struct {
	Items []xml.Name `xml:",any"`
}

type xmlTuple struct {
	ID     string `xml:"id,attr"`
	Status struct {
		Basic string `xml:"urn:ietf:params:xml:ns:pidf basic"`
	} `xml:"urn:ietf:params:xml:ns:pidf status"`
	Contact   string    `xml:"urn:ietf:params:xml:ns:pidf contact"`
	Notes     []xmlNote `xml:"urn:ietf:params:xml:ns:pidf note"`
	Timestamp string    `xml:"urn:ietf:params:xml:ns:pidf timestamp"`
}

type xmlPerson struct {
	Activities []xmlActivities `xml:"urn:ietf:params:xml:ns:pidf:rpid activities"`
	Notes      []xmlNote       `xml:"urn:ietf:params:xml:ns:pidf:data-model note"`
	RPIDNotes  []xmlNote       `xml:"urn:ietf:params:xml:ns:pidf:rpid note"`
}

type xmlPresence struct {
	XMLName xml.Name    `xml:"urn:ietf:params:xml:ns:pidf presence"`
	Entity  string      `xml:"entity,attr"`
	Tuples  []xmlTuple  `xml:"urn:ietf:params:xml:ns:pidf tuple"`
	Notes   []xmlNote   `xml:"urn:ietf:params:xml:ns:pidf note"`
	Persons []xmlPerson `xml:"urn:ietf:params:xml:ns:pidf:data-model person"`
	// Some servers put rpid:person or a person in the pidf namespace.
	RPIDPersons []xmlPerson `xml:"urn:ietf:params:xml:ns:pidf:rpid person"`
}

// Parse reads a PIDF document. An empty body is not an error: it means
// "no information" (RFC 3856 §6.6.2 allows NOTIFY without a body).
func Parse(body []byte) (Document, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Document{}, nil
	}
	if len(body) > maxDocument {
		return Document{}, ErrTooLarge
	}
	var p xmlPresence
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		// Only UTF-8 and US-ASCII are allowed in SIP bodies by convention;
		// accept the declaration and read the bytes as they are.
		return r, nil
	}
	if err := dec.Decode(&p); err != nil {
		if strings.Contains(err.Error(), "expected element type") {
			return Document{}, ErrNotPIDF
		}
		return Document{}, fmt.Errorf("pidf: %w", err)
	}
	if len(p.Tuples) > maxTuples {
		p.Tuples = p.Tuples[:maxTuples]
	}
	d := Document{Entity: strings.TrimSpace(p.Entity)}
	for _, t := range p.Tuples {
		switch strings.ToLower(strings.TrimSpace(t.Status.Basic)) {
		case "open":
			if d.Basic != Open {
				d.Contact = strings.TrimSpace(t.Contact)
			}
			d.Basic = Open
		case "closed":
			if d.Basic == Unknown {
				d.Basic = Closed
			}
		}
		if d.Note == "" {
			d.Note = firstNote(t.Notes)
		}
		if d.Timestamp.IsZero() && t.Timestamp != "" {
			if ts, err := time.Parse(time.RFC3339, strings.TrimSpace(t.Timestamp)); err == nil {
				d.Timestamp = ts
			}
		}
	}
	persons := append(p.Persons, p.RPIDPersons...)
	for _, per := range persons {
		for _, acts := range per.Activities {
			for _, a := range acts.Items {
				name := a.Local
				if name == "other" || name == "" {
					continue
				}
				if !slices.Contains(d.Activities, name) {
					d.Activities = append(d.Activities, name)
				}
			}
		}
		if d.Note == "" {
			d.Note = firstNote(per.Notes)
		}
		if d.Note == "" {
			d.Note = firstNote(per.RPIDNotes)
		}
	}
	if d.Note == "" {
		d.Note = firstNote(p.Notes)
	}
	return d, nil
}

func firstNote(ns []xmlNote) string {
	for _, n := range ns {
		s := strings.Join(strings.Fields(n.Text), " ")
		if s != "" {
			if len(s) > maxNoteBytes {
				s = strings.ToValidUTF8(s[:maxNoteBytes], "")
			}
			return s
		}
	}
	return ""
}

// Marshal writes d as a PIDF document with one tuple and, when there are
// activities, an RPID person element (RFC 4480 §3.2 inside RFC 4479's
// person). tupleID and personID must be XML IDs (start with a letter).
func Marshal(d Document, tupleID, personID string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<presence xmlns="%s" xmlns:dm="%s" xmlns:rpid="%s" entity="%s">`+"\n", NSPIDF, NSDataModel, NSRPID, esc(d.Entity))
	basic := "closed"
	if d.Basic == Open {
		basic = "open"
	}
	fmt.Fprintf(&b, ` <tuple id="%s">`+"\n", esc(tupleID))
	fmt.Fprintf(&b, "  <status><basic>%s</basic></status>\n", basic)
	if d.Contact != "" {
		fmt.Fprintf(&b, "  <contact>%s</contact>\n", esc(d.Contact))
	}
	if d.Note != "" {
		fmt.Fprintf(&b, "  <note>%s</note>\n", esc(d.Note))
	}
	if !d.Timestamp.IsZero() {
		fmt.Fprintf(&b, "  <timestamp>%s</timestamp>\n", d.Timestamp.UTC().Format(time.RFC3339))
	}
	b.WriteString(" </tuple>\n")
	if len(d.Activities) > 0 {
		fmt.Fprintf(&b, ` <dm:person id="%s">`+"\n  <rpid:activities>", esc(personID))
		for _, a := range d.Activities {
			if isXMLName(a) {
				fmt.Fprintf(&b, "<rpid:%s/>", a)
			}
		}
		b.WriteString("</rpid:activities>\n")
		if d.Note != "" {
			fmt.Fprintf(&b, "  <dm:note>%s</dm:note>\n", esc(d.Note))
		}
		b.WriteString(" </dm:person>\n")
	}
	b.WriteString("</presence>\n")
	return b.Bytes()
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}

func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && (r >= '0' && r <= '9' || r == '.'))
		if !ok {
			return false
		}
	}
	return true
}
