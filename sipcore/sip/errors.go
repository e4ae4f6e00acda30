package sip

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Parse failures are reported as *ParseError wrapping one
// of these, so callers can branch with errors.Is.
var (
	// ErrStartLine: the request or status line is malformed (RFC 3261 §7.1, §7.2).
	ErrStartLine = errors.New("malformed start line")
	// ErrHeader: a header line is malformed (no colon, bad name, bad folding).
	ErrHeader = errors.New("malformed header line")
	// ErrContentLength: Content-Length is missing on a stream, negative,
	// not a number, duplicated, or larger than the message (§18.3, §20.14).
	ErrContentLength = errors.New("bad content-length")
	// ErrTooLarge: a configured Limits value was exceeded.
	ErrTooLarge = errors.New("message exceeds limits")
	// ErrURI: a URI is malformed (§19.1, §25.1; RFC 3966).
	ErrURI = errors.New("malformed uri")
	// ErrValue: a header field value does not match its grammar (§20, §25).
	ErrValue = errors.New("malformed header value")
	// ErrNoHeader: a typed accessor was asked for a header the message lacks.
	ErrNoHeader = errors.New("header not present")
	// ErrKeepAlivePing is returned by Framer.Next when the peer sent an
	// RFC 5626 §3.5.1 CRLFCRLF ping. It is not a failure: answer with a
	// CRLF pong and call Next again.
	ErrKeepAlivePing = errors.New("keep-alive ping (crlfcrlf)")
)

// ParseError reports what was wrong with a message, URI or header value.
type ParseError struct {
	Err    error  // one of the sentinels above
	Line   int    // 1-based line of the message, 0 when not tied to a line
	Header string // header field name when the fault is in a header
	Detail string // what exactly was wrong
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("sip: ")
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Header != "" {
		b.WriteString(e.Header)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

func perr(sentinel error, detail string) *ParseError {
	return &ParseError{Err: sentinel, Detail: detail}
}

func valueErr(header, detail string) *ParseError {
	return &ParseError{Err: ErrValue, Header: header, Detail: detail}
}
