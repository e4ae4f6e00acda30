package callmedia

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
	"github.com/teaphone/teaphone/media/sdp"
	"github.com/teaphone/teaphone/ua"
)

// TestCallFilesAndTone: A plays a WAV file of 440 Hz (Files), B a tone of
// 880 Hz (Tone); each speaker is a WAV file. Each hears the other, not
// itself.
func TestCallFilesAndTone(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a-in.wav")
	writeToneWAV(t, in, 8000, 440, 300*time.Millisecond)
	outA, outB := filepath.Join(dir, "a-out.wav"), filepath.Join(dir, "b-out.wav")

	fa := newFactory(t, Config{Devices: Files{In: in, Out: outA, Loop: true}, DeviceRate: 48000})
	fb := newFactory(t, Config{Devices: Tone{Hz: 880, Out: outB}})
	a, err := fa.NewSession(ua.MediaConfig{CallID: "a", Local: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fb.NewSession(ua.MediaConfig{CallID: "b", Local: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, a, b)
	eventually(t, "a second of audio each way", func() bool {
		return a.Info().PacketsReceived > 50 && b.Info().PacketsReceived > 50
	})
	for _, s := range []ua.MediaSession{a, b} {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	fa.Close()
	fb.Close()

	xb, rb := readWAV(t, outB)
	if got := bestLevel(xb, rb, 440); got < -30 {
		t.Errorf("B's speaker: 440 Hz at %.1f dBFS, want > -30", got)
	}
	if got := bestLevel(xb, rb, 880); got > -50 {
		t.Errorf("B's speaker: own 880 Hz at %.1f dBFS, want < -50", got)
	}
	xa, ra := readWAV(t, outA)
	if ra != 48000 {
		t.Errorf("A's speaker WAV at %d Hz, want the device rate 48000", ra)
	}
	if got := bestLevel(xa, ra, 880); got < -30 {
		t.Errorf("A's speaker: 880 Hz at %.1f dBFS, want > -30", got)
	}
	if got := bestLevel(xa, ra, 440); got > -50 {
		t.Errorf("A's speaker: own 440 Hz at %.1f dBFS, want < -50", got)
	}
	checkNoLeaks(t)
}

// TestCodecs: each codec of the preference works end to end, and the
// answer follows the answerer's preference among the offered codecs.
func TestCodecs(t *testing.T) {
	tests := []struct {
		offer, answer []string
		want          string
	}{
		{[]string{"opus"}, nil, "opus/48000"},
		{[]string{"G722"}, nil, "G722/8000"},
		{[]string{"PCMU"}, nil, "PCMU/8000"},
		{[]string{"PCMA"}, nil, "PCMA/8000"},
		{[]string{"PCMA", "PCMU"}, []string{"PCMU", "PCMA"}, "PCMU/8000"},
		{[]string{"opus", "G722", "PCMU"}, []string{"G722", "opus"}, "G722/8000"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.offer, ",")+"→"+strings.Join(tt.answer, ","), func(t *testing.T) {
			if strings.HasPrefix(tt.want, "opus") && !codec.OpusAvailable {
				t.Skip("built without libopus (-tags noopus or no cgo)")
			}
			a := newEndpoint(t, 440, Config{}, tt.offer...)
			b := newEndpoint(t, 880, Config{}, tt.answer...)
			connect(t, a.s, b.s)
			for _, e := range []*endpoint{a, b} {
				if got := e.s.Info().Codec; got != tt.want {
					t.Errorf("Info().Codec = %q, want %q", got, tt.want)
				}
			}
			waitSpeaker(t, b.dev, "440 Hz", hears(440))
			waitSpeaker(t, a.dev, "880 Hz", hears(880))
			if in := b.s.Info(); in.MOS < 3 || in.RxLevel < -40 || in.TxLevel < -40 {
				t.Errorf("B's Info = %+v, want MOS ≥ 3 and levels above -40 dBFS", in)
			}
		})
	}
}

// TestHold: A holds B and resumes.
func TestHold(t *testing.T) {
	a := newEndpoint(t, 440, Config{})
	b := newEndpoint(t, 880, Config{})
	connect(t, a.s, b.s)
	waitSpeaker(t, b.dev, "440 Hz before hold", hears(440))
	waitSpeaker(t, a.dev, "880 Hz before hold", hears(880))
	if b.s.Info().RemoteHold || a.s.Info().RemoteHold {
		t.Fatal("RemoteHold before hold")
	}

	a.s.SetHold(true)
	offer, err := a.s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(offer), "a=sendonly") {
		t.Errorf("hold offer lacks a=sendonly:\n%s", offer)
	}
	ans, err := b.s.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans), "a=recvonly") {
		t.Errorf("answer to hold lacks a=recvonly:\n%s", ans)
	}
	if err := a.s.Accept(ans); err != nil {
		t.Fatal(err)
	}
	if !b.s.Info().RemoteHold {
		t.Error("B: RemoteHold false while A holds")
	}
	if a.s.Info().RemoteHold {
		t.Error("A: RemoteHold true, but A is the one holding")
	}
	waitSpeaker(t, b.dev, "no 440 Hz on hold", notHears(440))
	waitSpeaker(t, a.dev, "no 880 Hz on hold", notHears(880))
	// RTP keeps flowing from A (silence) so NAT bindings stay.
	before := b.s.Info().PacketsReceived
	eventually(t, "B still receiving packets on hold", func() bool { return b.s.Info().PacketsReceived > before+10 })

	a.s.SetHold(false)
	connect(t, a.s, b.s)
	if b.s.Info().RemoteHold {
		t.Error("B: RemoteHold true after resume")
	}
	waitSpeaker(t, b.dev, "440 Hz after resume", hears(440))
	waitSpeaker(t, a.dev, "880 Hz after resume", hears(880))
}

