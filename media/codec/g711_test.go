package codec_test

import (
	"testing"

	"github.com/teaphone/teaphone/media/codec"
)

// Straightforward reference companders (segment search by comparison
// against the G.711 segment end points) to check the bit-trick versions
// over all 65536 inputs.
func refUlaw(s int16) byte {
	x := int(s)
	sign := 0
	if x < 0 {
		x, sign = -x, 0x80
	}
	x = min(x, 32635) + 0x84
	seg := 0
	for _, end := range []int{0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF, 0x7FFF} {
		if x <= end {
			break
		}
		seg++
	}
	return ^byte(sign | seg<<4 | (x>>(seg+3))&0xF)
}

func refAlaw(s int16) byte {
	x := int(s) >> 3
	mask := 0xD5
	if x < 0 {
		mask, x = 0x55, -x-1
	}
	seg := 0
	for _, end := range []int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF} {
		if x <= end {
			break
		}
		seg++
	}
	v := seg << 4
	if seg < 2 {
		v |= (x >> 1) & 0xF
	} else {
		v |= (x >> seg) & 0xF
	}
	return byte(v ^ mask)
}

func TestG711AgainstReference(t *testing.T) {
	for _, tc := range []struct {
		c   codec.Codec
		ref func(int16) byte
	}{{codec.PCMU(), refUlaw}, {codec.PCMA(), refAlaw}} {
		enc, _ := tc.c.NewEncoder()
		dec, _ := tc.c.NewDecoder()
		all := make([]int16, 65536)
		for i := range all {
			all[i] = int16(i - 32768)
		}
		got, _ := enc.Encode(nil, all)
		for i, s := range all {
			if want := tc.ref(s); got[i] != want {
				t.Fatalf("%s: encode(%d) = %#02x, want %#02x", tc.c.Name(), s, got[i], want)
			}
		}
		// Every code decodes to a value that encodes back to itself
		// (except μ-law's negative zero 0x7F, which maps to 0 = 0xFF).
		codes := make([]byte, 256)
		for i := range codes {
			codes[i] = byte(i)
		}
		lin, _ := dec.Decode(nil, codes)
		back, _ := enc.Encode(nil, lin)
		for i := range codes {
			if back[i] != codes[i] && !(tc.c.Name() == "PCMU" && i == 0x7F) {
				t.Errorf("%s: code %#02x → %d → %#02x", tc.c.Name(), i, lin[i], back[i])
			}
		}
		if tc.c.Name() == "PCMU" && (lin[0x00] != -32124 || lin[0x80] != 32124 || lin[0xFF] != 0) {
			t.Errorf("μ-law extremes = %d, %d, %d; want -32124, 32124, 0", lin[0], lin[0x80], lin[0xFF])
		}
		if tc.c.Name() == "PCMA" && (lin[0xD5] != 8 || lin[0x55] != -8 || lin[0xAA] != 32256) {
			t.Errorf("A-law codes d5, 55, aa = %d, %d, %d; want 8, -8, 32256", lin[0xD5], lin[0x55], lin[0xAA])
		}
	}
}
