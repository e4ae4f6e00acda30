package codec

// What this package owns, beyond the contract in codec.go:
//
//   - PCMU and PCMA (ITU-T G.711; RFC 3551 §4.5.14), table-free encoders
//     and table-driven decoders;
//   - G.722 at 64 kbit/s in pure Go (ITU-T G.722 §3–4; RFC 3551 §4.5.2 for
//     the 8000 Hz RTP clock);
//   - Opus through a small cgo binding to libopus (RFC 6716, payload format
//     RFC 7587), built unless cgo is off or -tags noopus is given;
//   - Concealer, a waveform-repeat packet loss concealer (after G.711
//     Appendix I) for codecs without native PLC;
//   - the registry: All, Lookup by SDP name/clock/channels, ByPayloadType,
//     default payload types, FrameSamples and TimestampStep.
//
// Encoders and decoders that hold C memory (Opus) also implement io.Closer;
// call Close when the stream ends (a GC cleanup frees them otherwise).
// Decoders with FEC implement FECDecoder.
//
// Resampling between device and codec rates is audio.Resampler in
// media/audio: the WAV reader and media/portaudio need it too, and this
// package must not import other media packages (its tests do import
// media/audio for tone generation and analysis).
//
// It imports only the standard library (and libopus through cgo).
