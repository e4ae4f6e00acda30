package callmedia

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
	"github.com/teaphone/teaphone/media/rtpsession"
	"github.com/teaphone/teaphone/media/sdp"
	"github.com/teaphone/teaphone/ua"
)

// recordRate is the sample rate of call recordings.
const recordRate = 16000

// session implements ua.MediaSession: one call's SDP negotiator, RTP
// session and hub port.
//
// Lifecycle: NewSession allocates nothing. The first Offer or Answer binds
// the RTP socket(s) (an rtpsession.Session that starts inactive, with the
// preferred codec, no remote) and builds the sdp.Negotiator with its port.
// Every Answer or Accept that yields an sdp.Media applies it to the RTP
// session (codec, remote, direction) and attaches the port to the hub,
// which opens the devices if they were closed. Close undoes all of it.
type session struct {
	f      *Factory
	cfg    ua.MediaConfig
	notify ua.MediaNotifier
	codecs []sdp.Format
	log    *slog.Logger

	mu         sync.Mutex
	closed     bool
	neg        *sdp.Negotiator
	rtp        *rtpsession.Session
	mux        bool // socket layout of rtp: one socket (RFC 5761) or two
	port       *port
	attached   bool
	media      sdp.Media
	haveMedia  bool
	codec      codec.Codec
	hold, mute bool
	// Answer to our initial offer, for a 200 OK whose SDP differs from
	// the early-media answer already accepted (RFC 3261 §13.2.1 allows
	// an unreliable 183's SDP to be a preview).
	initialOffer  bool
	firstAccepted []byte
	rec           *audio.Recorder
}

var _ ua.MediaSession = (*session)(nil)

// ensureRTP binds the RTP socket(s) with the given layout and builds the
// negotiator, once. Called with mu held.
func (s *session) ensureRTP(mux bool) error {
	if s.closed {
		return ErrClosed
	}
	if s.rtp != nil {
		return nil
	}
	if err := s.newRTP(mux, 0); err != nil {
		return err
	}
	if s.neg != nil {
		// The socket was lost (a failed rebind): move the stream.
		return s.neg.SetLocal(s.neg.Config().Addr, int(s.rtp.LocalAddr().Port()))
	}
	addr := s.cfg.Local
	if s.cfg.Public.IsValid() {
		addr = s.cfg.Public
	}
	if !addr.IsValid() {
		addr = s.rtp.LocalAddr().Addr()
	}
	neg, err := sdp.NewNegotiator(sdp.Config{
		Addr:    addr,
		Port:    int(s.rtp.LocalAddr().Port()),
		Codecs:  s.codecs,
		Ptime:   int(s.f.cfg.Ptime / time.Millisecond),
		RTCPMux: s.f.cfg.RTCPMux,
	})
	if err != nil {
		s.closeRTP()
		return fmt.Errorf("callmedia: %w", err)
	}
	s.neg = neg
	return nil
}

// newRTP creates the RTP session (port 0: any in the configured range) and
// its hub port. Called with mu held.
func (s *session) newRTP(mux bool, port int) error {
	bind := s.f.cfg.BindAddr
	if !bind.IsValid() {
		bind = s.cfg.Local
	}
	c := s.codec
	if c == nil {
		f := s.codecs[0]
		var ok bool
		if c, ok = codec.Lookup(f.Name, f.Clock, f.Channels); !ok {
			return fmt.Errorf("%w: %s", ErrNoCodecs, f.String())
		}
	}
	pmin, pmax := s.f.cfg.PortMin, s.f.cfg.PortMax
	if port != 0 {
		pmin, pmax = port, port
	}
	p := newPort(s.f.cfg.DeviceRate, s.f.frame)
	opts := rtpsession.Options{
		LocalAddr:         bind,
		PortMin:           pmin,
		PortMax:           pmax,
		RTCPMux:           mux,
		Codec:             c,
		Ptime:             s.f.cfg.Ptime,
		Direction:         rtpsession.Inactive,
		Source:            p.source(),
		Sink:              p.sink(),
		InactivityTimeout: s.f.cfg.RTPTimeout,
		Logger:            s.log,
		Clock:             s.f.clock,
		OnEvent:           s.onRTPEvent,
	}
	if s.haveMedia {
		opts.PayloadType = s.media.Codec.PT
		opts.DTMFPayloadType = s.media.DTMF.PT
		opts.Remote, opts.RemoteRTCP = s.media.RemoteAddr, s.media.RemoteRTCP
	}
	r, err := rtpsession.New(opts)
	if err != nil {
		return fmt.Errorf("callmedia: rtp: %w", err)
	}
	s.rtp, s.port, s.mux, s.codec = r, p, mux, c
	if s.rec != nil {
		s.attachRecorder()
	}
	return nil
}

