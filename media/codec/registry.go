package codec

import (
	"errors"
	"strings"
	"time"
)

// Payload types: static ones from RFC 3551 §6 Table 4, and the dynamic one
// (RFC 3551 §3: 96–127) we offer for Opus by default, as most phones do.
const (
	PayloadPCMU uint8 = 0
	PayloadPCMA uint8 = 8
	PayloadG722 uint8 = 9
	PayloadOpus uint8 = 111
)

// Errors callers may branch on.
var (
	ErrCodec       = errors.New("codec failure")
	ErrClosed      = errors.New("codec closed")
	ErrOption      = errors.New("invalid codec option")
	ErrUnavailable = errors.New("codec not available in this build")
)

// FmtpCodec is implemented by codecs that offer format parameters in SDP
// (a=fmtp, RFC 8866 §6.15), e.g. Opus's "useinbandfec=1".
type FmtpCodec interface {
	Codec
	Fmtp() string
}

// FECDecoder is implemented by decoders that can rebuild a lost frame from
// forward error correction carried in the packet after it (Opus in-band
// FEC, RFC 6716 §2.1.7). A jitter buffer that holds the next packet should
// prefer DecodeFEC over Conceal for a single lost frame.
type FECDecoder interface {
	Decoder
	DecodeFEC(dst []int16, next []byte, n int) ([]int16, error)
}

// All returns the codecs teaphone offers, in default preference order:
// Opus (when built with libopus), G.722, PCMU, PCMA.
func All() []Codec {
	var cs []Codec
	if c, err := NewOpus(DefaultOpusOptions()); err == nil {
		cs = append(cs, c)
	}
	return append(cs, G722(), PCMU(), PCMA())
}

// Lookup finds a codec by its SDP rtpmap encoding name (case-insensitive,
// RFC 4855 §3), clock rate and channel count. channels 0 means "not given",
// which SDP defines as 1 (RFC 8866 §6.6); Opus is always listed with 2
// (RFC 7587 §7) but 0 or 1 is accepted from sloppy peers.
func Lookup(name string, clock, channels int) (Codec, bool) {
	for _, c := range All() {
		if !strings.EqualFold(c.Name(), name) || c.ClockRate() != clock {
			continue
		}
		if channels == c.Channels() || channels == 0 || (channels == 1 && c.Name() == "opus") {
			return c, true
		}
	}
	return nil, false
}

// ByPayloadType returns the codec with static payload type pt (0, 8, 9), for
// SDP that lists a static type without an rtpmap line (RFC 8866 §6.6).
func ByPayloadType(pt uint8) (Codec, bool) {
	switch pt {
	case PayloadPCMU:
		return PCMU(), true
	case PayloadPCMA:
		return PCMA(), true
	case PayloadG722:
		return G722(), true
	}
	return nil, false
}

// FrameSamples is the number of PCM samples (at c.SampleRate) in one packet
// of ptime.
func FrameSamples(c Codec, ptime time.Duration) int {
	return int(int64(c.SampleRate()) * int64(ptime) / int64(time.Second))
}

// TimestampStep is how far the RTP timestamp advances per packet of ptime
// (at c.ClockRate, which differs from the sample rate for G.722).
func TimestampStep(c Codec, ptime time.Duration) uint32 {
	return uint32(int64(c.ClockRate()) * int64(ptime) / int64(time.Second))
}
