package codec

import (
	"errors"
	"fmt"
)

// G.722 (ITU-T G.722, 09/2012): 7 kHz wideband audio in 64 kbit/s by
// sub-band ADPCM. A 24-tap QMF splits 16 kHz PCM into a low band (0–4 kHz,
// 6-bit ADPCM) and a high band (4–8 kHz, 2-bit ADPCM); each pair of input
// samples becomes one octet, high-band bits on top. Only mode 1 (64 kbit/s,
// all six low-band bits used by the decoder) is implemented.
//
// RTP payload per RFC 3551 §4.5.2: payload type 9, "G722/8000" in SDP even
// though the codec samples at 16000 Hz (the clock rate was set wrongly in
// RFC 1890 and kept for compatibility), so the RTP timestamp advances by
// half the number of PCM samples.

// ErrFrame reports a PCM frame or payload whose length the codec cannot use.
var ErrFrame = errors.New("bad frame length")

// Quantiser and adaptation tables, G.722 §3 and §4 (numbered as there).
var (
	// q6: decision levels of the 6-bit low-band quantiser (Table 6), scaled.
	g722Q6 = [32]int32{0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714,
		786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0}
	// iln, ilp: low-band codes for negative and positive differences.
	g722ILN = [32]int32{0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
		18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0}
	g722ILP = [32]int32{0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
		46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0}
	// wl: low-band log scale factor multipliers (Table 14), rl42 maps the
	// 4-bit code to its index.
	g722WL   = [8]int32{-60, -30, 58, 172, 334, 538, 1198, 3042}
	g722RL42 = [16]int32{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}
	// ilb: antilog table for the scale factor (Table 15).
	g722ILB = [32]int32{2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599,
		2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520,
		3597, 3676, 3756, 3838, 3922, 4008}
	// qm4: 4-bit inverse quantiser used inside the predictor loop (Table 7).
	g722QM4 = [16]int32{0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
		20456, 12896, 8968, 6288, 4240, 2584, 1200, 0}
	// qm6: 6-bit inverse quantiser for the 64 kbit/s decoder output (Table 9).
	g722QM6 = [64]int32{-136, -136, -136, -136, -24808, -21904, -19008, -16704,
		-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
		-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
		-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
		24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
		10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
		4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
		1688, 1360, 1040, 728, 432, 136, -432, -136}
	// High band: 2-bit quantiser (Tables 11, 12, 16).
	g722QM2 = [4]int32{-7408, -1616, 7408, 1616}
	g722IHN = [3]int32{0, 1, 0}
	g722IHP = [3]int32{0, 3, 2}
	g722WH  = [3]int32{0, -214, 798}
	g722RH2 = [4]int32{2, 1, 2, 1}
	// QMF coefficients h0..h11 (Table 13; h23-i = hi).
	g722QMF = [12]int32{3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11}
)

func sat16i(v int32) int32 {
	return max(-32768, min(32767, v))
}

// g722Band is the adaptive predictor state of one sub-band (§3.6, Blocks
// 4L/4H): two-pole and six-zero predictor, reconstructed signals, scale
// factor.
type g722Band struct {
	s, sp, sz int32    // predicted signal, pole and zero parts
	r         [3]int32 // reconstructed signal r(n), r(n-1), r(n-2)
	a, ap     [3]int32 // pole coefficients and their updates
	p         [3]int32 // partial reconstructed signal
	d         [7]int32 // quantised difference signal history
	b, bp     [7]int32 // zero coefficients and their updates
	sg        [7]int32 // signs
	nb, det   int32    // log scale factor and scale factor
}

