// Package sip is teaphone's SIP message layer: the message model (requests,
// responses, ordered header fields, URIs, name-addr values, ordered
// parameters), the parser (datagrams and stream framing), the serializer,
// request/response builders, method and status constants, and the
// syntax-independent validation a UAS applies before processing a request.
//
// It implements:
//
//   - RFC 3261 §7 (message format: start lines, header fields, compact
//     forms §7.3.3, line folding §7.3.1, framing §7.5 and §18.3),
//   - RFC 3261 §19 (SIP and SIPS URIs, %HH escaping, comparison §19.1.4),
//   - RFC 3261 §20 (typed access to the header fields the stack uses),
//   - RFC 3261 §25 (the grammar, liberally where RFC 4475 says so),
//   - RFC 3261 §8.2 (UAS request validation) and §8.2.6 (building responses),
//   - RFC 3966 (tel URIs) and RFC 3581 (received/rport),
//   - RFC 5626 §3.5.1 (CRLF keep-alives on streams).
//
// Design. A parsed message keeps its header fields as an ordered list of
// (name, raw value) pairs; unknown header fields, odd spellings and order
// survive re-serialization. Typed accessors (TopVia, From, CSeq, ...) parse
// the raw values on demand, and setters replace them. Header names are
// matched through a registry of known names (full and compact forms,
// case-insensitive); anything else is a generic header compared by exact
// case-insensitive name (so "C%6Fntact" is not Contact). Parameters are
// ordered slices, never maps.
//
// Values in URI structs (user, password, parameters, headers) are kept as
// they appear on the wire, %HH escapes included; [URI.Equal] compares them
// per §19.1.4 after unescaping.
//
// Limits on message size, header count and line length are per-Parser
// settings ([Limits]); no package-level mutable state exists.
//
// The package is pure: no goroutines, no network or file I/O (the [Framer]
// reads from the io.Reader its caller hands it; [NewTag], [NewBranch],
// [NewCallID] and the To tag [NewResponse] adds draw from crypto/rand), and
// it imports only the standard library. It must not import any other
// teaphone package (TestStdlibOnly enforces this).
//
// Entry points: [Parse] / [Parser] for datagrams, [NewFramer] for streams,
// [NewRequest], [NewResponse], [NewCancel], [NewAck] to build messages,
// [ValidateRequest] / [ValidateResponse] for §8.2 checks, [ParseURI] and
// [ParseAddress] for values found elsewhere (configuration, Refer-To).
package sip
