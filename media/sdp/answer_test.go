package sdp

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const localPort = 4000

func testConfig() Config {
	return Config{
		Addr:      netip.MustParseAddr("192.0.2.1"),
		Port:      localPort,
		Codecs:    []Format{PCMU(), PCMA(), G722(), Opus(0, "useinbandfec=1")},
		SessionID: 99,
	}
}

func newTestNegotiator(t *testing.T, mod func(*Config)) *Negotiator {
	t.Helper()
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	n, err := NewNegotiator(cfg)
	if err != nil {
		t.Fatalf("NewNegotiator: %v", err)
	}
	return n
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answerCase: one offer and what the answer must say. Ports lists the m=
// ports of the answer: localPort for the accepted stream, 0 for rejected.
type answerCase struct {
	file      string
	cfg       func(*Config)
	dir       Direction // local direction (SetDirection), 0 = sendrecv
	wantErr   error
	errHas    string // substring of the error text
	codec     string // Format.String() of Media.Codec
	dtmfPT    uint8
	direction Direction
	remote    string
	rtcp      string
	ports     []int
	ptime     int
	mux       bool
	hold      bool
	answerDir string // direction attribute of the accepted m= line
}

func opusFirst(c *Config) { c.Codecs = []Format{Opus(0, "useinbandfec=1"), PCMU(), PCMA()} }

func answerCases() []answerCase {
	return []answerCase{
		// RFC 3264 §10.1 style: audio + video, video rejected with port 0.
		{file: "rfc3264-audio-video.sdp", codec: "0 PCMU/8000", direction: SendRecv,
			remote: "192.0.2.10:49170", rtcp: "192.0.2.10:49171", ports: []int{localPort, 0}, ptime: 20, answerDir: "sendrecv"},
		// G.729 and G.723 first: PCMU is the only codec in common.
		{file: "rfc3264-g729-first.sdp", codec: "0 PCMU/8000", direction: SendRecv,
			remote: "192.0.2.20:62986", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// RFC 4317 §2.4: two audio streams; only the first is used.
		{file: "rfc4317-two-audio.sdp", codec: "0 PCMU/8000", direction: SendRecv,
			remote: "192.0.2.10:49170", ports: []int{localPort, 0}, ptime: 20, answerDir: "sendrecv"},
		// RFC 4317 §2.6: audio with telephone-event on PT 98.
		{file: "rfc4317-audio-te.sdp", codec: "0 PCMU/8000", dtmfPT: 98, direction: SendRecv,
			remote: "192.0.2.10:49170", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// RFC 4317 §2.x: video only is not acceptable to a phone.
		{file: "rfc4317-video-only.sdp", wantErr: ErrNoCommonCodec, errHas: "video stream not supported"},
		// RFC 4317 §3.1: hold with a=sendonly, answered recvonly.
		{file: "rfc4317-hold.sdp", codec: "0 PCMU/8000", direction: RecvOnly, hold: true,
			remote: "192.0.2.10:49170", ports: []int{localPort}, ptime: 20, answerDir: "recvonly"},
		// RFC 4317 §3.2: hold with two streams.
		{file: "rfc4317-hold-two-streams.sdp", codec: "0 PCMU/8000", direction: RecvOnly, hold: true,
			remote: "192.0.2.10:49170", ports: []int{localPort, 0}, ptime: 20, answerDir: "recvonly"},
		// Cisco: media-level c= overrides the session one; X- attributes.
		{file: "cisco-cucm.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: SendRecv,
			remote: "198.51.100.77:17320", rtcp: "198.51.100.77:17321", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// Polycom: G722 first; our order (PCMU first) wins...
		{file: "polycom.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: SendRecv,
			remote: "203.0.113.21:2222", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// ...unless the user put G722 first.
		{file: "polycom.sdp", cfg: func(c *Config) { c.Codecs = []Format{G722(), PCMU()} },
			codec: "9 G722/8000", dtmfPT: 101, direction: SendRecv,
			remote: "203.0.113.21:2222", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// Yealink: a=rtcp with its own address (RFC 3605).
		{file: "yealink.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: SendRecv,
			remote: "192.0.2.30:11810", rtcp: "192.0.2.31:11813", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// Grandstream: LF only, trailing blanks, ptime 30, a=rtcp port only.
		{file: "grandstream.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: SendRecv,
			remote: "192.0.2.40:5004", rtcp: "192.0.2.40:5005", ports: []int{localPort}, ptime: 30, answerDir: "sendrecv"},
		// Asterisk: session-level direction, ptime 40 within maxptime 150.
		{file: "asterisk.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: SendRecv,
			remote: "203.0.113.9:10000", ports: []int{localPort}, ptime: 40, answerDir: "sendrecv"},
		// Asterisk music-on-hold: session-level a=sendonly.
		{file: "asterisk-moh-hold.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: RecvOnly, hold: true,
			remote: "203.0.113.9:10000", ports: []int{localPort}, ptime: 20, answerDir: "recvonly"},
		// Linphone: opus first, telephone-event at 48000/16000/8000, rtcp-mux.
		{file: "linphone.sdp", codec: "0 PCMU/8000", dtmfPT: 100, direction: SendRecv, mux: true,
			remote: "192.0.2.50:7078", rtcp: "192.0.2.50:7078", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		{file: "linphone.sdp", cfg: opusFirst, codec: "96 opus/48000/2", dtmfPT: 101, direction: SendRecv, mux: true,
			remote: "192.0.2.50:7078", rtcp: "192.0.2.50:7078", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// baresip over IPv6 with opus and rtcp-mux.
		{file: "baresip-ipv6.sdp", cfg: opusFirst, codec: "96 opus/48000/2", dtmfPT: 101, direction: SendRecv, mux: true,
			remote: "[2001:db8::5]:10000", rtcp: "[2001:db8::5]:10000", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// FreeSWITCH: opus on PT 102, a=silenceSupp, a=rtcp.
		{file: "freeswitch-offer.sdp", cfg: opusFirst, codec: "102 opus/48000/2", dtmfPT: 101, direction: SendRecv,
			remote: "198.51.100.60:16384", rtcp: "198.51.100.60:16385", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// WebRTC: UDP/TLS/RTP/SAVPF must be refused (488).
		{file: "webrtc-savpf.sdp", wantErr: ErrNoCommonCodec, errHas: "UDP/TLS/RTP/SAVPF not supported"},
		// SDES-SRTP only: refused.
		{file: "srtp-savp.sdp", wantErr: ErrNoCommonCodec, errHas: "RTP/SAVP not supported"},
		// Best-effort SRTP (SAVP + AVP copies): the AVP copy is taken.
		{file: "best-effort-srtp.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: SendRecv,
			remote: "192.0.2.70:20002", ports: []int{0, localPort}, ptime: 20, answerDir: "sendrecv"},
		// RFC 2543 hold: c=0.0.0.0 is read as sendonly (RFC 3264 §8.4).
		{file: "legacy-hold.sdp", codec: "0 PCMU/8000", direction: RecvOnly, hold: true,
			remote: "0.0.0.0:49172", ports: []int{localPort}, ptime: 20, answerDir: "recvonly"},
		// Video first, then audio: order and count kept.
		{file: "video-first.sdp", codec: "8 PCMA/8000", dtmfPT: 101, direction: SendRecv,
			remote: "192.0.2.90:9002", ports: []int{0, localPort}, ptime: 20, answerDir: "sendrecv"},
		// Disabled audio stream followed by a live one.
		{file: "audio-port0-then-audio.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: SendRecv,
			remote: "192.0.2.90:9004", ports: []int{0, localPort}, ptime: 20, answerDir: "sendrecv"},
		{file: "audio-port0.sdp", wantErr: ErrNoCommonCodec, errHas: "port 0"},
		{file: "no-common-codec.sdp", wantErr: ErrNoCommonCodec, errHas: "G729/8000"},
		{file: "t38-reinvite.sdp", wantErr: ErrNoCommonCodec, errHas: "image stream not supported"},
		{file: "audio-and-t38.sdp", codec: "0 PCMU/8000", direction: SendRecv,
			remote: "192.0.2.91:6000", ports: []int{localPort, 0}, ptime: 20, answerDir: "sendrecv"},
		// Sloppy: c= first, o= and s= missing, upper case, junk lines, duplicates.
		{file: "sloppy-order.sdp", codec: "0 PCMU/8000", dtmfPT: 101, direction: SendRecv,
			remote: "192.0.2.100:7000", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// pion/sdp#163: c= after t=, and session lines after m=.
		{file: "lucent-c-after-t.sdp", codec: "8 PCMA/8000", direction: SendRecv,
			remote: "192.0.2.101:7002", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
		// Opus in upper case on an odd PT; telephone-event/48000 only.
		{file: "opus-odd-pt.sdp", cfg: opusFirst, codec: "109 opus/48000/2", dtmfPT: 110, direction: SendRecv,
			remote: "192.0.2.102:7004", ports: []int{localPort, 0}, ptime: 20, answerDir: "sendrecv"},
		{file: "fqdn.sdp", wantErr: ErrNoCommonCodec, errHas: "no usable connection address"},
		// RFC 3264 §6.1 direction table.
		{file: "recvonly.sdp", codec: "0 PCMU/8000", direction: SendOnly,
			remote: "192.0.2.110:8000", ports: []int{localPort}, ptime: 20, answerDir: "sendonly"},
		{file: "inactive.sdp", codec: "0 PCMU/8000", direction: Inactive, hold: true,
			remote: "192.0.2.110:8000", ports: []int{localPort}, ptime: 20, answerDir: "inactive"},
		// Our own hold combined with theirs.
		{file: "rfc4317-audio-te.sdp", dir: SendOnly, codec: "0 PCMU/8000", dtmfPT: 98, direction: SendOnly,
			remote: "192.0.2.10:49170", ports: []int{localPort}, ptime: 20, answerDir: "sendonly"},
		{file: "rfc4317-hold.sdp", dir: SendOnly, codec: "0 PCMU/8000", direction: Inactive, hold: true,
			remote: "192.0.2.10:49170", ports: []int{localPort}, ptime: 20, answerDir: "inactive"},
		// RTP/AVPF is answered like AVP, keeping the profile.
		{file: "avpf.sdp", codec: "0 PCMU/8000", direction: SendRecv,
			remote: "192.0.2.111:8002", ports: []int{localPort}, ptime: 20, answerDir: "sendrecv"},
	}
}

func TestAnswerPhones(t *testing.T) {
	for _, tc := range answerCases() {
		name := strings.TrimSuffix(tc.file, ".sdp")
		if tc.cfg != nil || tc.dir != 0 {
			name += "/custom"
		}
		t.Run(name, func(t *testing.T) {
			n := newTestNegotiator(t, tc.cfg)
			if tc.dir != 0 {
				n.SetDirection(tc.dir)
			}
			offer := readTestdata(t, tc.file)
			ans, m, err := n.Answer(offer)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Answer err = %v, want %v", err, tc.wantErr)
				}
				var ne *NegotiationError
				if !errors.As(err, &ne) || ne.SIPStatus() != 488 {
					t.Fatalf("Answer err = %#v, want *NegotiationError with 488", err)
				}
				if !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("Answer err = %q, want it to mention %q", err, tc.errHas)
				}
				if ans != nil || n.LocalSDP() != nil {
					t.Errorf("failed Answer produced SDP")
				}
				return
			}
			if err != nil {
				t.Fatalf("Answer: %v", err)
			}
			if got := m.Codec.String(); got != tc.codec {
				t.Errorf("Codec = %q, want %q", got, tc.codec)
			}
			if m.DTMF.PT != tc.dtmfPT || m.HasDTMF() != (tc.dtmfPT != 0) {
				t.Errorf("DTMF = %v (has %v), want PT %d", m.DTMF, m.HasDTMF(), tc.dtmfPT)
			}
			if m.Direction != tc.direction {
				t.Errorf("Direction = %v, want %v", m.Direction, tc.direction)
			}
			if got := m.RemoteAddr.String(); got != tc.remote {
				t.Errorf("RemoteAddr = %s, want %s", got, tc.remote)
			}
			if tc.rtcp != "" && m.RemoteRTCP.String() != tc.rtcp {
				t.Errorf("RemoteRTCP = %s, want %s", m.RemoteRTCP, tc.rtcp)
			}
			if m.Ptime != tc.ptime {
				t.Errorf("Ptime = %d, want %d", m.Ptime, tc.ptime)
			}
			if m.RTCPMux != tc.mux {
				t.Errorf("RTCPMux = %v, want %v", m.RTCPMux, tc.mux)
			}
			if m.RemoteHold != tc.hold {
				t.Errorf("RemoteHold = %v, want %v", m.RemoteHold, tc.hold)
			}
			if len(m.Recv) == 0 || m.Recv[0] != m.Codec && m.Recv[0].PT != m.Codec.PT {
				t.Errorf("Recv = %v, want it to start with the codec %v", m.Recv, m.Codec)
			}

			// The answer itself: same m= count and order, rejected streams
			// at port 0, chosen codec first, direction written.
			sd, err := Parse(ans)
			if err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, ans)
			}
			off, _ := Parse(offer)
			if len(sd.MediaDescriptions) != len(off.MediaDescriptions) {
				t.Fatalf("answer has %d m= lines, offer %d", len(sd.MediaDescriptions), len(off.MediaDescriptions))
			}
			for i, md := range sd.MediaDescriptions {
				if md.MediaName.Media != off.MediaDescriptions[i].MediaName.Media {
					t.Errorf("m=%d media = %s, want %s", i, md.MediaName.Media, off.MediaDescriptions[i].MediaName.Media)
				}
				if md.MediaName.Port.Value != tc.ports[i] {
					t.Errorf("m=%d port = %d, want %d", i, md.MediaName.Port.Value, tc.ports[i])
				}
				if md.MediaName.Port.Value == 0 {
					continue
				}
				st := readStream(sd, md)
				if st.formats[0].PT != m.Codec.PT || !st.formats[0].Same(m.Codec) {
					t.Errorf("answer's first format = %v, want %v", st.formats[0], m.Codec)
				}
				if st.dir.String() != tc.answerDir {
					t.Errorf("answer direction = %v, want %s", st.dir, tc.answerDir)
				}
				if st.rtcpMux != tc.mux {
					t.Errorf("answer a=rtcp-mux = %v, want %v", st.rtcpMux, tc.mux)
				}
				var dtmf []Format
				for _, f := range st.formats {
					if f.IsDTMF() {
						dtmf = append(dtmf, f)
					}
				}
				if tc.dtmfPT != 0 && (len(dtmf) == 0 || !containsFormat(dtmf, m.DTMF)) {
					t.Errorf("answer telephone-event = %v, want PT %d in it", dtmf, tc.dtmfPT)
				}
				if tc.dtmfPT == 0 && len(dtmf) != 0 {
					t.Errorf("answer lists telephone-event %v the offer lacked", dtmf)
				}
			}
			if !strings.Contains(string(ans), "\r\nc=IN IP4 192.0.2.1\r\n") {
				t.Errorf("answer lacks our c= line:\n%s", ans)
			}
		})
	}
}

// TestAnswerCodecOrder: the answer lists every common codec in our order
// with the offerer's payload type numbers (RFC 3264 §6.1).
func TestAnswerCodecOrder(t *testing.T) {
	n := newTestNegotiator(t, func(c *Config) {
		c.Codecs = []Format{G722(), Opus(0, "useinbandfec=1"), PCMA(), PCMU()}
	})
	ans, m, err := n.Answer(readTestdata(t, "freeswitch-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans), "m=audio 4000 RTP/AVP 9 102 8 0 101\r\n") {
		t.Errorf("answer m= line wrong:\n%s", ans)
	}
	if !strings.Contains(string(ans), "a=fmtp:102 useinbandfec=1\r\n") {
		t.Errorf("answer lacks our opus fmtp:\n%s", ans)
	}
	var got []string
	for _, f := range m.Recv {
		got = append(got, f.String())
	}
	want := "9 G722/8000,102 opus/48000/2,8 PCMA/8000,0 PCMU/8000,101 telephone-event/8000"
	if strings.Join(got, ",") != want {
		t.Errorf("Recv = %s, want %s", strings.Join(got, ","), want)
	}

	single := newTestNegotiator(t, func(c *Config) { c.SingleCodecAnswer = true })
	ans, _, err = single.Answer(readTestdata(t, "freeswitch-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans), "m=audio 4000 RTP/AVP 0 101\r\n") {
		t.Errorf("single-codec answer m= line wrong:\n%s", ans)
	}
}

func TestAnswerNoDTMF(t *testing.T) {
	n := newTestNegotiator(t, func(c *Config) { c.NoDTMF = true })
	ans, m, err := n.Answer(readTestdata(t, "polycom.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if m.HasDTMF() || strings.Contains(string(ans), "telephone-event") {
		t.Errorf("NoDTMF answer has telephone-event: %v\n%s", m.DTMF, ans)
	}
}

func TestAnswerParseError(t *testing.T) {
	n := newTestNegotiator(t, nil)
	raw := []byte("this is not sdp\r\n")
	_, _, err := n.Answer(raw)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Raw != string(raw) || pe.SIPStatus() != 488 {
		t.Fatalf("Answer(garbage) err = %#v, want *ParseError keeping the raw text", err)
	}
	if !errors.Is(err, ErrNotSDP) {
		t.Errorf("err = %v, want ErrNotSDP", err)
	}
}