// adapt is Block 4: reconstruct, update the pole (UPPOL1/2) and zero
// (UPZERO) predictor coefficients, delay, and compute the next prediction.
func (b *g722Band) adapt(d int32) {
	// RECONS, PARREC
	b.d[0] = d
	b.r[0] = sat16i(b.s + d)
	b.p[0] = sat16i(b.sz + d)

	// UPPOL2 (§3.6.3)
	for i := range 3 {
		b.sg[i] = b.p[i] >> 15
	}
	wd1 := sat16i(b.a[1] << 2)
	wd2 := wd1
	if b.sg[0] == b.sg[1] {
		wd2 = -wd1
	}
	wd2 = min(wd2, 32767)
	wd3 := wd2 >> 7
	if b.sg[0] == b.sg[2] {
		wd3 += 128
	} else {
		wd3 -= 128
	}
	wd3 += (b.a[2] * 32512) >> 15
	b.ap[2] = max(-12288, min(12288, wd3))

	// UPPOL1 (§3.6.4)
	b.sg[0] = b.p[0] >> 15
	b.sg[1] = b.p[1] >> 15
	wd1 = -192
	if b.sg[0] == b.sg[1] {
		wd1 = 192
	}
	wd2 = (b.a[1] * 32640) >> 15
	b.ap[1] = sat16i(wd1 + wd2)
	wd3 = sat16i(15360 - b.ap[2])
	b.ap[1] = max(-wd3, min(wd3, b.ap[1]))

	// UPZERO (§3.6.5)
	wd1 = 128
	if d == 0 {
		wd1 = 0
	}
	b.sg[0] = d >> 15
	for i := 1; i < 7; i++ {
		b.sg[i] = b.d[i] >> 15
		wd2 = -wd1
		if b.sg[i] == b.sg[0] {
			wd2 = wd1
		}
		wd3 = (b.b[i] * 32640) >> 15
		b.bp[i] = sat16i(wd2 + wd3)
	}

	// DELAYA
	for i := 6; i > 0; i-- {
		b.d[i] = b.d[i-1]
		b.b[i] = b.bp[i]
	}
	for i := 2; i > 0; i-- {
		b.r[i] = b.r[i-1]
		b.p[i] = b.p[i-1]
		b.a[i] = b.ap[i]
	}

	// FILTEP
	wd1 = sat16i(b.r[1] + b.r[1])
	wd1 = (b.a[1] * wd1) >> 15
	wd2 = sat16i(b.r[2] + b.r[2])
	wd2 = (b.a[2] * wd2) >> 15
	b.sp = sat16i(wd1 + wd2)

	// FILTEZ
	b.sz = 0
	for i := 6; i > 0; i-- {
		wd1 = sat16i(b.d[i] + b.d[i])
		b.sz += (b.b[i] * wd1) >> 15
	}
	b.sz = sat16i(b.sz)

	// PREDIC
	b.s = sat16i(b.sp + b.sz)
}

// scaleLow is LOGSCL + SCALEL (Block 3L) for the low band's 4-bit code.
func (b *g722Band) scaleLow(il4 int32) {
	nb := (b.nb*127)>>7 + g722WL[g722RL42[il4]]
	b.nb = max(0, min(18432, nb))
	b.det = b.scale(8)
}

// scaleHigh is LOGSCH + SCALEH (Block 3H).
func (b *g722Band) scaleHigh(ih int32) {
	nb := (b.nb*127)>>7 + g722WH[g722RH2[ih]]
	b.nb = max(0, min(22528, nb))
	b.det = b.scale(10)
}

// scale turns the log scale factor into the linear one via ilb.
func (b *g722Band) scale(shift int32) int32 {
	wd1 := (b.nb >> 6) & 31
	wd2 := shift - (b.nb >> 11)
	var wd3 int32
	if wd2 < 0 {
		wd3 = g722ILB[wd1] << -wd2
	} else {
		wd3 = g722ILB[wd1] >> wd2
	}
	return wd3 << 2
}

func newBands() [2]g722Band {
	var b [2]g722Band
	b[0].det = 32 // §3.5 initial scale factors
	b[1].det = 8
	return b
}

type g722Codec struct{}

// G722 returns the G.722 codec at 64 kbit/s (payload type 9).
func G722() Codec { return g722Codec{} }

func (g722Codec) Name() string       { return "G722" }
func (g722Codec) ClockRate() int     { return 8000 } // RFC 3551 §4.5.2
func (g722Codec) SampleRate() int    { return 16000 }
func (g722Codec) Channels() int      { return 1 }
func (g722Codec) PayloadType() uint8 { return PayloadG722 }

func (g722Codec) NewEncoder() (Encoder, error) { return NewG722Encoder(), nil }
func (g722Codec) NewDecoder() (Decoder, error) { return NewG722Decoder(), nil }

// G722Encoder is a 64 kbit/s G.722 encoder (16 kHz in, one octet per two
// samples out).
type G722Encoder struct {
	x    [24]int32 // transmit QMF delay line
	band [2]g722Band
}

// NewG722Encoder returns an encoder in the reset state of §3.5.
func NewG722Encoder() *G722Encoder { return &G722Encoder{band: newBands()} }

