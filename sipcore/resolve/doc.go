// Package resolve locates SIP servers from a SIP or SIPS URI as RFC 3263
// describes: it turns a URI's host, port, transport parameter and scheme into
// an ordered list of (transport, IP, port) targets, and walks that list with
// failover.
//
// It owns:
//   - transport selection (RFC 3263 §4.1): an explicit transport parameter,
//     else UDP for sip and TLS for sips when the host is numeric or a port is
//     given, else NAPTR records (SIP+D2U, SIP+D2T, SIPS+D2T, ordered by order
//     then preference, RFC 3403 §4.1), else SRV queries per supported
//     transport, else UDP (sip) or TLS (sips);
//   - port and address determination (RFC 3263 §4.2): SRV records ordered by
//     priority with weighted random selection (RFC 2782 "Usage rules"), then
//     A and AAAA; numeric IPs and explicit ports skip SRV;
//   - failover (RFC 3263 §4.3): Try moves to the next target when an attempt
//     times out, fails at the transport, or reports a 503 (by wrapping
//     ErrTryNext);
//   - a per-instance DNS client (miekg/dns; UDP with TCP fallback on
//     truncation, RFC 1035 §4.2.2, RFC 7766), a TTL-respecting bounded cache
//     with negative caching (RFC 2308), static host entries and "localhost"
//     (RFC 6761 §6.3).
//
// There is no package-level state: servers, timeouts, supported transports,
// the random source, static hosts and the clock are fields of Config.
//
// Imports: the standard library, golang.org/x/..., and github.com/miekg/dns
// only. It must not import anything in teaphone (callers pass the URI's parts,
// so it does not even need sipcore/sip).
//
// Not done: NAPTR records with the "a" flag or a regexp (RFC 3263 uses only
// "s"), the RFC 3263 §4.3 requirement to remember failed targets across
// requests, and server-side §5 (responses to the Via sent-by).
package resolve
