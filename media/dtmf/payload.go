package dtmf

import (
	"errors"
	"fmt"
)

// PayloadSize is the size of one telephone-event payload (RFC 4733 §2.3).
const PayloadSize = 4

// MaxDuration is the largest duration a single payload can express, in
// timestamp units (RFC 4733 §2.5.1.3).
const MaxDuration = 0xFFFF

// EventFlash is the hook-flash event code (RFC 4733 §3.2).
const EventFlash = 16

// ErrShortPayload is returned when a payload is shorter than PayloadSize.
var ErrShortPayload = errors.New("dtmf: payload too short")

// ErrUnknownDigit is returned for a character that is not a DTMF digit.
var ErrUnknownDigit = errors.New("dtmf: unknown digit")

// Payload is one RFC 4733 §2.3 event payload:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     event     |E|R| volume    |          duration             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type Payload struct {
	Event uint8 // event code (§3.2: 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash)
	End   bool  // E bit: this is the end of the event (§2.5.1.4)
	// Volume is the power level of the tone in -dBm0, 0..63 (§2.3.4).
	// Larger values are quieter.
	Volume uint8
	// Duration since the event's timestamp, in RTP timestamp units (§2.5.1.2).
	Duration uint16
}

// MarshalTo writes the payload into buf, which must hold PayloadSize bytes,
// and returns PayloadSize. The R bit is always sent as zero (§2.3.3).
func (p Payload) MarshalTo(buf []byte) (int, error) {
	if len(buf) < PayloadSize {
		return 0, fmt.Errorf("%w: buffer %d < %d", ErrShortPayload, len(buf), PayloadSize)
	}
	buf[0] = p.Event
	buf[1] = p.Volume & 0x3F
	if p.End {
		buf[1] |= 0x80
	}
	buf[2] = byte(p.Duration >> 8)
	buf[3] = byte(p.Duration)
	return PayloadSize, nil
}

// Append appends the marshalled payload to dst.
func (p Payload) Append(dst []byte) []byte {
	var b [PayloadSize]byte
	_, _ = p.MarshalTo(b[:])
	return append(dst, b[:]...)
}

// Unmarshal parses the first PayloadSize bytes of buf. Extra bytes (a
// redundant RFC 2198 block would be carried differently) are ignored; the
// reserved R bit is ignored as §2.3.3 requires.
func (p *Payload) Unmarshal(buf []byte) error {
	if len(buf) < PayloadSize {
		return fmt.Errorf("%w: %d < %d", ErrShortPayload, len(buf), PayloadSize)
	}
	p.Event = buf[0]
	p.End = buf[1]&0x80 != 0
	p.Volume = buf[1] & 0x3F
	p.Duration = uint16(buf[2])<<8 | uint16(buf[3])
	return nil
}

// EventCode maps a DTMF digit (0-9 * # A-D, case-insensitive, and '!' for
// flash) to its RFC 4733 §3.2 event code.
func EventCode(digit rune) (uint8, error) {
	switch {
	case digit >= '0' && digit <= '9':
		return uint8(digit - '0'), nil
	case digit == '*':
		return 10, nil
	case digit == '#':
		return 11, nil
	case digit >= 'A' && digit <= 'D':
		return uint8(12 + digit - 'A'), nil
	case digit >= 'a' && digit <= 'd':
		return uint8(12 + digit - 'a'), nil
	case digit == '!':
		return EventFlash, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownDigit, digit)
}

// Digit maps an event code back to its digit; ok is false for codes other
// than 0–16.
func Digit(event uint8) (digit rune, ok bool) {
	switch {
	case event <= 9:
		return rune('0' + event), true
	case event == 10:
		return '*', true
	case event == 11:
		return '#', true
	case event <= 15:
		return rune('A' + event - 12), true
	case event == EventFlash:
		return '!', true
	}
	return 0, false
}
