//go:build audioe2e

package portaudio

// End-to-end audio path with no sound card, driven by scripts/audio/e2e.sh:
//
//	espeak-ng speech → $MIC_IN → ALSA file plugin → PortAudio default input
//	→ PCMU encode → RTP over loopback UDP → PCMU decode → PortAudio default
//	output → ALSA file plugin → $SPK_OUT
//
// The script sets ALSA_CONFIG_PATH (scripts/audio/alsa-file.conf), MIC_IN,
// SPK_OUT and AUDIO_RATE before the test process starts, and builds with
// -tags audioe2e (plain go test ./... leaves this file out).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
)

// rtpPacket is a minimal RTP header (RFC 3550 §5.1) for this test only;
// the real session lives in media/rtpsession.
type rtpPacket struct {
	seq     uint16
	ts      uint32
	ssrc    uint32
	pt      uint8
	payload []byte
}

func (p rtpPacket) marshal(b []byte) []byte {
	b = append(b[:0], 0x80, p.pt&0x7f) // V=2, no padding/extension/CSRC, M=0
	b = binary.BigEndian.AppendUint16(b, p.seq)
	b = binary.BigEndian.AppendUint32(b, p.ts)
	b = binary.BigEndian.AppendUint32(b, p.ssrc)
	return append(b, p.payload...)
}

func unmarshalRTP(b []byte) (rtpPacket, error) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return rtpPacket{}, errors.New("not an RTP v2 packet")
	}
	cc := int(b[0] & 0x0f)
	if len(b) < 12+4*cc {
		return rtpPacket{}, errors.New("short RTP packet")
	}
	return rtpPacket{pt: b[1] & 0x7f, seq: binary.BigEndian.Uint16(b[2:]), ts: binary.BigEndian.Uint32(b[4:]),
		ssrc: binary.BigEndian.Uint32(b[8:]), payload: b[12+4*cc:]}, nil
}

func readS16(t *testing.T, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// TestE2EFilePlugin runs the path once per codec. The device always runs
// at AUDIO_RATE (8 kHz, as the mic file is); G.722 (16 kHz) and Opus
// (48 kHz) go through the input and output resamplers as well.
func TestE2EFilePlugin(t *testing.T) {
	mic, spk := os.Getenv("MIC_IN"), os.Getenv("SPK_OUT")
	devRate, _ := strconv.Atoi(os.Getenv("AUDIO_RATE"))
	if mic == "" || spk == "" || devRate != 8000 || os.Getenv("ALSA_CONFIG_PATH") == "" {
		t.Fatalf("need MIC_IN, SPK_OUT, AUDIO_RATE=8000 and ALSA_CONFIG_PATH (got %q %q %d)", mic, spk, devRate)
	}
	ref := readS16(t, mic)
	// Opus is perceptual (SILK at voice bitrates models the spectrum, not
	// the waveform): it sounds right but its waveform correlation with the
	// input is about 0.9 (0.91 even at 64 kbit/s), so it gets a lower bar.
	minCorr := map[string]float64{"opus": 0.85}
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			got := runE2E(t, c, devRate, len(ref)/(devRate/50))
			if err := os.WriteFile(spk+"."+c.Name(), s16Bytes(got), 0o600); err != nil {
				t.Fatal(err)
			}
			frames := len(ref) / (devRate / 50)
			want := ref[:frames*devRate/50]
			lag, corr := audio.XCorr(want, got, devRate/10)
			t.Logf("%s: speaker vs microphone: lag %d samples (%.1f ms), correlation %.4f",
				c.Name(), lag, 1000*float64(lag)/float64(devRate), corr)
			bar := 0.9
			if m, ok := minCorr[c.Name()]; ok {
				bar = m
			}
			if corr < bar {
				t.Errorf("correlation %.4f, want ≥ %.2f", corr, bar)
			}
		})
	}
}