// TestDTMF: RFC 4733 digits both ways reach the notifier with their
// durations; a peer without telephone-event makes SendDTMF fail.
func TestDTMF(t *testing.T) {
	a := newEndpoint(t, 440, Config{})
	b := newEndpoint(t, 880, Config{})
	connect(t, a.s, b.s)
	if !a.s.Info().DTMF || !b.s.Info().DTMF {
		t.Fatal("telephone-event not negotiated")
	}
	send := []struct {
		from, to *endpoint
		digit    rune
		d        time.Duration
	}{
		{a, b, '5', 200 * time.Millisecond},
		{a, b, '#', 120 * time.Millisecond},
		{b, a, '9', 160 * time.Millisecond},
		{b, a, 'A', 300 * time.Millisecond},
	}
	for _, s := range send {
		if err := s.from.s.SendDTMF(s.digit, s.d); err != nil {
			t.Fatalf("SendDTMF(%c): %v", s.digit, err)
		}
	}
	for _, s := range send {
		select {
		case got := <-s.to.n.dtmf:
			if got.digit != s.digit {
				t.Errorf("got digit %c, want %c", got.digit, s.digit)
			}
			if diff := got.d - s.d; diff < -30*time.Millisecond || diff > 30*time.Millisecond {
				t.Errorf("digit %c: duration %v, want %v ± 30 ms", got.digit, got.d, s.d)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("digit %c never arrived", s.digit)
		}
	}

	// A peer offering no telephone-event.
	c := newEndpoint(t, 660, Config{})
	offer := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
	if _, err := c.s.Answer([]byte(offer)); err != nil {
		t.Fatal(err)
	}
	if c.s.Info().DTMF {
		t.Error("Info().DTMF true without telephone-event")
	}
	if err := c.s.SendDTMF('1', 0); err == nil {
		t.Error("SendDTMF without telephone-event: no error")
	}
}

// TestMute: muting stops the audio while RTP keeps flowing.
func TestMute(t *testing.T) {
	a := newEndpoint(t, 440, Config{})
	b := newEndpoint(t, 880, Config{})
	connect(t, a.s, b.s)
	waitSpeaker(t, b.dev, "440 Hz", hears(440))
	a.s.SetMute(true)
	waitSpeaker(t, b.dev, "no 440 Hz while muted", notHears(440))
	before := b.s.Info().PacketsReceived
	eventually(t, "packets while muted", func() bool { return b.s.Info().PacketsReceived > before+10 })
	if lvl := a.s.Info().TxLevel; lvl > -100 {
		t.Errorf("muted TxLevel = %.1f dBFS, want silence", lvl)
	}
	waitSpeaker(t, a.dev, "880 Hz from B while A is muted", hears(880))
	a.s.SetMute(false)
	waitSpeaker(t, b.dev, "440 Hz after unmute", hears(440))
}

// TestUnusableOffer: offers we cannot take fail with SIP status 488.
func TestUnusableOffer(t *testing.T) {
	head := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	tests := map[string]string{
		"video only": head + "m=video 40000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
		"no common":  head + "m=audio 40000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n",
		"srtp":       head + "m=audio 40000 RTP/SAVP 0\r\n",
		"garbage":    "hello",
	}
	for name, offer := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEndpoint(t, 440, Config{})
			_, err := e.s.Answer([]byte(offer))
			var st interface{ SIPStatus() int }
			if !errors.As(err, &st) || st.SIPStatus() != 488 {
				t.Fatalf("Answer error = %v, want one with SIPStatus 488", err)
			}
		})
	}
	t.Run("codec sets disjoint", func(t *testing.T) {
		a := newEndpoint(t, 440, Config{}, "PCMA")
		b := newEndpoint(t, 880, Config{}, "PCMU", "G722")
		offer, err := a.s.Offer()
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.s.Answer(offer)
		var st interface{ SIPStatus() int }
		if !errors.As(err, &st) || st.SIPStatus() != 488 || !errors.Is(err, sdp.ErrNoCommonCodec) {
			t.Fatalf("Answer error = %v, want ErrNoCommonCodec with SIPStatus 488", err)
		}
		a.s.Rollback()
		// After the rollback A can offer again.
		if _, err := a.s.Offer(); err != nil {
			t.Fatalf("Offer after Rollback: %v", err)
		}
	})
}

