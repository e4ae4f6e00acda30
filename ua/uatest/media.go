// Package uatest holds test helpers for the ua engine and its users: a fake
// MediaFactory that speaks plausible SDP without any RTP, and a small
// scripted registrar/proxy/presence server built on sipcore.
//
// It is for tests only (main's tests and the UI may reuse it). It imports
// ua and sipcore; nothing outside tests may import it.
package uatest

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/teaphone/teaphone/ua"
)

// Media is a fake ua.MediaFactory. Sessions produce valid SDP text (RFC
// 4566) with the chosen codec and a direction reflecting hold, negotiate
// by looking at the peer's SDP, and record what the engine asked of them.
type Media struct {
	// Codec is the codec offered and accepted ("PCMU/8000" by default;
	// "PCMA/8000", "G722/8000" or "opus/48000/2" are the other choices).
	Codec string
	// NoDTMF leaves telephone-event out (RFC 4733 then fails and the
	// engine falls back to INFO).
	NoDTMF bool
	// FailNew makes NewSession fail.
	FailNew bool

	mu       sync.Mutex
	sessions map[string]*Session
	order    []*Session
}

func payloadType(codec string) string {
	switch codec {
	case "PCMU/8000":
		return "0"
	case "PCMA/8000":
		return "8"
	case "G722/8000":
		return "9"
	case "opus/48000/2":
		return "111"
	}
	return "96"
}

// NewSession implements ua.MediaFactory.
func (m *Media) NewSession(cfg ua.MediaConfig, n ua.MediaNotifier) (ua.MediaSession, error) {
	if m.FailNew {
		return nil, errors.New("fake media: no audio device")
	}
	codec := m.Codec
	if codec == "" {
		codec = "PCMU/8000"
	}
	s := &Session{cfg: cfg, notify: n, codec: codec, dtmf: !m.NoDTMF, id: 1000 + len(m.order)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sessions == nil {
		m.sessions = map[string]*Session{}
	}
	m.sessions[cfg.CallID] = s
	m.order = append(m.order, s)
	return s, nil
}

// Session returns the session made for the engine's call ID (nil if none).
func (m *Media) Session(callID string) *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[callID]
}

// Sessions returns every session made so far, oldest first.
func (m *Media) Sessions() []*Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Session(nil), m.order...)
}

// Session is one fake media session.
type Session struct {
	cfg    ua.MediaConfig
	notify ua.MediaNotifier
	codec  string
	dtmf   bool
	id     int

	mu         sync.Mutex
	version    int
	hold       bool
	mute       bool
	remoteHold bool
	negotiated bool
	peerDTMF   bool
	pending    bool
	closed     bool
	sent       []rune
	remoteSDPs []string
}

func (s *Session) sdp(dir string) []byte {
	s.version++
	pt := payloadType(s.codec)
	ip := s.cfg.Local
	if !ip.IsValid() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	fam := "IP4"
	if ip.Is6() {
		fam = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=- %d %d IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n", s.id, s.version, fam, ip, fam, ip)
	fmts := pt
	if s.dtmf {
		fmts += " 101"
	}
	fmt.Fprintf(&b, "m=audio %d RTP/AVP %s\r\n", 40000+(2*s.id)%1000, fmts)
	fmt.Fprintf(&b, "a=rtpmap:%s %s\r\n", pt, s.codec)
	if s.dtmf {
		b.WriteString("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n")
	}
	fmt.Fprintf(&b, "a=%s\r\n", dir)
	return []byte(b.String())
}

// parsed is what the fake reads from a peer's SDP.
type parsed struct {
	dir    string
	codecs []string
	dtmf   bool
	zero   bool
}

func parse(b []byte) (parsed, error) {
	p := parsed{dir: "sendrecv"}
	text := string(b)
	if !strings.HasPrefix(text, "v=0") {
		return p, errors.New("fake media: not SDP")
	}
	audio := false
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "m=audio "):
			audio = true
		case strings.HasPrefix(l, "a=rtpmap:"):
			_, enc, _ := strings.Cut(l, " ")
			if strings.HasPrefix(strings.ToLower(enc), "telephone-event") {
				p.dtmf = true
			} else {
				p.codecs = append(p.codecs, enc)
			}
		case l == "a=sendonly" || l == "a=recvonly" || l == "a=inactive" || l == "a=sendrecv":
			p.dir = l[2:]
		case strings.HasPrefix(l, "c=IN IP4 0.0.0.0"):
			p.zero = true
		}
	}
	if !audio {
		return p, errors.New("fake media: no audio stream")
	}
	return p, nil
}

