// Package callmedia joins the engine's media contract (ua.MediaFactory,
// ua.MediaSession, ua.MediaNotifier in ua/media.go) to teaphone's media
// packages. It is the only package that imports both ua and media; main
// constructs a Factory and hands it to the engine. Neither ua nor any media
// package may import it.
//
// # What it owns
//
//   - Factory: the ua.MediaFactory. It keeps the defaults (codec
//     preference, ptime, RTP port range, bind address, rtcp-mux offer, RTP
//     inactivity timeout, DTMF tone length, call recording directory) and
//     the audio hub.
//   - session: one call's ua.MediaSession. It drives an sdp.Negotiator
//     (RFC 3264 offer/answer: media/sdp) and an rtpsession.Session (RTP and
//     RTCP, RFC 3550; DTMF events, RFC 4733), maps negotiated sdp.Media to
//     the RTP session (codec through codec.Lookup, payload types, remote RTP
//     and RTCP address, RFC 5761 rtcp-mux, direction), forwards the RTP
//     session's DTMF and inactivity events to the engine, and reports
//     MediaInfo from the RTP statistics and the audio meters.
//   - The hub: one microphone and one speaker shared by every call. The
//     microphone feeds each call that sends (not held, not muted); the
//     speaker plays the mix (audio.Mixer) of every call that receives plus
//     the ring and ringback tones. Devices open when the first call starts
//     media (or a tone starts) and close when the last one ends, so an idle
//     teaphone holds no sound device. The hub runs at Config.DeviceRate;
//     each RTP session resamples between it and its codec's rate, and a
//     device that cannot give DeviceRate is resampled (audio.Resampler).
//   - AudioDevices, the device contract, with Null, Files and Tone
//     implementations and DeviceFuncs, through which main plugs in
//     media/portaudio in a few lines (see DeviceFuncs): layering_test.go
//     lets only main and media/portaudio link libportaudio, so this package
//     and its tests never do.
//
// # RFC sections
//
//   - RFC 3264 §5-§8 through media/sdp; here: hold is SetHold plus a
//     re-offer (§8.4: sendonly, inactive when the peer holds us too), and a
//     held call gets neither microphone nor speaker.
//   - RFC 5761 §5.1.1: whether RTCP shares the RTP port follows the
//     answer; the RTP port is rebound with the other socket layout when it
//     differs from what was bound.
//   - RFC 3261 §13.2.1: a 200 OK answer that differs from an early-media
//     183 answer is read against our initial offer again.
//   - RFC 4733: SendDTMF errors when the peer did not negotiate
//     telephone-event, so the engine can fall back to SIP INFO.
//
// # Goroutines
//
// Each session with an RTP socket has the rtpsession's socket readers (one
// per socket), ended by Close; its events come through rtpsession's
// OnEvent. The sending and playout of every session run on one
// rtpsession.Clock owned by the Factory, whose goroutine exists while a
// call has media; a session takes the microphone from its hub port by
// polling (the port is an rtpsession.Poller). The hub has at most one
// goroutine per device, ended when nothing needs the device; Factory.Close
// waits for them.
//
// # Must not import
//
// ui, sipcore, contacts or media/portaudio.
package callmedia