// Encode implements Encoder; len(pcm) must be even.
func (e *G722Encoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if len(pcm)%2 != 0 {
		return dst, fmt.Errorf("g722: %d samples, need an even count: %w", len(pcm), ErrFrame)
	}
	start := len(dst)
	dst = grow(dst, len(pcm)/2)
	out := dst[start:]
	lo, hi := &e.band[0], &e.band[1]
	for j := 0; j < len(pcm); j += 2 {
		// Transmit QMF (§3.1): shift in two samples, split into bands.
		copy(e.x[:22], e.x[2:])
		e.x[22], e.x[23] = int32(pcm[j]), int32(pcm[j+1])
		var sumOdd, sumEven int32
		for i := range 12 {
			sumOdd += e.x[2*i] * g722QMF[i]
			sumEven += e.x[2*i+1] * g722QMF[11-i]
		}
		xlow := (sumEven + sumOdd) >> 14
		xhigh := (sumEven - sumOdd) >> 14

		// Low band (§3.2–3.4): difference, 6-bit quantiser QUANTL.
		el := sat16i(xlow - lo.s)
		wd := el
		if el < 0 {
			wd = -(el + 1)
		}
		i := 1
		for ; i < 30; i++ {
			if wd < (g722Q6[i]*lo.det)>>12 {
				break
			}
		}
		ilow := g722ILP[i]
		if el < 0 {
			ilow = g722ILN[i]
		}
		// INVQAL with the 4 most significant bits, then adapt.
		ril := ilow >> 2
		dlow := (lo.det * g722QM4[ril]) >> 15
		lo.scaleLow(ril)
		lo.adapt(dlow)

		// High band: 2-bit quantiser QUANTH.
		eh := sat16i(xhigh - hi.s)
		wd = eh
		if eh < 0 {
			wd = -(eh + 1)
		}
		mih := int32(1)
		if wd >= (564*hi.det)>>12 {
			mih = 2
		}
		ihigh := g722IHP[mih]
		if eh < 0 {
			ihigh = g722IHN[mih]
		}
		dhigh := (hi.det * g722QM2[ihigh]) >> 15
		hi.scaleHigh(ihigh)
		hi.adapt(dhigh)

		out[j/2] = byte(ihigh<<6 | ilow)
	}
	return dst, nil
}

// G722Decoder is a 64 kbit/s G.722 decoder with waveform-repeat
// concealment (the codec's own PLC, G.722 Appendix III, is not implemented).
type G722Decoder struct {
	x    [24]int32 // receive QMF delay line
	band [2]g722Band
	plc  *Concealer
}

// NewG722Decoder returns a decoder in the reset state of §3.5.
func NewG722Decoder() *G722Decoder {
	return &G722Decoder{band: newBands(), plc: NewConcealer(16000)}
}

// Decode implements Decoder: each octet yields two 16 kHz samples.
func (d *G722Decoder) Decode(dst []int16, payload []byte) ([]int16, error) {
	start := len(dst)
	dst = grow(dst, 2*len(payload))
	out := dst[start:]
	lo, hi := &d.band[0], &d.band[1]
	for j, code := range payload {
		ilow := int32(code & 0x3F)
		ihigh := int32(code>>6) & 3

		// Low band (§4.2): INVQBL (6-bit, decoder output) and INVQAL
		// (4-bit, predictor loop).
		rlow := max(-16384, min(16383, lo.s+(lo.det*g722QM6[ilow])>>15))
		ril := ilow >> 2
		dlow := (lo.det * g722QM4[ril]) >> 15
		lo.scaleLow(ril)
		lo.adapt(dlow)

		// High band.
		dhigh := (hi.det * g722QM2[ihigh]) >> 15
		rhigh := max(-16384, min(16383, dhigh+hi.s))
		hi.scaleHigh(ihigh)
		hi.adapt(dhigh)

		// Receive QMF (§4.4).
		copy(d.x[:22], d.x[2:])
		d.x[22], d.x[23] = rlow+rhigh, rlow-rhigh
		var xout1, xout2 int32
		for i := range 12 {
			xout2 += d.x[2*i] * g722QMF[i]
			xout1 += d.x[2*i+1] * g722QMF[11-i]
		}
		out[2*j] = int16(sat16i(xout1 >> 11))
		out[2*j+1] = int16(sat16i(xout2 >> 11))
	}
	d.plc.Good(out)
	return dst, nil
}

// Conceal implements Decoder. n should be even (whole octets' worth).
func (d *G722Decoder) Conceal(dst []int16, n int) ([]int16, error) {
	return d.plc.Conceal(dst, n), nil
}
