//go:build spandsp

// Package spandsp wraps libspandsp's G.722 codec (Debian libspandsp-dev) as
// an independent reference for testing the pure-Go G.722 in media/codec.
// It is built only with -tags spandsp and never linked into teaphone.
package spandsp

/*
#cgo pkg-config: spandsp
#include <spandsp.h>
*/
import "C"

import (
	"errors"
	"unsafe"
)

// G722Encoder is a 64 kbit/s spandsp encoder at 16 kHz.
type G722Encoder struct{ s *C.g722_encode_state_t }

// G722Decoder is a 64 kbit/s spandsp decoder at 16 kHz.
type G722Decoder struct{ s *C.g722_decode_state_t }

// NewG722Encoder allocates an encoder; Close frees it.
func NewG722Encoder() (*G722Encoder, error) {
	s := C.g722_encode_init(nil, 64000, 0)
	if s == nil {
		return nil, errors.New("g722_encode_init failed")
	}
	return &G722Encoder{s}, nil
}

// NewG722Decoder allocates a decoder; Close frees it.
func NewG722Decoder() (*G722Decoder, error) {
	s := C.g722_decode_init(nil, 64000, 0)
	if s == nil {
		return nil, errors.New("g722_decode_init failed")
	}
	return &G722Decoder{s}, nil
}

// Encode returns the codes for pcm (even length).
func (e *G722Encoder) Encode(pcm []int16) []byte {
	out := make([]byte, len(pcm)/2)
	n := C.g722_encode(e.s, (*C.uint8_t)(unsafe.Pointer(&out[0])), (*C.int16_t)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)))
	return out[:n]
}

// Decode returns the PCM for codes.
func (d *G722Decoder) Decode(codes []byte) []int16 {
	out := make([]int16, 2*len(codes))
	n := C.g722_decode(d.s, (*C.int16_t)(unsafe.Pointer(&out[0])), (*C.uint8_t)(unsafe.Pointer(&codes[0])), C.int(len(codes)))
	return out[:n]
}

// Close frees the encoder.
func (e *G722Encoder) Close() { C.g722_encode_free(e.s) }

// Close frees the decoder.
func (d *G722Decoder) Close() { C.g722_decode_free(d.s) }
