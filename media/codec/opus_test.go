//go:build cgo && !noopus

package codec_test

import (
	"errors"
	"testing"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
)

func TestOpusFEC(t *testing.T) {
	o := codec.DefaultOpusOptions()
	o.PacketLossPercent = 30
	enc, err := codec.NewOpusEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	src := audio.NewTone(48000, 700, -12)
	x := make([]int16, 960)
	var pkts [][]byte
	for range 30 {
		src.Read(x)
		p, err := enc.Encode(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
	}
	var out []int16
	for i := range 20 {
		out, _ = dec.Decode(out, pkts[i])
	}
	// Packet 20 is lost; recover it from packet 21's FEC, then decode 21.
	before := len(out)
	if out, err = dec.DecodeFEC(out, pkts[21], 960); err != nil {
		t.Fatal(err)
	}
	rec := out[before:]
	if len(rec) != 960 {
		t.Fatalf("FEC gave %d samples, want 960", len(rec))
	}
	if l := audio.ToneLevel(rec, 48000, 700); l < -15 {
		t.Errorf("FEC-recovered frame: 700 Hz at %.1f dBFS, want about -12", l)
	}
	if _, err = dec.Decode(out, pkts[21]); err != nil {
		t.Fatal(err)
	}
	// A second decoder given the same history but only PLC for packet 20
	// must produce something else: the FEC data was really used.
	plcDec, _ := codec.NewOpusDecoder()
	defer plcDec.Close()
	var plcOut []int16
	for i := range 20 {
		plcOut, _ = plcDec.Decode(plcOut[:0], pkts[i])
	}
	plc, _ := plcDec.Conceal(nil, 960)
	same := true
	for i := range plc {
		same = same && plc[i] == rec[i]
	}
	if same {
		t.Error("DecodeFEC output equals PLC output: no in-band FEC in the next packet")
	}
	if _, err := dec.Conceal(nil, 100); !errors.Is(err, codec.ErrFrame) {
		t.Errorf("Conceal(100): err = %v, want ErrFrame (not a 2.5 ms multiple)", err)
	}
	enc.Close()
	if _, err := enc.Encode(nil, x); !errors.Is(err, codec.ErrClosed) {
		t.Errorf("Encode after Close: err = %v, want ErrClosed", err)
	}
	if c, _ := codec.NewOpus(o); c.(codec.FmtpCodec).Fmtp() != "minptime=10;stereo=0;sprop-stereo=0;useinbandfec=1" {
		t.Errorf("Fmtp = %q", c.(codec.FmtpCodec).Fmtp())
	}
	if _, err := codec.NewOpus(codec.OpusOptions{Complexity: 11}); !errors.Is(err, codec.ErrOption) {
		t.Errorf("complexity 11: err = %v, want ErrOption", err)
	}
}
