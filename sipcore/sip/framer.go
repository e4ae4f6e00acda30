package sip

import (
	"bytes"
	"errors"
	"io"
	"strconv"
)

// Framer splits a byte stream (TCP, TLS) into SIP messages (RFC 3261
// §18.3): the head ends at the first empty line and Content-Length, which
// is mandatory, gives the body size. CRLF keep-alives between messages
// (RFC 5626 §3.5.1) are consumed: a CRLFCRLF ping makes Next return
// ErrKeepAlivePing so the transport can answer with a CRLF pong; a lone
// CRLF (a pong, or stray CRLFs allowed by §7.5) is skipped silently. A ping
// split across two reads is seen as two pongs.
//
// After a framing error (bad or missing Content-Length, limits exceeded,
// a read error or EOF) the stream cannot be resynchronised and every later
// call returns the same error. A message that was delimited but does not
// parse yields its *ParseError and Next may be called again.
type Framer struct {
	r     io.Reader
	p     Parser
	lim   Limits
	buf   []byte
	start int
	end   int
	err   error
}

// NewFramer returns a framer reading from r under limits (zero fields take
// the defaults).
func NewFramer(r io.Reader, limits Limits) *Framer {
	l := limits.withDefaults()
	return &Framer{r: r, p: Parser{Limits: l}, lim: l}
}

// Buffered returns how many bytes have been read but not yet framed.
func (f *Framer) Buffered() int { return f.end - f.start }

// Next returns the next message. It returns io.EOF at a clean end of stream,
// io.ErrUnexpectedEOF when the stream ends inside a message, and
// ErrKeepAlivePing when a ping was consumed.
func (f *Framer) Next() (Message, error) {
	if f.err != nil {
		return nil, f.err
	}
	for {
		data := f.buf[f.start:f.end]
		// Keep-alives at a message boundary.
		if len(data) > 0 && (data[0] == '\r' || data[0] == '\n') {
			switch {
			case bytes.HasPrefix(data, []byte("\r\n\r\n")):
				f.start += 4
				return nil, ErrKeepAlivePing
			case bytes.HasPrefix(data, []byte("\r\n")) && (len(data) == 2 || data[2] != '\r'):
				f.start += 2
				continue
			case data[0] == '\n':
				f.start++
				continue
			case len(data) == 1 || (len(data) == 3 && data[2] == '\r'):
				// Wait for the rest of a CRLF or CRLFCRLF.
				if err := f.fill(); err != nil {
					return nil, f.fail(err, false)
				}
				continue
			default:
				f.start++ // a stray CR
				continue
			}
		}
		hdrEnd, bodyStart, ok := findHeaderEnd(data)
		if !ok {
			if len(data) > f.lim.MaxMessageSize {
				return nil, f.fail(&ParseError{Err: ErrTooLarge, Detail: "header block exceeds " + strconv.Itoa(f.lim.MaxMessageSize) + " bytes"}, true)
			}
			if err := f.fill(); err != nil {
				return nil, f.fail(err, len(data) > 0)
			}
			continue
		}
		cl, err := scanContentLength(data[:hdrEnd], f.lim.MaxMessageSize)
		if err != nil {
			return nil, f.fail(err, true)
		}
		total := bodyStart + cl
		if total > f.lim.MaxMessageSize {
			return nil, f.fail(&ParseError{Err: ErrTooLarge, Detail: "message of " + strconv.Itoa(total) + " bytes"}, true)
		}
		for f.end-f.start < total {
			if err := f.fill(); err != nil {
				return nil, f.fail(err, true)
			}
		}
		msg, err := f.p.parse(f.buf[f.start:f.start+total], true)
		f.start += total
		return msg, err
	}
}

func (f *Framer) fail(err error, inMessage bool) error {
	if errors.Is(err, io.EOF) && inMessage {
		err = io.ErrUnexpectedEOF
	}
	f.err = err
	return err
}

// fill reads more data, compacting and growing the buffer up to the limit.
func (f *Framer) fill() error {
	if f.start > 0 && f.start == f.end {
		f.start, f.end = 0, 0
	}
	if f.end == len(f.buf) {
		if f.start > 0 {
			n := copy(f.buf, f.buf[f.start:f.end])
			f.start, f.end = 0, n
		}
		if f.end == len(f.buf) {
			size := 2 * len(f.buf)
			if size < 4096 {
				size = 4096
			}
			if max := f.lim.MaxMessageSize + 4096; size > max {
				size = max
			}
			if size <= len(f.buf) {
				return &ParseError{Err: ErrTooLarge, Detail: "message exceeds " + strconv.Itoa(f.lim.MaxMessageSize) + " bytes"}
			}
			nb := make([]byte, size)
			copy(nb, f.buf[f.start:f.end])
			f.buf = nb
		}
	}
	for range 100 {
		n, err := f.r.Read(f.buf[f.end:])
		f.end += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// findHeaderEnd locates the empty line ending the head: hdrEnd is the
// offset just after the last header line's terminator and bodyStart the
// offset after the empty line. CRLF and bare LF are both accepted.
func findHeaderEnd(b []byte) (hdrEnd, bodyStart int, ok bool) {
	i := 0
	for {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0, 0, false
		}
		n := i + j + 1
		if n < len(b) && b[n] == '\n' {
			return n, n + 1, true
		}
		if n+1 < len(b) && b[n] == '\r' && b[n+1] == '\n' {
			return n, n + 2, true
		}
		i = n
	}
}

// scanContentLength finds Content-Length (or "l") in a head, for framing.
// It must be present exactly once and be a number (§18.3, §20.14).
func scanContentLength(head []byte, max int) (int, error) {
	cl, found := 0, false
	lines := head
	first := true
	for len(lines) > 0 {
		nl := bytes.IndexByte(lines, '\n')
		var line []byte
		if nl < 0 {
			line, lines = lines, nil
		} else {
			line, lines = lines[:nl], lines[nl+1:]
		}
		if first {
			first = false
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || (len(line) > 0 && isWSP(line[0])) {
			continue
		}
		if lookupHeader(string(bytes.TrimRight(line[:colon], " \t"))) != hContentLength {
			continue
		}
		if found {
			return 0, &ParseError{Err: ErrContentLength, Header: HeaderContentLength, Detail: "multiple Content-Length headers"}
		}
		val := bytes.TrimSpace(line[colon+1:])
		// A folded value continues on following lines.
		for len(lines) > 0 && isWSP(lines[0]) {
			nl := bytes.IndexByte(lines, '\n')
			var cont []byte
			if nl < 0 {
				cont, lines = lines, nil
			} else {
				cont, lines = lines[:nl], lines[nl+1:]
			}
			if c := bytes.TrimSpace(cont); len(c) > 0 {
				if len(val) > 0 {
					return 0, &ParseError{Err: ErrContentLength, Header: HeaderContentLength, Detail: "invalid value"}
				}
				val = c
			}
		}
		n, ok := parseUint(string(val), 1<<62)
		if ok && n > uint64(max) {
			return 0, &ParseError{Err: ErrTooLarge, Header: HeaderContentLength, Detail: "Content-Length " + string(val) + " exceeds the limit"}
		}
		if !ok {
			return 0, &ParseError{Err: ErrContentLength, Header: HeaderContentLength, Detail: "invalid value " + strconv.Quote(string(val))}
		}
		cl, found = int(n), true
	}
	if !found {
		return 0, &ParseError{Err: ErrContentLength, Header: HeaderContentLength, Detail: "missing on a stream transport"}
	}
	return cl, nil
}
