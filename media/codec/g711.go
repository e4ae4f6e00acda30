package codec

import "math/bits"

// G.711 (ITU-T G.711, 11/1988) companding, RTP payload per RFC 3551 §4.5.14:
// one octet per sample, 8000 Hz, static payload types 0 (PCMU) and 8 (PCMA).
//
// Encoding uses the segment number from the position of the top bit
// (bits.Len), so it needs no table; decoding uses a 256-entry table built
// once at package initialisation and never written afterwards.

// ulawEncode compresses one linear sample to μ-law (G.711 Table 2a):
// bias by 0x84, find the segment (exponent) from the top set bit, keep four
// mantissa bits, invert all bits.
func ulawEncode(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int32(s)
	sign := byte(0)
	if x < 0 {
		x = -x
		sign = 0x80
	}
	x = min(x, clip) + bias
	exp := bits.Len32(uint32(x)) - 8 // 0..7: x is in [0x84, 0x7FFF]
	mant := (x >> (exp + 3)) & 0x0F
	return ^(sign | byte(exp<<4) | byte(mant))
}

func ulawDecodeCalc(u byte) int16 {
	u = ^u
	exp := int32(u>>4) & 7
	x := ((int32(u&0x0F) << 3) + 0x84) << exp
	x -= 0x84
	if u&0x80 != 0 {
		return int16(-x)
	}
	return int16(x)
}

// alawEncode compresses one linear sample to A-law (G.711 Table 1a): work
// on the top 13 bits, ones' complement for negatives, segment from the top
// set bit, four mantissa bits, then toggle the even bits (XOR 0x55).
func alawEncode(s int16) byte {
	x := int32(s) >> 3
	mask := byte(0xD5) // sign bit set for positive values, even bits toggled
	if x < 0 {
		mask = 0x55
		x = -x - 1
	}
	seg := max(bits.Len32(uint32(x))-5, 0) // 0..7: x ≤ 0xFFF
	var v int32
	if seg < 2 {
		v = (x >> 1) & 0x0F
	} else {
		v = (x >> seg) & 0x0F
	}
	return (byte(seg<<4) | byte(v)) ^ mask
}

func alawDecodeCalc(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	switch seg := int32(a&0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t = (t + 0x108) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// Expansion tables, written once here and read-only afterwards.
var (
	ulawTable = expandTable(ulawDecodeCalc)
	alawTable = expandTable(alawDecodeCalc)
)

func expandTable(f func(byte) int16) *[256]int16 {
	var t [256]int16
	for i := range t {
		t[i] = f(byte(i))
	}
	return &t
}

type g711 struct {
	name string
	pt   uint8
	alaw bool
}

// PCMU returns the G.711 μ-law codec (payload type 0).
func PCMU() Codec { return g711{name: "PCMU", pt: PayloadPCMU} }

// PCMA returns the G.711 A-law codec (payload type 8).
func PCMA() Codec { return g711{name: "PCMA", pt: PayloadPCMA, alaw: true} }

func (c g711) Name() string       { return c.name }
func (c g711) ClockRate() int     { return 8000 }
func (c g711) SampleRate() int    { return 8000 }
func (c g711) Channels() int      { return 1 }
func (c g711) PayloadType() uint8 { return c.pt }

func (c g711) NewEncoder() (Encoder, error) { return &G711Encoder{alaw: c.alaw}, nil }

func (c g711) NewDecoder() (Decoder, error) {
	t := ulawTable
	if c.alaw {
		t = alawTable
	}
	return &G711Decoder{table: t, plc: NewConcealer(8000)}, nil
}

// G711Encoder encodes μ-law or A-law; it is stateless.
type G711Encoder struct{ alaw bool }

// Encode implements Encoder.
func (e *G711Encoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	dst = grow(dst, len(pcm))
	out := dst[len(dst)-len(pcm):]
	if e.alaw {
		for i, s := range pcm {
			out[i] = alawEncode(s)
		}
	} else {
		for i, s := range pcm {
			out[i] = ulawEncode(s)
		}
	}
	return dst, nil
}

// G711Decoder expands μ-law or A-law and conceals losses with the generic
// waveform-repeat Concealer (G.711 has no native PLC).
type G711Decoder struct {
	table *[256]int16
	plc   *Concealer
}

// Decode implements Decoder.
func (d *G711Decoder) Decode(dst []int16, payload []byte) ([]int16, error) {
	start := len(dst)
	dst = grow(dst, len(payload))
	out := dst[start:]
	for i, b := range payload {
		out[i] = d.table[b]
	}
	d.plc.Good(out)
	return dst, nil
}

// Conceal implements Decoder.
func (d *G711Decoder) Conceal(dst []int16, n int) ([]int16, error) {
	return d.plc.Conceal(dst, n), nil
}

// grow extends s by n elements (contents of the new part unspecified).
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) < n {
		ns := make([]T, len(s), len(s)+n+len(s)/4)
		copy(ns, s)
		s = ns
	}
	return s[:len(s)+n]
}