// onRTPEvent forwards the RTP session's events to the engine (the
// session's OnEvent: no goroutine waits for them).
func (s *session) onRTPEvent(ev rtpsession.Event) {
	switch ev := ev.(type) {
	case rtpsession.DTMFEvent:
		s.notify.DTMF(ev.Digit, ev.Duration)
	case rtpsession.InactivityEvent:
		s.notify.Inactive(ev.Silent)
	case rtpsession.LatchedEvent:
		s.log.Info("rtp latched", "from", ev.From, "to", ev.To)
	case rtpsession.ByeEvent:
		s.log.Debug("rtcp bye", "ssrc", ev.SSRC)
	}
}

// closeRTP stops the RTP session (its events delivered by then) and
// detaches its port. Called with mu held.
func (s *session) closeRTP() {
	if s.rtp == nil {
		return
	}
	if s.attached {
		s.f.hub.detach(s.port)
		s.attached = false
	}
	s.port.close() // unblocks the session's source reader
	s.rtp.Close()
	s.rtp, s.port = nil, nil
}

func (s *session) direction() sdp.Direction {
	if s.hold {
		return sdp.SendOnly // the negotiator offers inactive when the peer holds us too
	}
	return sdp.SendRecv
}

// Offer implements ua.MediaSession.
func (s *session) Offer() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureRTP(s.f.cfg.RTCPMux); err != nil {
		return nil, err
	}
	first := s.neg.LocalSDP() == nil
	s.neg.SetDirection(s.direction())
	out, err := s.neg.Offer()
	if err != nil {
		return nil, fmt.Errorf("callmedia: offer: %w", err)
	}
	s.initialOffer = first
	s.firstAccepted = nil
	return out, nil
}

// Answer implements ua.MediaSession. Its errors wrap the sdp package's
// (*sdp.ParseError, *sdp.NegotiationError: SIPStatus 488;
// sdp.ErrOfferPending on glare).
func (s *session) Answer(offer []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureRTP(offersMux(offer)); err != nil {
		return nil, err
	}
	s.neg.SetDirection(s.direction())
	ans, m, err := s.neg.Answer(offer)
	if err != nil {
		return nil, fmt.Errorf("callmedia: answer: %w", err)
	}
	s.initialOffer = false
	if err := s.apply(m); err != nil {
		return nil, err
	}
	return ans, nil
}

// offersMux peeks at an offer's first audio stream for a=rtcp-mux, so that
// an answerer binds the right sockets from the start. Unparseable SDP
// reads as no.
func offersMux(offer []byte) bool {
	sd, err := sdp.Parse(offer)
	if err != nil {
		return false
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		_, ok := md.Attribute("rtcp-mux")
		return ok
	}
	return false
}

// Accept implements ua.MediaSession.
func (s *session) Accept(answer []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.neg == nil {
		return fmt.Errorf("callmedia: accept: %w", sdp.ErrNoPendingOffer)
	}
	if !s.neg.Pending() {
		if s.firstAccepted == nil {
			return fmt.Errorf("callmedia: accept: %w", sdp.ErrNoPendingOffer)
		}
		if bytes.Equal(answer, s.firstAccepted) {
			return nil
		}
		// A second answer to our initial offer (a 200 OK after an
		// early-media 183 with different SDP): read it against a copy of
		// that offer.
		m, err := s.reprocess(answer)
		if err != nil {
			return fmt.Errorf("callmedia: accept: %w", err)
		}
		return s.apply(m)
	}
	m, err := s.neg.ProcessAnswer(answer)
	if err != nil {
		return fmt.Errorf("callmedia: accept: %w", err)
	}
	if s.initialOffer {
		s.firstAccepted = bytes.Clone(answer)
	}
	return s.apply(m)
}

// reprocess reads answer against a fresh negotiator with our config, whose
// first offer is the initial offer we sent.
func (s *session) reprocess(answer []byte) (sdp.Media, error) {
	cfg := s.neg.Config()
	shadow, err := sdp.NewNegotiator(cfg)
	if err != nil {
		return sdp.Media{}, err
	}
	if _, err := shadow.Offer(); err != nil {
		return sdp.Media{}, err
	}
	return shadow.ProcessAnswer(answer)
}

