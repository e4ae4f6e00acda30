package sdp

import (
	"errors"
	"strings"
	"testing"
)

// answerSDP builds an answer with the given m= sections after a standard
// session part from 198.51.100.2.
func answerSDP(media ...string) []byte {
	s := "v=0\r\no=- 5 5 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 198.51.100.2\r\nt=0 0\r\n"
	for _, m := range media {
		s += strings.ReplaceAll(m, "\n", "\r\n")
	}
	return []byte(s)
}

func TestProcessAnswer(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*Config)
		dir     Direction // our direction when offering
		answer  []byte
		wantErr error
		codec   string
		dtmfPT  uint8
		dir2    Direction // resulting direction
		remote  string
		rtcp    string
		ptime   int
		mux     bool
		hold    bool
		recv    string
	}{
		{name: "pcmu", answer: answerSDP("m=audio 5000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\n"),
			codec: "0 PCMU/8000", dtmfPT: 101, dir2: SendRecv, remote: "198.51.100.2:5000", rtcp: "198.51.100.2:5001", ptime: 20,
			recv: "0 PCMU/8000,101 telephone-event/8000"},
		// RFC 3264 §7: the first answered format we offered wins.
		{name: "first offered", answer: answerSDP("m=audio 5000 RTP/AVP 18 8 0\n"),
			codec: "8 PCMA/8000", dir2: SendRecv, remote: "198.51.100.2:5000", ptime: 20, recv: "8 PCMA/8000,0 PCMU/8000"},
		// The answerer's own payload type for opus is what we send with.
		{name: "opus remapped", answer: answerSDP("m=audio 5000 RTP/AVP 102 110\na=rtpmap:102 opus/48000/2\na=fmtp:102 maxplaybackrate=16000\na=rtpmap:110 telephone-event/48000\na=ptime:40\n"),
			codec: "102 opus/48000/2", dtmfPT: 110, dir2: SendRecv, remote: "198.51.100.2:5000", ptime: 40,
			recv: "111 opus/48000/2,110 telephone-event/48000"},
		{name: "freeswitch early media", answer: readTestdata(t, "answer-freeswitch-183.sdp"),
			codec: "0 PCMU/8000", dtmfPT: 101, dir2: SendRecv, remote: "198.51.100.60:16384", rtcp: "198.51.100.60:16385", ptime: 20},
		{name: "rtcp-mux accepted", mod: func(c *Config) { c.RTCPMux = true },
			answer: answerSDP("m=audio 5000 RTP/AVP 0\na=rtcp-mux\n"),
			codec:  "0 PCMU/8000", dir2: SendRecv, remote: "198.51.100.2:5000", rtcp: "198.51.100.2:5000", ptime: 20, mux: true},
		{name: "rtcp-mux declined", mod: func(c *Config) { c.RTCPMux = true },
			answer: answerSDP("m=audio 5000 RTP/AVP 0\n"),
			codec:  "0 PCMU/8000", dir2: SendRecv, remote: "198.51.100.2:5000", rtcp: "198.51.100.2:5001", ptime: 20},
		{name: "rtcp-mux not offered", answer: answerSDP("m=audio 5000 RTP/AVP 0\na=rtcp-mux\n"),
			codec: "0 PCMU/8000", dir2: SendRecv, remote: "198.51.100.2:5000", rtcp: "198.51.100.2:5001", ptime: 20},
		{name: "our hold answered recvonly", dir: SendOnly, answer: answerSDP("m=audio 5000 RTP/AVP 0\na=recvonly\n"),
			codec: "0 PCMU/8000", dir2: SendOnly, remote: "198.51.100.2:5000", ptime: 20},
		{name: "our hold answered inactive", dir: SendOnly, answer: answerSDP("m=audio 5000 RTP/AVP 0\na=inactive\n"),
			codec: "0 PCMU/8000", dir2: Inactive, remote: "198.51.100.2:5000", ptime: 20, hold: true},
		{name: "answer sendonly", answer: answerSDP("m=audio 5000 RTP/AVP 0\na=sendonly\n"),
			codec: "0 PCMU/8000", dir2: RecvOnly, remote: "198.51.100.2:5000", ptime: 20, hold: true},
		// RFC 3264 §8.4: c=0.0.0.0 in the answer.
		{name: "legacy hold answer", answer: []byte("v=0\r\no=- 5 6 IN IP4 198.51.100.2\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"),
			codec: "0 PCMU/8000", dir2: RecvOnly, remote: "0.0.0.0:5000", ptime: 20, hold: true},
		{name: "maxptime caps ptime", mod: func(c *Config) { c.Ptime = 40 }, answer: answerSDP("m=audio 5000 RTP/AVP 0\na=maxptime:30\n"),
			codec: "0 PCMU/8000", dir2: SendRecv, remote: "198.51.100.2:5000", ptime: 30},
		{name: "rejected", answer: answerSDP("m=audio 0 RTP/AVP 0\n"), wantErr: ErrNoCommonCodec},
		{name: "nothing we offered", answer: answerSDP("m=audio 5000 RTP/AVP 18\n"), wantErr: ErrNoCommonCodec},
		{name: "too many m= lines", answer: answerSDP("m=audio 5000 RTP/AVP 0\n", "m=video 0 RTP/AVP 31\n"), wantErr: ErrBadAnswer},
		{name: "wrong media type", answer: answerSDP("m=video 5000 RTP/AVP 31\n"), wantErr: ErrBadAnswer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNegotiator(t, tc.mod)
			if tc.dir != 0 {
				n.SetDirection(tc.dir)
			}
			if _, err := n.Offer(); err != nil {
				t.Fatal(err)
			}
			m, err := n.ProcessAnswer(tc.answer)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ProcessAnswer err = %v, want %v", err, tc.wantErr)
				}
				if !n.Pending() {
					t.Errorf("failed answer cleared the pending offer")
				}
				return
			}
			if err != nil {
				t.Fatalf("ProcessAnswer: %v", err)
			}
			if n.Pending() {
				t.Errorf("still pending after the answer")
			}
			if got := m.Codec.String(); got != tc.codec {
				t.Errorf("Codec = %s, want %s", got, tc.codec)
			}
			if m.DTMF.PT != tc.dtmfPT {
				t.Errorf("DTMF = %v, want PT %d", m.DTMF, tc.dtmfPT)
			}
			if m.Direction != tc.dir2 {
				t.Errorf("Direction = %v, want %v", m.Direction, tc.dir2)
			}
			if m.RemoteAddr.String() != tc.remote {
				t.Errorf("RemoteAddr = %s, want %s", m.RemoteAddr, tc.remote)
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
			if tc.recv != "" {
				var got []string
				for _, f := range m.Recv {
					got = append(got, f.String())
				}
				if strings.Join(got, ",") != tc.recv {
					t.Errorf("Recv = %s, want %s", strings.Join(got, ","), tc.recv)
				}
			}
		})
	}
}