func s16Bytes(x []int16) []byte {
	b := make([]byte, 0, 2*len(x))
	for _, v := range x {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// runE2E sends frames 20 ms frames from the default input through c over
// RTP on loopback to the default output and returns what the speaker file
// received.
func runE2E(t *testing.T, c codec.Codec, devRate, frames int) []int16 {
	rate := c.SampleRate()
	frame := codec.FrameSamples(c, 20*time.Millisecond)
	step := codec.TimestampStep(c, 20*time.Millisecond)

	h, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	in, err := h.OpenInput(StreamOptions{Rate: rate, DeviceRate: devRate})
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.OpenOutput(StreamOptions{Rate: rate, DeviceRate: devRate})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("input %v, output %v", in, out)

	txConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer txConn.Close()
	rxConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rxConn.Close()

	// At most window packets in flight: the file PCM is not paced, and a
	// burst could overflow the loopback socket's receive buffer.
	const window = 16
	inFlight := make(chan struct{}, window)
	// Receiver: RTP → decode → speaker. Bounded by a read deadline.
	rxDone := make(chan error, 1)
	go func() {
		dec, err := c.NewDecoder()
		if err != nil {
			rxDone <- err
			return
		}
		buf := make([]byte, 1500)
		var pcm []int16
		var next uint16
		var lastTS uint32
		for i := range frames {
			rxConn.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, _, err := rxConn.ReadFromUDP(buf)
			if err != nil {
				rxDone <- fmt.Errorf("packet %d: %w", i, err)
				return
			}
			p, err := unmarshalRTP(buf[:n])
			if err != nil {
				rxDone <- err
				return
			}
			if i > 0 && (p.seq != next || p.ts-lastTS != step) {
				rxDone <- fmt.Errorf("seq %d ts +%d, want %d +%d (lost or reordered)", p.seq, p.ts-lastTS, next, step)
				return
			}
			next, lastTS = p.seq+1, p.ts
			<-inFlight
			if pcm, err = dec.Decode(pcm[:0], p.payload); err != nil {
				rxDone <- err
				return
			}
			if _, err := out.Write(pcm); err != nil {
				rxDone <- err
				return
			}
		}
		rxDone <- nil
	}()

	// Sender: microphone → encode → RTP.
	enc, err := c.NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	x := make([]int16, frame)
	var payload, pkt []byte
	dst := rxConn.LocalAddr().(*net.UDPAddr)
	start := time.Now()
	for i := range frames {
		if _, err := in.Read(x); err != nil {
			t.Fatalf("mic read %d: %v", i, err)
		}
		select {
		case inFlight <- struct{}{}:
		case err := <-rxDone:
			t.Fatalf("receiver stopped early: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("receiver stalled")
		}
		if payload, err = enc.Encode(payload[:0], x); err != nil {
			t.Fatal(err)
		}
		pkt = rtpPacket{seq: uint16(1000 + i), ts: uint32(i) * step, ssrc: 0x7ea0, pt: c.PayloadType(), payload: payload}.marshal(pkt)
		if _, err := txConn.WriteToUDP(pkt, dst); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := <-rxDone; err != nil {
		t.Fatalf("receiver: %v", err)
	}
	elapsed := time.Since(start)
	if err := in.Close(); err != nil {
		t.Errorf("input close: %v", err)
	}
	if err := out.Close(); err != nil { // drains playback into $SPK_OUT
		t.Errorf("output close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("host close: %v", err)
	}
	t.Logf("%d frames (%.2f s of audio) in %v; overflows %d underflows %d",
		frames, float64(frames*frame)/float64(rate), elapsed.Round(time.Millisecond), in.Overflows(), out.Underflows())
	got := readS16(t, os.Getenv("SPK_OUT"))
	if want := frames * devRate / 50; len(got) < want*99/100 {
		t.Fatalf("speaker got %d samples, want about %d", len(got), want)
	}
	return got
}