// TestInactivity: the peer stops sending, the notifier hears of it.
func TestInactivity(t *testing.T) {
	a := newEndpoint(t, 440, Config{RTPTimeout: 300 * time.Millisecond})
	b := newEndpoint(t, 880, Config{RTPTimeout: 300 * time.Millisecond})
	connect(t, a.s, b.s)
	eventually(t, "packets", func() bool { return b.s.Info().PacketsReceived > 5 })
	select {
	case d := <-b.n.inactive:
		t.Fatalf("Inactive(%v) while A sends", d)
	default:
	}
	a.s.Close()
	select {
	case d := <-b.n.inactive:
		if d < 300*time.Millisecond {
			t.Errorf("Inactive(%v), want ≥ 300 ms", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no Inactive after the peer stopped")
	}
}

// TestCloseReleases: Close frees the RTP and RTCP ports and every
// goroutine, and the devices close with the last session.
func TestCloseReleases(t *testing.T) {
	a := newEndpoint(t, 440, Config{})
	b := newEndpoint(t, 880, Config{})
	offer, err := a.s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if n := a.dev.inOpen.Load() + a.dev.outOpen.Load(); n != 0 {
		t.Fatalf("%d devices opened by an offer alone; want none before media", n)
	}
	ans, err := b.s.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.s.Accept(ans); err != nil {
		t.Fatal(err)
	}
	waitSpeaker(t, b.dev, "440 Hz", hears(440))
	pa, pb := sdpPort(t, offer), sdpPort(t, ans)

	for _, e := range []*endpoint{a, b} {
		if err := e.s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := e.s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	for _, p := range []int{pa, pa + 1, pb, pb + 1} {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(p))))
		if err != nil {
			t.Errorf("port %d still bound after Close: %v", p, err)
			continue
		}
		c.Close()
	}
	// The devices close once the last session is gone, without Factory.Close.
	for _, e := range []*endpoint{a, b} {
		for e.dev.inLive.Load()+e.dev.outLive.Load() > 0 {
			select {
			case <-e.dev.closed:
			case <-time.After(10 * time.Second):
				t.Fatal("devices still open after the last session closed")
			}
		}
	}
	if _, err := a.s.Offer(); !errors.Is(err, ErrClosed) {
		t.Errorf("Offer after Close: %v, want ErrClosed", err)
	}
	a.f.Close()
	b.f.Close()
	if _, err := a.f.NewSession(ua.MediaConfig{Local: loopback}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("NewSession after Factory.Close: %v, want ErrClosed", err)
	}
	checkNoLeaks(t)
}

