package sip

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFramer(t *testing.T) {
	invite := readBench(t, "invite_rfc3261_s4")
	ok := readBench(t, "ok200_3via_sdp")
	stream := "\r\n" + string(invite) + "\r\n\r\n" + string(ok) + "\r\n" + string(invite)
	for _, tc := range []struct {
		name  string
		r     io.Reader
		pings int
	}{
		{"whole", strings.NewReader(stream), 1},
		// A CRLFCRLF split across reads is indistinguishable from two
		// CRLF pongs; the framer does not wait after a complete CRLF.
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(stream)), 0},
		{"half reads", iotest.HalfReader(strings.NewReader(stream)), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFramer(tc.r, Limits{})
			var got []string
			pings := 0
			for range 10 {
				m, err := f.Next()
				if errors.Is(err, ErrKeepAlivePing) {
					pings++
					continue
				}
				if errors.Is(err, io.EOF) {
					break
				}
				noErr(t, err)
				got = append(got, m.String())
			}
			eq(t, "messages", got, []string{string(invite), string(ok), string(invite)})
			eq(t, "pings", pings, tc.pings)
			_, err := f.Next()
			eq(t, "eof again", err, io.EOF)
		})
	}
}

func TestFramerErrors(t *testing.T) {
	invite := string(readBench(t, "invite_rfc3261_s4"))
	// Cut inside the body.
	f := NewFramer(strings.NewReader(invite[:len(invite)-5]), Limits{})
	_, err := f.Next()
	eq(t, "unexpected eof", err, io.ErrUnexpectedEOF)

	// Cut inside the head.
	f = NewFramer(strings.NewReader(invite[:40]), Limits{})
	_, err = f.Next()
	eq(t, "unexpected eof in head", err, io.ErrUnexpectedEOF)

	// Content-Length is mandatory on streams; the error is sticky.
	noCL := "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n" + invite
	f = NewFramer(strings.NewReader(noCL), Limits{})
	_, err = f.Next()
	eq(t, "missing content-length", errors.Is(err, ErrContentLength), true)
	_, err2 := f.Next()
	eq(t, "sticky", err2, err)

	// Two Content-Lengths: framing is ambiguous (RFC 4475 §3.3.9).
	mcl, err := os.ReadFile(filepath.Join("testdata", "rfc4475", "mcl01.dat"))
	noErr(t, err)
	_, err = NewFramer(strings.NewReader(string(mcl)), Limits{}).Next()
	eq(t, "mcl01", errors.Is(err, ErrContentLength), true)

	// Negative Content-Length (RFC 4475 §3.1.2.3).
	ncl, err := os.ReadFile(filepath.Join("testdata", "rfc4475", "ncl.dat"))
	noErr(t, err)
	_, err = NewFramer(strings.NewReader(string(ncl)), Limits{}).Next()
	eq(t, "ncl", errors.Is(err, ErrContentLength), true)

	// Content-Length larger than what arrives: wait, then EOF (§3.1.2.2).
	clerr, err := os.ReadFile(filepath.Join("testdata", "rfc4475", "clerr.dat"))
	noErr(t, err)
	_, err = NewFramer(strings.NewReader(string(clerr)), Limits{}).Next()
	eq(t, "clerr", err, io.ErrUnexpectedEOF)

	// Limits: a huge Content-Length is refused before reading the body.
	huge := strings.Replace(invite, "Content-Length: 146", "Content-Length: 100000000", 1)
	_, err = NewFramer(strings.NewReader(huge), Limits{MaxMessageSize: 4096}).Next()
	eq(t, "too large", errors.Is(err, ErrTooLarge), true)
	// An endless head is refused too.
	endless := "OPTIONS sip:a@b SIP/2.0\r\n" + strings.Repeat("X-Pad: 0123456789\r\n", 1000)
	_, err = NewFramer(strings.NewReader(endless), Limits{MaxMessageSize: 4096}).Next()
	eq(t, "endless head", errors.Is(err, ErrTooLarge), true)

	// A delimited but malformed message is not fatal.
	bad := "INVITE <sip:a@b> SIP/2.0\r\nContent-Length: 0\r\n\r\n" + invite
	f = NewFramer(strings.NewReader(bad), Limits{})
	_, err = f.Next()
	eq(t, "bad start line", errors.Is(err, ErrStartLine), true)
	m, err := f.Next()
	noErr(t, err)
	eq(t, "next message", m.String(), invite)
	eq(t, "buffered", f.Buffered(), 0)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestFramerReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := NewFramer(errReader{boom}, Limits{}).Next()
	eq(t, "read error", err, boom)
	_, err = NewFramer(errReader{nil}, Limits{}).Next()
	eq(t, "no progress", err, io.ErrNoProgress)
}