func (s *Session) common(p parsed) bool {
	for _, c := range p.codecs {
		if strings.EqualFold(c, s.codec) {
			return true
		}
	}
	return false
}

func (s *Session) ourDir(peerHolds bool) string {
	switch {
	case s.hold && peerHolds:
		return "inactive"
	case s.hold:
		return "sendonly"
	case peerHolds:
		return "recvonly"
	}
	return "sendrecv"
}

// Offer implements ua.MediaSession.
func (s *Session) Offer() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = true
	dir := "sendrecv"
	if s.hold {
		dir = "sendonly"
	}
	return s.sdp(dir), nil
}

// Answer implements ua.MediaSession.
func (s *Session) Answer(offer []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := parse(offer)
	if err != nil {
		return nil, err
	}
	if !s.common(p) {
		return nil, fmt.Errorf("fake media: no common codec (have %s)", s.codec)
	}
	s.remoteSDPs = append(s.remoteSDPs, string(offer))
	s.remoteHold = p.dir == "sendonly" || p.dir == "inactive" || p.zero
	s.peerDTMF = p.dtmf
	s.negotiated = true
	return s.sdp(s.ourDir(s.remoteHold)), nil
}

// Accept implements ua.MediaSession.
func (s *Session) Accept(answer []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := parse(answer)
	if err != nil {
		return err
	}
	if !s.common(p) {
		return fmt.Errorf("fake media: answer without %s", s.codec)
	}
	s.remoteSDPs = append(s.remoteSDPs, string(answer))
	s.remoteHold = p.dir == "sendonly" || p.dir == "inactive" || p.zero
	if s.hold && p.dir == "inactive" {
		// inactive answering our sendonly: they hold us too only if they said so
		s.remoteHold = true
	}
	if s.hold && p.dir == "recvonly" {
		s.remoteHold = false
	}
	s.peerDTMF = p.dtmf
	s.pending = false
	s.negotiated = true
	return nil
}

// Rollback implements ua.MediaSession.
func (s *Session) Rollback() {
	s.mu.Lock()
	s.pending = false
	s.mu.Unlock()
}

// SetHold implements ua.MediaSession.
func (s *Session) SetHold(on bool) { s.mu.Lock(); s.hold = on; s.mu.Unlock() }

// SetMute implements ua.MediaSession.
func (s *Session) SetMute(on bool) { s.mu.Lock(); s.mute = on; s.mu.Unlock() }

// SendDTMF implements ua.MediaSession: it records the digit, or fails when
// telephone-event was not negotiated.
func (s *Session) SendDTMF(digit rune, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dtmf || !s.peerDTMF {
		return errors.New("fake media: telephone-event not negotiated")
	}
	s.sent = append(s.sent, digit)
	return nil
}

// Info implements ua.MediaSession.
func (s *Session) Info() ua.MediaInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := ua.MediaInfo{RemoteHold: s.remoteHold, DTMF: s.dtmf && s.peerDTMF}
	if s.negotiated {
		i.Codec = s.codec
		i.MOS = 4.3
		i.PacketsSent, i.PacketsReceived = 50, 50
	}
	return i
}

// Close implements ua.MediaSession.
func (s *Session) Close() error { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }

// DTMFSent returns the digits sent by RFC 4733.
func (s *Session) DTMFSent() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.sent)
}

// Closed reports whether the engine closed the session.
func (s *Session) Closed() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.closed }

// Held reports the hold state the engine set.
func (s *Session) Held() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.hold }

// Muted reports the mute state the engine set.
func (s *Session) Muted() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.mute }

// RemoteSDPs returns the peer SDPs the session was given, in order.
func (s *Session) RemoteSDPs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.remoteSDPs...)
}

// ReceiveDTMF simulates an RFC 4733 digit arriving from the peer.
func (s *Session) ReceiveDTMF(digit rune, d time.Duration) { s.notify.DTMF(digit, d) }

// StopRTP simulates RTP inactivity for `since`.
func (s *Session) StopRTP(since time.Duration) { s.notify.Inactive(since) }