// TestTwoActiveCalls: with two calls un-held at once, both get the
// microphone and the speaker plays both.
func TestTwoActiveCalls(t *testing.T) {
	a := newEndpoint(t, 440, Config{})
	s2, err := a.f.NewSession(ua.MediaConfig{CallID: "second", Local: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	b := newEndpoint(t, 880, Config{})
	c := newEndpoint(t, 660, Config{})
	connect(t, a.s, b.s)
	connect(t, s2, c.s)
	waitSpeaker(t, b.dev, "440 Hz at B", hears(440))
	waitSpeaker(t, c.dev, "440 Hz at C", hears(440))
	waitSpeaker(t, a.dev, "880 and 660 Hz at A", func(x []int16, rate int) bool {
		return hears(880)(x, rate) && hears(660)(x, rate)
	})
	if n := a.dev.inOpen.Load(); n != 1 {
		t.Errorf("microphone opened %d times for two calls, want 1", n)
	}
	// Holding the first call leaves the second one alone.
	a.s.SetHold(true)
	connect(t, a.s, b.s)
	waitSpeaker(t, b.dev, "no 440 Hz at B (held)", notHears(440))
	waitSpeaker(t, a.dev, "660 Hz only at A", func(x []int16, rate int) bool {
		return hears(660)(x, rate) && notHears(880)(x, rate)
	})
	waitSpeaker(t, c.dev, "440 Hz at C still", hears(440))
}

// TestRingAndRingback: tones open the speaker on demand and close it when
// they stop; closing a call's session stops its ringback.
func TestCustomRingTone(t *testing.T) {
	dev := newCapDevices(0)
	f := newFactory(t, Config{Devices: dev, RingTone: func(rate int) (audio.Source, error) {
		return audio.NewTone(rate, 1000, -12), nil
	}})
	f.Ring(true)
	waitSpeaker(t, dev, "the configured ring tone (1000 Hz)", func(x []int16, rate int) bool {
		return audio.ToneLevel(x, rate, 1000) > -25
	})
	f.Ring(false)
	waitClosed(t, dev)

	// A ring tone that cannot be opened falls back to the built-in one.
	dev2 := newCapDevices(0)
	f2 := newFactory(t, Config{Devices: dev2, RingTone: func(int) (audio.Source, error) {
		return nil, errors.New("no such file")
	}})
	f2.Ring(true)
	waitSpeaker(t, dev2, "the built-in ring tone (440+480 Hz)", func(x []int16, rate int) bool {
		return audio.ToneLevel(x, rate, 440) > -25 && audio.ToneLevel(x, rate, 480) > -25
	})
	f2.Ring(false)
	waitClosed(t, dev2)
	f.Close()
	f2.Close()
	checkNoLeaks(t)
}

func TestRingAndRingback(t *testing.T) {
	dev := newCapDevices(0)
	f := newFactory(t, Config{Devices: dev, ToneRegion: audio.RegionEU})
	f.Ring(true)
	f.Ring(true) // idempotent
	waitSpeaker(t, dev, "ring tone (440+480 Hz)", func(x []int16, rate int) bool {
		return audio.ToneLevel(x, rate, 440) > -25 && audio.ToneLevel(x, rate, 480) > -25
	})
	if dev.inOpen.Load() != 0 {
		t.Error("the ring tone opened the microphone")
	}
	f.Ring(false)
	waitClosed(t, dev)

	s, err := f.NewSession(ua.MediaConfig{CallID: "out-1", Local: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Ringback("out-1", true)
	waitSpeaker(t, dev, "EU ringback (425 Hz)", func(x []int16, rate int) bool {
		return audio.ToneLevel(x, rate, 425) > -30
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, dev)
	if got := dev.outOpen.Load(); got != 2 {
		t.Errorf("speaker opened %d times, want 2 (ring, ringback)", got)
	}
	f.Close()
	checkNoLeaks(t)
}

func waitClosed(t *testing.T, dev *capDevices) {
	t.Helper()
	for dev.inLive.Load()+dev.outLive.Load() > 0 {
		select {
		case <-dev.closed:
		case <-time.After(10 * time.Second):
			t.Fatal("device not closed")
		}
	}
}

// TestRTCPMux: a=rtcp-mux offered and accepted works end to end; an
// answer without it makes the offerer rebind the RTCP port (RFC 5761
// §5.1.1).
func TestRTCPMux(t *testing.T) {
	a := newEndpoint(t, 440, Config{RTCPMux: true})
	b := newEndpoint(t, 880, Config{})
	offer, err := a.s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(offer), "a=rtcp-mux") {
		t.Fatalf("offer lacks a=rtcp-mux:\n%s", offer)
	}
	ans, err := b.s.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans), "a=rtcp-mux") {
		t.Fatalf("answer lacks a=rtcp-mux:\n%s", ans)
	}
	if err := a.s.Accept(ans); err != nil {
		t.Fatal(err)
	}
	waitSpeaker(t, b.dev, "440 Hz over rtcp-mux", hears(440))
	waitSpeaker(t, a.dev, "880 Hz over rtcp-mux", hears(880))

	// A fresh offerer whose peer declines multiplexing.
	c := newEndpoint(t, 660, Config{RTCPMux: true})
	offer, err = c.s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	port := sdpPort(t, offer)
	peer, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	pp := peer.LocalAddr().(*net.UDPAddr).Port
	answer := "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio " + strconv.Itoa(pp) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
	if err := c.s.Accept([]byte(answer)); err != nil {
		t.Fatal(err)
	}
	// The RTCP port (RTP + 1) is now ours: binding it must fail.
	if l, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(port+1)))); err == nil {
		l.Close()
		t.Errorf("RTCP port %d not bound after a non-mux answer", port+1)
	}
	// And RTP still goes out from the advertised port.
	buf := make([]byte, 1500)
	peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, from, err := peer.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if int(from.Port()) != port && int(from.Port()) != port+1 {
		t.Errorf("RTP from port %d, want %d", from.Port(), port)
	}
}