// Rollback implements ua.MediaSession.
func (s *session) Rollback() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.neg != nil {
		s.neg.Rollback()
	}
}

// SetHold implements ua.MediaSession: it takes effect with the next
// negotiation, whose Media then stops the microphone and the speaker for
// this call.
func (s *session) SetHold(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = on
	if s.neg != nil {
		s.neg.SetDirection(s.direction())
	}
}

// SetMute implements ua.MediaSession: at once, the RTP session sends
// encoded silence and the hub stops feeding the microphone.
func (s *session) SetMute(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mute = on
	if s.rtp != nil {
		s.rtp.SetMute(on)
	}
	s.updateFlow()
}

// updateFlow tells the port what the hub should do with it. Called with mu
// held.
func (s *session) updateFlow() {
	if s.port == nil || !s.haveMedia {
		return
	}
	d := s.media.Direction
	s.port.setFlow(d.Sends() && !s.hold && !s.mute, d.Receives() && !s.hold)
}

// SendDTMF implements ua.MediaSession (RFC 4733 events).
func (s *session) SendDTMF(digit rune, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.rtp == nil || !s.haveMedia:
		return ErrNoMedia
	case !s.media.HasDTMF():
		return fmt.Errorf("callmedia: %w", rtpsession.ErrNoDTMF)
	}
	if d <= 0 {
		d = s.f.cfg.DTMFDuration
	}
	if err := s.rtp.SendDTMF(string(digit), d); err != nil {
		return fmt.Errorf("callmedia: dtmf: %w", err)
	}
	return nil
}

// apply puts a negotiated Media into effect. Called with mu held.
func (s *session) apply(m sdp.Media) error {
	if s.rtp == nil {
		return ErrClosed
	}
	c, ok := codec.Lookup(m.Codec.Name, m.Codec.Clock, m.Codec.Channels)
	if !ok {
		return fmt.Errorf("callmedia: %w: %s", ErrNoCodecs, m.Codec.String())
	}
	prev, had := s.media, s.haveMedia
	s.media, s.haveMedia = m, true
	if m.Ptime != int(s.f.cfg.Ptime/time.Millisecond) {
		s.log.Debug("peer asks another ptime; sending ours", "peer", m.Ptime, "ours", s.f.cfg.Ptime)
	}
	if m.RTCPMux != s.mux {
		// RFC 5761 §5.1.1: the answer decides whether RTCP shares the RTP
		// port. Rebind the same RTP port with the other layout.
		port := int(s.rtp.LocalAddr().Port())
		old, oldPort, wasAttached := s.rtp, s.port, s.attached
		if wasAttached {
			s.f.hub.detach(oldPort)
			s.attached = false
		}
		oldPort.close()
		old.Close()
		s.rtp, s.port = nil, nil
		s.codec = c
		if err := s.newRTP(m.RTCPMux, port); err != nil {
			s.log.Warn("rtcp-mux change: rebinding failed; keeping the old layout", "err", err)
			if err2 := s.newRTP(s.mux, port); err2 != nil {
				return fmt.Errorf("callmedia: %w", errors.Join(err, err2))
			}
		}
		had = false // the new session has everything from opts
	}
	if !had || !sameCodec(c, s.codec) || prev.Codec.PT != m.Codec.PT || prev.DTMF.PT != m.DTMF.PT {
		if err := s.rtp.SetCodec(c, m.Codec.PT, m.DTMF.PT); err != nil {
			return fmt.Errorf("callmedia: %w", err)
		}
		s.codec = c
	}
	switch {
	case m.RemoteAddr.Addr().IsUnspecified():
		// RFC 3264 §8.4 (RFC 2543 hold, c=0.0.0.0): nothing is sent; keep
		// the old address rather than send RTCP to 0.0.0.0, which is
		// this host.
	case !had || prev.RemoteAddr != m.RemoteAddr || prev.RemoteRTCP != m.RemoteRTCP:
		s.rtp.SetRemote(m.RemoteAddr, m.RemoteRTCP)
	}
	for _, f := range m.Recv {
		if f.Same(m.Codec) && f.PT != m.Codec.PT {
			// RFC 3264 §6.1 says SHOULD keep the offer's numbers; the RTP
			// session has one payload type per codec, so audio the peer
			// sends with our number is dropped.
			s.log.Warn("peer renumbered the codec; received audio may be dropped",
				"codec", m.Codec.Name, "ours", f.PT, "theirs", m.Codec.PT)
		}
	}
	s.rtp.SetDirection(rtpDirection(m.Direction))
	s.rtp.SetMute(s.mute)
	if s.f.cfg.RecordDir != "" && s.rec == nil {
		s.startRecording()
	}
	s.updateFlow()
	if !s.attached {
		s.f.hub.attach(s.port)
		s.attached = true
	}
	s.log.Debug("media applied", "codec", c.Name(), "pt", m.Codec.PT, "dtmf", m.DTMF.PT,
		"remote", m.RemoteAddr, "dir", m.Direction, "remote_hold", m.RemoteHold, "mux", m.RTCPMux)
	return nil
}

