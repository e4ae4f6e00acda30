// Package rtpsession runs the RTP/RTCP session of one call: one UDP socket
// pair (RTP on an even port, RTCP on the next; or one socket with RFC 5761
// rtcp-mux), a sender paced by the monotonic clock, a receive path through
// the adaptive jitter buffer to the decoder and the sink, RFC 4733 DTMF both
// ways, RTCP sender/receiver reports (RFC 3550 §6), symmetric RTP latching,
// inactivity detection, and a quality estimate (ITU-T G.107 E-model) in
// Stats.
//
// # Timing (RFC 3550 §5.1)
//
// The SSRC, the first sequence number and the first timestamp are random
// (crypto/rand). The sender runs on absolute deadlines start + n·ptime, so it
// neither drifts nor follows a sound card's callback rhythm; it takes one
// frame from the source per deadline (polled when the source is a Poller,
// else read ahead by a goroutine into a short queue), sending silence when
// none is ready. The RTP timestamp
// advances by one frame per deadline whether or not a packet is sent, so it
// follows the wallclock across hold, mute and DTMF; the sequence number
// advances by one per packet actually sent, so the receiver sees no loss
// across a hold. The first packet after a pause carries the marker bit. A
// codec change keeps SSRC, sequence and timestamp running (the timestamp
// then counts in the new clock rate from where it was).
//
// # Mute and hold
//
// Muted, the session keeps sending packets of encoded digital silence: the
// peer's jitter buffer, NAT bindings and RTCP statistics stay undisturbed and
// no comfort-noise payload type needs negotiating. A direction without
// "send" (recvonly, inactive) sends no RTP at all but keeps RTCP going
// (RFC 3264 §5.1); a direction without "recv" plays silence and does not
// watch for inactivity.
//
// # DTMF (RFC 4733)
//
// SendDTMF queues digits; while an event is being sent it replaces the audio
// frames on the same SSRC and sequence space, and its timestamp is the frame
// time the event started. Received events come out of Events in order and
// are never dropped while the session runs.
//
// # Quality (ITU-T G.107)
//
// Stats computes the E-model rating R = 93.2 − Id − Ie,eff with the
// simplified delay impairment Id = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3)
// (d = one-way mouth-to-ear delay in ms: RTT/2 + jitter-buffer delay +
// packet time + codec look-ahead) and Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl + Bpl)
// (random loss, BurstR = 1; Ppl = percent of frames concealed). MOS =
// 1 + 0.035R + R(R − 60)(100 − R)·7·10⁻⁶ for 0 < R < 100 (G.107 Annex B).
// The codec table is in emodel.go.
//
// # Goroutines
//
// Sending, playout and RTCP reports run on a Clock: one goroutine, alive
// while the clock has sessions, that wakes at the grid times of all of
// them (sessions sharing a clock start on a common grid, so one wake-up
// serves every call). On Linux the clock also reads the sockets at those
// ticks (RTP before each playout, RTCP every rtcpPollEvery) with
// recvmmsg(MSG_DONTWAIT) on descriptors taken out of the runtime's network
// poller, and SO_TIMESTAMPNS keeps each datagram's arrival time for the
// jitter estimate (§6.4.1, A.8), the jitter buffer and the RTT: a session
// adds no goroutine and no wake-up of its own (sock_linux.go). Elsewhere
// each socket gets a reader goroutine. A capture goroutine runs only for a
// Source that is not a Poller, and an event-delivery goroutine only while
// events are queued.
//
// This package must not import sipcore, ua, ui or media/sdp: the session
// takes plain values (addresses, payload types, a codec.Codec, a ptime, a
// Direction).
package rtpsession