// TestEarlyMediaThen200: a 200 OK whose SDP differs from the 183's is
// taken as the final answer to our initial offer.
func TestEarlyMediaThen200(t *testing.T) {
	a := newEndpoint(t, 440, Config{})
	b := newEndpoint(t, 880, Config{})
	offer, err := a.s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	early := "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 40002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
	if err := a.s.Accept([]byte(early)); err != nil {
		t.Fatal(err)
	}
	if got := a.s.Info().Codec; got != "PCMA/8000" {
		t.Fatalf("early media codec %q", got)
	}
	if err := a.s.Accept([]byte(early)); err != nil {
		t.Fatalf("same answer again: %v", err)
	}
	ans, err := b.s.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.s.Accept(ans); err != nil {
		t.Fatalf("final answer: %v", err)
	}
	if got, want := a.s.Info().Codec, b.s.Info().Codec; got != want {
		t.Errorf("A's codec %q after the final answer, B's %q", got, want)
	}
	waitSpeaker(t, b.dev, "440 Hz", hears(440))
	waitSpeaker(t, a.dev, "880 Hz", hears(880))
}

// TestRecording: RecordDir gets one WAV per call with both directions.
func TestRecording(t *testing.T) {
	dir := t.TempDir()
	a := newEndpoint(t, 440, Config{RecordDir: dir})
	b := newEndpoint(t, 880, Config{})
	connect(t, a.s, b.s)
	waitSpeaker(t, a.dev, "880 Hz", hears(880))
	waitSpeaker(t, b.dev, "440 Hz", hears(440))
	eventually(t, "a second of audio", func() bool { return a.s.Info().PacketsReceived > 50 })
	if err := a.s.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil || len(files) != 1 {
		t.Fatalf("recordings: %v %v, want one", files, err)
	}
	if !strings.Contains(filepath.Base(files[0]), "call-440") {
		t.Errorf("recording %s not named after the call", files[0])
	}
	x, rate := readWAV(t, files[0])
	if rate != recordRate {
		t.Errorf("recording at %d Hz, want %d", rate, recordRate)
	}
	for _, hz := range []float64{440, 880} {
		// Stereo read back as mono: each side at half amplitude (−6 dB).
		if got := bestLevel(x, rate, hz); got < -35 {
			t.Errorf("recording: %v Hz at %.1f dBFS, want > -35", hz, got)
		}
	}
	if !fileExists(files[0]) {
		t.Fatal("recording vanished")
	}
	_ = os.Remove(files[0])
}