// sameCodec compares codecs by name and clock (codec values need not be
// comparable).
func sameCodec(a, b codec.Codec) bool {
	return a != nil && b != nil && strings.EqualFold(a.Name(), b.Name()) && a.ClockRate() == b.ClockRate()
}

func rtpDirection(d sdp.Direction) rtpsession.Direction {
	switch {
	case d.Sends() && d.Receives():
		return rtpsession.SendRecv
	case d.Sends():
		return rtpsession.SendOnly
	case d.Receives():
		return rtpsession.RecvOnly
	}
	return rtpsession.Inactive
}

// startRecording opens the call's WAV in RecordDir. A failure is logged;
// the call goes on unrecorded. Called with mu held.
func (s *session) startRecording() {
	name := time.Now().Format("20060102-150405") + "-" + safeName(s.cfg.CallID) + ".wav"
	path := filepath.Join(s.f.cfg.RecordDir, name)
	if err := os.MkdirAll(s.f.cfg.RecordDir, 0o700); err != nil {
		s.log.Warn("recording disabled", "err", err)
		return
	}
	rec, err := audio.NewRecorder(path, recordRate, audio.RecordStereo)
	if err != nil {
		s.log.Warn("recording disabled", "err", err)
		return
	}
	s.rec = rec
	s.attachRecorder()
	s.log.Info("recording call", "path", path)
}

// attachRecorder taps the port into the recorder, resampled to its rate.
func (s *session) attachRecorder() {
	tx, err1 := audio.NewResampleSink(s.rec.Local(), s.f.cfg.DeviceRate)
	rx, err2 := audio.NewResampleSink(s.rec.Remote(), s.f.cfg.DeviceRate)
	if err1 != nil || err2 != nil {
		s.log.Warn("recording disabled", "err", errors.Join(err1, err2))
		return
	}
	s.port.setRecorder(tx, rx)
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "call"
	}
	return s
}

// Info implements ua.MediaSession.
func (s *session) Info() ua.MediaInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in ua.MediaInfo
	if !s.haveMedia {
		return in
	}
	in.Codec = s.media.Codec.Name + "/" + strconv.Itoa(s.media.Codec.Clock)
	in.RemoteHold = s.media.RemoteHold
	in.DTMF = s.media.HasDTMF()
	if s.rtp == nil {
		return in
	}
	st := s.rtp.Stats()
	in.PacketsSent = st.PacketsSent
	in.PacketsReceived = st.PacketsReceived
	if st.PacketsReceived > 0 {
		in.MOS = st.MOS
		if exp := float64(st.PacketsReceived) + float64(st.PacketsLost); exp > 0 && st.PacketsLost > 0 {
			in.LossPercent = 100 * float64(st.PacketsLost) / exp
		}
	}
	in.JitterMillis = float64(st.Jitter) / float64(time.Millisecond)
	in.RTTMillis = float64(st.RTT) / float64(time.Millisecond)
	in.TxLevel = finite(s.port.txMeter.Level().RMS)
	in.RxLevel = finite(s.port.rxMeter.Level().RMS)
	return in
}

// finite maps the meters' −Inf (digital silence) to −120 dBFS so that the
// value survives JSON.
func finite(db float64) float64 {
	if math.IsInf(db, -1) || math.IsNaN(db) || db < -120 {
		return -120
	}
	return db
}

// Close implements ua.MediaSession. It is idempotent.
func (s *session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.closeRTP()
	rec := s.rec
	s.rec = nil
	s.mu.Unlock()
	s.f.Ringback(s.cfg.CallID, false)
	s.f.forget(s)
	if rec != nil {
		if err := rec.Close(); err != nil {
			return fmt.Errorf("callmedia: recording: %w", err)
		}
	}
	return nil
}
