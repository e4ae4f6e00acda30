// Package transport is teaphone's SIP transport layer (RFC 3261 §18): it
// serves UDP sockets (any net.PacketConn) and TCP/TLS listeners (any
// net.Listener), keeps a pool of stream connections, sends requests and
// responses, and delivers received messages with their source to the
// transaction layer.
//
// It owns:
//   - sending requests (§18.1.1): optional filling of the top Via's
//     transport and sent-by, an empty rport (RFC 3581 §3), the switch of a
//     UDP request larger than MTU-200 bytes to TCP with fallback to UDP
//     when no TCP connection can be made;
//   - sending responses (§18.2.2, RFC 3581 §4): on the connection the
//     request came on for streams (reconnecting to received/sent-by port
//     when it is gone), to received and rport for UDP;
//   - receiving (§18.2.1, §18.1.2): received/rport stamped on requests,
//     responses whose top Via sent-by is not ours dropped, malformed
//     datagrams answered with 400 when Via, From, To, Call-ID and CSeq can
//     be recovered (never for ACK or responses) and dropped otherwise,
//     malformed or oversized stream data closing the connection;
//   - connection reuse (pool keyed by transport and remote address), idle
//     timeout, connection limit, async connection errors (ConnErrors);
//   - RFC 5626 §3.5.1 keep-alives: CRLF pong to CRLFCRLF pings on
//     streams, periodic pings with pong timeout on outbound streams
//     (§4.4.1), and periodic CRLFCRLF datagrams (KeepAliveUDP);
//   - TLS (RFC 3261 §26.3.1, RFC 5922): system roots plus an optional CA
//     file, SNI and verification against the target host, certificate
//     failures reported as *CertificateError;
//   - a Tracer hook seeing every message sent and received.
//
// Not here: RFC 3263 resolution (sipcore/resolve), transactions, SCTP,
// WebSocket, multicast (maddr is ignored), RFC 5923 connection reuse by
// alias, STUN keep-alives.
//
// Concurrency: one goroutine per socket, listener and connection (plus
// one keep-alive goroutine per outbound connection when enabled), all
// owned by the Layer; Close stops them and waits. Messages from one socket
// or connection are delivered in order.
//
// It imports only the standard library and sipcore/sip.
package transport
