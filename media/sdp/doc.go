// Package sdp builds and reads the SDP of teaphone's calls: the RFC 3264
// offer/answer model for one audio stream over RTP, on top of
// github.com/pion/sdp/v3 (imported as psdp).
//
// # What it owns
//
//   - Parse and Normalize: a tolerant reader for the SDP real phones send
//     (lines out of order, missing v=/o=/s=/t=, LF-only line ends, blank lines,
//     trailing white space, unknown line types, upper-case attribute names,
//     duplicate attributes). The text is rewritten into RFC 4566 §5 order and
//     handed to pion (pion/sdp#163 is the order problem); if pion still
//     refuses (m=image udptl for T.38, for instance) a lenient parser of our
//     own reads the normalized lines. Unusable SDP gives a *ParseError with
//     the raw text.
//   - Negotiator: one per call. Offer builds the initial offer from a Config
//     (address, RTP port, codecs in the user's order, telephone-event, ptime,
//     maxptime, rtcp-mux, direction) and later re-offers (hold, resume,
//     refresh) from the last local SDP with the same o= session id and a
//     version bumped only when the SDP changed. Answer answers an offer,
//     ProcessAnswer reads the answer to ours, Rollback drops a rejected
//     offer, SetDirection sets our hold state, SetLocal moves the stream to
//     a new local address or port.
//   - Media: the result of a negotiation as a plain value for the RTP layer
//     (remote RTP and RTCP address, codec and telephone-event to send with
//     the peer's payload types, formats to expect, ptime, direction,
//     rtcp-mux, whether the peer holds us).
//   - Format: a payload format by name, clock rate, channels and fmtp, with
//     helpers for PCMU, PCMA, G722, opus and telephone-event.
//
// # Choices
//
// The answer lists the codecs in common in OUR order (the user's preference
// in Config.Codecs), not the offerer's, using the offerer's payload type
// numbers; the first is the codec we send. Only the first usable audio
// stream is accepted; other streams are rejected with port 0. RTP/AVP and
// RTP/AVPF are accepted; secure profiles (RTP/SAVP, RTP/SAVPF,
// UDP/TLS/RTP/SAVPF) are rejected because teaphone has no SRTP. An offered
// a=rtcp-mux is always accepted; Config.RTCPMux only controls offering it.
//
// # RFC sections implemented
//
//   - RFC 4566 §5 (line order, o=, s=, c=, b=, t=, m=), §6 (rtpmap, fmtp,
//     ptime, maxptime, sendrecv/sendonly/recvonly/inactive).
//   - RFC 3264 §5 (offer), §6 and §6.1 (answer: m= line count and order,
//     port 0 rejection, payload types, direction), §7 (processing the
//     answer), §8 (modifying the session: o= version), §8.4 (hold, including
//     the RFC 2543 c=0.0.0.0 form).
//   - RFC 3551 §6 static payload types (0 PCMU, 8 PCMA, 9 G722 at 8000 Hz,
//     §4.5.2).
//   - RFC 4733 §2.1, §7.1.1 telephone-event, clock matched to the codec.
//   - RFC 7587 §7 opus/48000/2.
//   - RFC 3605 a=rtcp, RFC 5761 §5.1.1 a=rtcp-mux, RFC 3550 §11 RTCP port.
//
// # Must not import
//
// Nothing of teaphone: not sipcore, ua, ui, contacts nor any other media
// package. Codecs are described here by name, clock, channels and fmtp. The
// only dependency outside the standard library is pion/sdp/v3.
// deps_test.go enforces this.
package sdp
