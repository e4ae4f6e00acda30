package sdp

import (
	"strconv"
	"strings"
)

// Format describes one RTP payload format as SDP carries it in an m= line's
// <fmt> list plus its a=rtpmap and a=fmtp attributes (RFC 4566 §6).
//
// Clock is the RTP clock rate as written in a=rtpmap, not the audio sample
// rate: G.722 samples at 16 kHz but is signalled as G722/8000 (RFC 3551
// §4.5.2), and opus is always opus/48000/2 (RFC 7587 §7).
type Format struct {
	PT       uint8  // payload type number (RFC 3551 §6 static, 96-127 dynamic)
	Name     string // encoding name, e.g. "PCMU", "opus", "telephone-event"
	Clock    int    // RTP clock rate in Hz
	Channels int    // audio channels; 0 is read as 1
	Fmtp     string // a=fmtp parameters, without the "PT " prefix
}

// Names of the encodings this package knows by heart.
const (
	NamePCMU           = "PCMU"
	NamePCMA           = "PCMA"
	NameG722           = "G722"
	NameOpus           = "opus"
	NameTelephoneEvent = "telephone-event"
)

// Default dynamic payload types used when the caller leaves them open.
const (
	DefaultOpusPT = 111
	DefaultDTMFPT = 101
	// DefaultDTMFEvents is the a=fmtp event list we offer and answer:
	// DTMF digits 0-9, *, #, A-D and flash (RFC 4733 §3.2).
	DefaultDTMFEvents = "0-16"
)

// PCMU is G.711 µ-law, static payload type 0 (RFC 3551 §6).
func PCMU() Format { return Format{PT: 0, Name: NamePCMU, Clock: 8000, Channels: 1} }

// PCMA is G.711 A-law, static payload type 8 (RFC 3551 §6).
func PCMA() Format { return Format{PT: 8, Name: NamePCMA, Clock: 8000, Channels: 1} }

// G722 is G.722, static payload type 9, signalled with an 8000 Hz clock even
// though it samples at 16 kHz (RFC 3551 §4.5.2).
func G722() Format { return Format{PT: 9, Name: NameG722, Clock: 8000, Channels: 1} }

// Opus is opus/48000/2 (RFC 7587 §7) on dynamic payload type pt with the given
// fmtp parameters, e.g. "useinbandfec=1". A pt outside 96-127 means "pick one".
func Opus(pt uint8, fmtp string) Format {
	return Format{PT: pt, Name: NameOpus, Clock: 48000, Channels: 2, Fmtp: fmtp}
}

// TelephoneEvent is the RFC 4733 named-event format at the given clock rate
// with the events 0-16 (RFC 4733 §7.1.1).
func TelephoneEvent(pt uint8, clock int) Format {
	return Format{PT: pt, Name: NameTelephoneEvent, Clock: clock, Channels: 1, Fmtp: DefaultDTMFEvents}
}

// String renders the format as "PT name/clock[/channels]".
func (f Format) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(f.PT)))
	b.WriteByte(' ')
	b.WriteString(f.rtpmap())
	return b.String()
}

// rtpmap renders the a=rtpmap value after the payload type (RFC 4566 §6).
func (f Format) rtpmap() string {
	s := f.Name + "/" + strconv.Itoa(f.Clock)
	if f.Channels > 1 {
		s += "/" + strconv.Itoa(f.Channels)
	}
	return s
}

func (f Format) channels() int {
	if f.Channels <= 0 {
		return 1
	}
	return f.Channels
}

// IsDTMF reports whether f is the RFC 4733 telephone-event format.
func (f Format) IsDTMF() bool { return strings.EqualFold(f.Name, NameTelephoneEvent) }

// Same reports whether f and g are the same encoding: name compared without
// case (RFC 4855 §3: media subtype names are case-insensitive), clock rate and
// channel count. Payload type numbers and fmtp are not compared.
//
// Opus is always opus/48000/2 on the wire (RFC 7587 §7) whatever the
// actual channel count, so "opus/48000" from a sloppy peer matches too.
func (f Format) Same(g Format) bool {
	if !strings.EqualFold(f.Name, g.Name) || f.Clock != g.Clock {
		return false
	}
	return f.channels() == g.channels() || strings.EqualFold(f.Name, NameOpus)
}

// staticFormat returns the format of a static payload type that RFC 3551 §6
// Table 4 assigns for audio, for offers that omit a=rtpmap.
func staticFormat(pt int) (Format, bool) {
	var name string
	clock := 8000
	switch pt {
	case 0:
		name = NamePCMU
	case 3:
		name = "GSM"
	case 4:
		name = "G723"
	case 5:
		name = "DVI4"
	case 6:
		name, clock = "DVI4", 16000
	case 7:
		name = "LPC"
	case 8:
		name = NamePCMA
	case 9:
		name = NameG722
	case 10:
		name, clock = "L16", 44100
		return Format{PT: uint8(pt), Name: name, Clock: clock, Channels: 2}, true
	case 11:
		name, clock = "L16", 44100
	case 12:
		name = "QCELP"
	case 13:
		name = "CN"
	case 14:
		name, clock = "MPA", 90000
	case 15:
		name = "G728"
	case 16:
		name, clock = "DVI4", 11025
	case 17:
		name, clock = "DVI4", 22050
	case 18:
		name = "G729"
	default:
		return Format{}, false
	}
	return Format{PT: uint8(pt), Name: name, Clock: clock, Channels: 1}, true
}

// staticPT returns the static payload type RFC 3551 §6 assigns to f, if any.
// Only the codecs teaphone offers are looked up.
func staticPT(f Format) (uint8, bool) {
	for _, pt := range []int{0, 8, 9} {
		if s, _ := staticFormat(pt); s.Same(f) {
			return uint8(pt), true
		}
	}
	return 0, false
}

// parseRtpmap parses an a=rtpmap value "<pt> <name>/<clock>[/<channels>]"
// (RFC 4566 §6). Sloppy spacing is tolerated.
func parseRtpmap(v string) (Format, bool) {
	ptStr, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		ptStr, rest, ok = strings.Cut(strings.TrimSpace(v), "\t")
		if !ok {
			return Format{}, false
		}
	}
	pt, err := strconv.Atoi(ptStr)
	if err != nil || pt < 0 || pt > 127 {
		return Format{}, false
	}
	parts := strings.Split(strings.TrimSpace(rest), "/")
	if len(parts) < 2 || parts[0] == "" {
		return Format{}, false
	}
	clock, err := strconv.Atoi(strings.TrimSpace(parts[1]))
	if err != nil || clock <= 0 {
		return Format{}, false
	}
	f := Format{PT: uint8(pt), Name: strings.TrimSpace(parts[0]), Clock: clock, Channels: 1}
	if strings.EqualFold(f.Name, NameG722) {
		// RFC 3551 §4.5.2: G722/8000, though some phones write 16000.
		f.Clock = 8000
	}
	if len(parts) > 2 {
		if ch, err := strconv.Atoi(strings.TrimSpace(parts[2])); err == nil && ch > 0 {
			f.Channels = ch
		}
	}
	return f, true
}

// parseFmtp splits an a=fmtp value "<pt> <params>" (RFC 4566 §6).
func parseFmtp(v string) (int, string, bool) {
	v = strings.TrimSpace(v)
	i := strings.IndexAny(v, " \t")
	ptStr, params := v, ""
	if i >= 0 {
		ptStr, params = v[:i], strings.TrimSpace(v[i+1:])
	}
	pt, err := strconv.Atoi(ptStr)
	if err != nil || pt < 0 || pt > 127 {
		return 0, "", false
	}
	return pt, params, true
}
