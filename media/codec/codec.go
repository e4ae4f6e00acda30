// Package codec holds the audio codecs teaphone speaks on RTP: PCMU and
// PCMA (ITU-T G.711), G.722, and Opus (RFC 6716, RFC 7587 payload format),
// with packet loss concealment. Resampling between a device rate and a codec
// rate lives in media/audio (audio.Resampler), which device adapters share.
//
// It must not import sipcore, ua, ui or any other media package.
package codec

// Codec describes one payload format and makes encoders and decoders for it.
// Encoders and decoders carry per-stream state and are not safe for
// concurrent use; make one per direction per call.
type Codec interface {
	// Name is the SDP encoding name (rtpmap), e.g. "PCMU", "G722", "opus".
	Name() string
	// ClockRate is the RTP clock rate advertised in SDP (8000 for G.722,
	// per RFC 3551 §4.5.2, although it samples at 16000).
	ClockRate() int
	// SampleRate is the PCM rate the encoder takes and the decoder yields.
	SampleRate() int
	// Channels is the SDP channel count (2 for opus per RFC 7587, 1 otherwise).
	Channels() int
	// PayloadType is the static payload type, or the default dynamic one.
	PayloadType() uint8
	NewEncoder() (Encoder, error)
	NewDecoder() (Decoder, error)
}

// Encoder turns one frame of PCM (SampleRate, mono) into one RTP payload.
type Encoder interface {
	// Encode appends the payload for pcm to dst and returns it.
	Encode(dst []byte, pcm []int16) ([]byte, error)
}

// Decoder turns RTP payloads back into PCM and conceals lost frames.
type Decoder interface {
	// Decode appends the PCM decoded from payload to dst and returns it.
	Decode(dst []int16, payload []byte) ([]int16, error)
	// Conceal appends n samples standing in for a lost frame (packet loss
	// concealment) and returns them.
	Conceal(dst []int16, n int) ([]int16, error)
}
