//go:build cgo && !noopus

package codec

/*
#cgo pkg-config: opus
#include <stdlib.h>
#include <opus.h>

// opus_encoder_ctl is variadic, which cgo cannot call: one wrapper per
// request we use.
static int tp_enc_set(OpusEncoder *e, int req, opus_int32 v) {
	switch (req) {
	case OPUS_SET_BITRATE_REQUEST: return opus_encoder_ctl(e, OPUS_SET_BITRATE(v));
	case OPUS_SET_COMPLEXITY_REQUEST: return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v));
	case OPUS_SET_INBAND_FEC_REQUEST: return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v));
	case OPUS_SET_PACKET_LOSS_PERC_REQUEST: return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v));
	case OPUS_SET_DTX_REQUEST: return opus_encoder_ctl(e, OPUS_SET_DTX(v));
	case OPUS_SET_SIGNAL_REQUEST: return opus_encoder_ctl(e, OPUS_SET_SIGNAL(v));
	}
	return OPUS_UNIMPLEMENTED;
}
static int tp_enc_lookahead(OpusEncoder *e) {
	opus_int32 v = 0;
	if (opus_encoder_ctl(e, OPUS_GET_LOOKAHEAD(&v)) != OPUS_OK) return -1;
	return v;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Opus (RFC 6716) through a small cgo binding to libopus, RTP payload per
// RFC 7587: "opus/48000/2" in SDP whatever is actually sent (§7), RTP clock
// 48000 Hz (§4.1), one Opus packet per RTP payload (§4.2). The PCM side here
// is always mono at 48000 Hz; a stereo stream from the peer is decoded and
// mixed down by libopus.

const (
	opusRate      = 48000
	opusMaxPacket = 1500 // bytes: larger than any single 120 ms packet (1275 per frame ×3 plus TOC)
	opusMaxFrame  = 5760 // samples: 120 ms at 48 kHz
	opusMinFrame  = 120  // samples: 2.5 ms, the frame-size granule
)

// OpusOptions configure the encoder.
type OpusOptions struct {
	// Bitrate in bit/s; 0 lets libopus choose (OPUS_AUTO).
	Bitrate int
	// Complexity 0–10: CPU against quality.
	Complexity int
	// FEC turns on in-band forward error correction (LBRR, RFC 6716
	// §2.1.7): each packet carries a coarse copy of the previous frame
	// that DecodeFEC can recover. It only engages with a non-zero
	// PacketLossPercent.
	FEC bool
	// PacketLossPercent is the expected loss rate (0–100) the encoder
	// plans redundancy for.
	PacketLossPercent int
	// DTX sends a packet only every 400 ms during silence (RFC 7587 §3.1.3).
	DTX bool
}

// DefaultOpusOptions suits wideband voice calls: 32 kbit/s, complexity 5,
// FEC on for 10% loss, no DTX.
func DefaultOpusOptions() OpusOptions {
	return OpusOptions{Bitrate: 32000, Complexity: 5, FEC: true, PacketLossPercent: 10}
}

type opusCodec struct{ o OpusOptions }

// NewOpus returns the Opus codec with the given encoder options.
func NewOpus(o OpusOptions) (Codec, error) {
	if o.Complexity < 0 || o.Complexity > 10 || o.PacketLossPercent < 0 || o.PacketLossPercent > 100 ||
		o.Bitrate < 0 || (o.Bitrate != 0 && (o.Bitrate < 500 || o.Bitrate > 512000)) {
		return nil, fmt.Errorf("opus options %+v: %w", o, ErrOption)
	}
	return opusCodec{o: o}, nil
}

func (opusCodec) Name() string       { return "opus" }
func (opusCodec) ClockRate() int     { return opusRate } // RFC 7587 §4.1
func (opusCodec) SampleRate() int    { return opusRate }
func (opusCodec) Channels() int      { return 2 } // RFC 7587 §7: always 2 in SDP
func (opusCodec) PayloadType() uint8 { return PayloadOpus }

// Fmtp is the a=fmtp parameter list we offer (RFC 7587 §6.1): we receive
// mono and understand in-band FEC.
func (c opusCodec) Fmtp() string {
	s := "minptime=10;stereo=0;sprop-stereo=0"
	if c.o.FEC {
		s += ";useinbandfec=1"
	}
	return s
}

func (c opusCodec) NewEncoder() (Encoder, error) { return NewOpusEncoder(c.o) }
func (c opusCodec) NewDecoder() (Decoder, error) { return NewOpusDecoder() }

func opusError(op string, code C.int) error {
	return fmt.Errorf("opus %s: %s: %w", op, C.GoString(C.opus_strerror(code)), ErrCodec)
}

// OpusEncoder encodes 48 kHz mono PCM into Opus packets. Frames must be
// 2.5, 5, 10, 20, 40 or 60 ms (120 to 2880 samples). The C state is freed
// by Close, or by the garbage collector if Close is never called.
type OpusEncoder struct {
	mu      sync.Mutex // guards st against Close racing Encode
	st      *C.OpusEncoder
	cleanup runtime.Cleanup
}

// NewOpusEncoder creates an encoder with application VOIP.
func NewOpusEncoder(o OpusOptions) (*OpusEncoder, error) {
	var cerr C.int
	st := C.opus_encoder_create(opusRate, 1, C.OPUS_APPLICATION_VOIP, &cerr)
	if cerr != C.OPUS_OK || st == nil {
		return nil, opusError("encoder create", cerr)
	}
	e := &OpusEncoder{st: st}
	e.cleanup = runtime.AddCleanup(e, func(p *C.OpusEncoder) { C.opus_encoder_destroy(p) }, st)
	bitrate := C.opus_int32(o.Bitrate)
	if o.Bitrate == 0 {
		bitrate = C.OPUS_AUTO
	}
	set := []struct {
		name string
		req  C.int
		v    C.opus_int32
	}{
		{"bitrate", C.OPUS_SET_BITRATE_REQUEST, bitrate},
		{"complexity", C.OPUS_SET_COMPLEXITY_REQUEST, C.opus_int32(o.Complexity)},
		{"inband fec", C.OPUS_SET_INBAND_FEC_REQUEST, C.opus_int32(b2i(o.FEC))},
		{"packet loss", C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, C.opus_int32(o.PacketLossPercent)},
		{"dtx", C.OPUS_SET_DTX_REQUEST, C.opus_int32(b2i(o.DTX))},
		{"signal", C.OPUS_SET_SIGNAL_REQUEST, C.OPUS_SIGNAL_VOICE},
	}
	for _, s := range set {
		if r := C.tp_enc_set(st, s.req, s.v); r != C.OPUS_OK {
			return nil, opusError("set "+s.name, r)
		}
	}
	return e, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Lookahead is the encoder's algorithmic delay in samples.
func (e *OpusEncoder) Lookahead() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return 0
	}
	return int(C.tp_enc_lookahead(e.st))
}

// Encode implements Encoder.
func (e *OpusEncoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if !opusFrameOK(len(pcm)) || len(pcm) > 2880 {
		return dst, fmt.Errorf("opus: %d samples is not 2.5/5/10/20/40/60 ms at 48 kHz: %w", len(pcm), ErrFrame)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return dst, fmt.Errorf("opus encode: %w", ErrClosed)
	}
	start := len(dst)
	dst = grow(dst, opusMaxPacket)
	out := dst[start:]
	n := C.opus_encode(e.st, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(len(out)))
	if n < 0 {
		return dst[:start], opusError("encode", n)
	}
	return dst[:start+int(n)], nil
}

// Close frees the encoder; later calls fail with ErrClosed.
func (e *OpusEncoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != nil {
		e.cleanup.Stop()
		C.opus_encoder_destroy(e.st)
		e.st = nil
	}
	return nil
}

func opusFrameOK(n int) bool {
	switch n {
	case 120, 240, 480, 960, 1920, 2880, 3840, 4800, 5760:
		return true
	}
	return false
}

// OpusDecoder decodes Opus packets to 48 kHz mono and conceals losses with
// libopus's own PLC; DecodeFEC recovers a lost frame from the in-band FEC
// of the packet after it.
type OpusDecoder struct {
	mu      sync.Mutex
	st      *C.OpusDecoder
	cleanup runtime.Cleanup
}

// NewOpusDecoder creates a mono 48 kHz decoder.
func NewOpusDecoder() (*OpusDecoder, error) {
	var cerr C.int
	st := C.opus_decoder_create(opusRate, 1, &cerr)
	if cerr != C.OPUS_OK || st == nil {
		return nil, opusError("decoder create", cerr)
	}
	d := &OpusDecoder{st: st}
	d.cleanup = runtime.AddCleanup(d, func(p *C.OpusDecoder) { C.opus_decoder_destroy(p) }, st)
	return d, nil
}

// decode runs opus_decode into dst; data nil means PLC.
func (d *OpusDecoder) decode(dst []int16, data []byte, frame int, fec bool) ([]int16, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st == nil {
		return dst, fmt.Errorf("opus decode: %w", ErrClosed)
	}
	start := len(dst)
	dst = grow(dst, frame)
	out := dst[start:]
	var p *C.uchar
	if len(data) > 0 {
		p = (*C.uchar)(unsafe.Pointer(&data[0]))
	}
	n := C.opus_decode(d.st, p, C.opus_int32(len(data)), (*C.opus_int16)(unsafe.Pointer(&out[0])),
		C.int(frame), C.int(b2i(fec)))
	if n < 0 {
		return dst[:start], opusError("decode", n)
	}
	return dst[:start+int(n)], nil
}

// Decode implements Decoder.
func (d *OpusDecoder) Decode(dst []int16, payload []byte) ([]int16, error) {
	if len(payload) == 0 {
		return dst, fmt.Errorf("opus: empty payload: %w", ErrFrame)
	}
	return d.decode(dst, payload, opusMaxFrame, false)
}

// Conceal implements Decoder with Opus packet loss concealment (decoding
// with no data). n must be a multiple of 2.5 ms (120 samples).
func (d *OpusDecoder) Conceal(dst []int16, n int) ([]int16, error) {
	if n <= 0 || n%opusMinFrame != 0 || n > opusMaxFrame {
		return dst, fmt.Errorf("opus: conceal %d samples, need a multiple of 120: %w", n, ErrFrame)
	}
	return d.decode(dst, nil, n, false)
}

// DecodeFEC appends n samples for a lost frame, recovered from the in-band
// FEC carried by next, the packet that followed it (RFC 6716 §2.1.7). If
// next carries no FEC, libopus falls back to PLC. Decode next itself
// afterwards as usual. n is the lost frame's duration in samples.
func (d *OpusDecoder) DecodeFEC(dst []int16, next []byte, n int) ([]int16, error) {
	if n <= 0 || n%opusMinFrame != 0 || n > opusMaxFrame {
		return dst, fmt.Errorf("opus: fec for %d samples, need a multiple of 120: %w", n, ErrFrame)
	}
	if len(next) == 0 {
		return d.decode(dst, nil, n, false)
	}
	return d.decode(dst, next, n, true)
}

// Close frees the decoder; later calls fail with ErrClosed.
func (d *OpusDecoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.st != nil {
		d.cleanup.Stop()
		C.opus_decoder_destroy(d.st)
		d.st = nil
	}
	return nil
}

var _ FECDecoder = (*OpusDecoder)(nil)

// OpusAvailable reports whether this build includes Opus.
const OpusAvailable = true