func TestNewConfigErrors(t *testing.T) {
	bad := []Config{
		{Codecs: []string{"G729"}},
		{Ptime: 7 * time.Millisecond},
		{PortMin: 30000, PortMax: 20000},
		{DeviceRate: 1000},
	}
	for _, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v): no error", c)
		}
	}
	f := newFactory(t, Config{})
	if _, err := f.NewSession(ua.MediaConfig{Local: loopback, Codecs: []string{"speex"}}, nil); !errors.Is(err, ErrNoCodecs) {
		t.Errorf("NewSession with unknown codecs: %v, want ErrNoCodecs", err)
	}
}

// TestDeviceRateMismatch: devices that cannot give the hub's rate are
// resampled; DeviceFuncs plugs functions in as devices.
func TestDeviceRateMismatch(t *testing.T) {
	dev := newCapDevices(440)
	dev.forceRate = 44100
	fa := newFactory(t, Config{DeviceRate: 48000, Devices: DeviceFuncs{Input: dev.OpenInput, Output: dev.OpenOutput}})
	a, err := fa.NewSession(ua.MediaConfig{CallID: "a", Local: loopback, Codecs: []string{"G722"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := newEndpoint(t, 880, Config{})
	connect(t, a, b.s)
	waitSpeaker(t, b.dev, "440 Hz from a 44.1 kHz microphone", hears(440))
	waitSpeaker(t, dev, "880 Hz on a 44.1 kHz speaker", hears(880))
}

// TestNullAndBrokenDevices: Null devices carry silence; a microphone that
// fails to open leaves the call up, receiving.
func TestNullAndBrokenDevices(t *testing.T) {
	fa := newFactory(t, Config{})
	a, err := fa.NewSession(ua.MediaConfig{CallID: "null", Local: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	spk := newCapDevices(0)
	fb := newFactory(t, Config{Devices: DeviceFuncs{
		Input:  func(int) (audio.Source, error) { return nil, errors.New("no microphone here") },
		Output: spk.OpenOutput,
	}})
	b, err := fb.NewSession(ua.MediaConfig{CallID: "broken", Local: loopback}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	connect(t, a, b)
	eventually(t, "packets both ways", func() bool {
		return a.Info().PacketsReceived > 10 && b.Info().PacketsReceived > 10
	})
	if in := b.Info(); in.RxLevel > -80 || in.TxLevel > -100 {
		t.Errorf("levels %.1f/%.1f dBFS, want silence both ways", in.RxLevel, in.TxLevel)
	}
	waitSpeaker(t, spk, "silence", func(x []int16, _ int) bool { return audio.DBFS(audio.RMS(x)) < -80 })
}

// TestPublicAddress: the SDP advertises MediaConfig.Public when set, while
// RTP binds to Local.
func TestPublicAddress(t *testing.T) {
	f := newFactory(t, Config{})
	s, err := f.NewSession(ua.MediaConfig{CallID: "nat", Local: loopback, Public: netip.MustParseAddr("192.0.2.7")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	offer, err := s.Offer()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(offer), "c=IN IP4 192.0.2.7") || strings.Contains(string(offer), "127.0.0.1") {
		t.Errorf("offer does not advertise the public address only:\n%s", offer)
	}
	port := sdpPort(t, offer)
	if l, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, uint16(port)))); err == nil {
		l.Close()
		t.Errorf("RTP port %d not bound on the local address", port)
	}
}
