package callmedia

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
	"github.com/teaphone/teaphone/media/rtpsession"
	"github.com/teaphone/teaphone/media/sdp"
	"github.com/teaphone/teaphone/ua"
)

// Errors callers may branch on.
var (
	// ErrClosed: the Factory or the session was closed.
	ErrClosed = errors.New("callmedia: closed")
	// ErrNoCodecs: no codec in a preference list is known to this build.
	ErrNoCodecs = errors.New("callmedia: no usable codec")
	// ErrNoMedia: the session has not negotiated media yet.
	ErrNoMedia = errors.New("callmedia: no media negotiated")
)

// Config configures a Factory. Zero fields take the defaults shown.
type Config struct {
	// Devices are the microphone and speaker; Null{} when nil.
	Devices AudioDevices
	// DeviceRate is the rate devices are opened at and the hub mixes at
	// (48000 Hz). Each RTP session resamples between it and its codec.
	DeviceRate int
	// BindAddr is the address RTP sockets bind to; when invalid, the
	// call's MediaConfig.Local (or the unspecified address).
	BindAddr netip.Addr
	// PortMin and PortMax bound the RTP ports (RTP even, RTCP next); both
	// zero lets the kernel choose.
	PortMin, PortMax int
	// Ptime is the packet time (20 ms).
	Ptime time.Duration
	// Codecs is the default preference, used when a call's MediaConfig
	// has none: names as in SDP ("opus", "G722", "PCMU", "PCMA"). Default:
	// opus (when built with libopus), G722, PCMU, PCMA.
	Codecs []string
	// RTCPMux offers a=rtcp-mux (RFC 5761); an offered one is always
	// accepted.
	RTCPMux bool
	// RTPTimeout raises MediaNotifier.Inactive when no RTP arrives for
	// this long while receiving (30 s); negative disables.
	RTPTimeout time.Duration
	// DTMFDuration is the tone length SendDTMF uses when given 0 (100 ms).
	DTMFDuration time.Duration
	// RecordDir, when set, receives one WAV per call (16 kHz stereo: what
	// we send on the left, what we hear on the right).
	RecordDir string
	// RingTone, when set, makes the ring tone source at the given rate
	// (e.g. a looping WAV file); nil or a failure plays the built-in one.
	RingTone func(rate int) (audio.Source, error)
	// ToneRegion selects the ringback plan (audio.RegionEU when empty).
	ToneRegion audio.Region
	// Logger for diagnostics; discarded when nil.
	Logger *slog.Logger
}

// Factory makes the media sessions of teaphone's calls. It implements
// ua.MediaFactory and owns the audio hub shared by all its sessions. Its
// methods are safe for concurrent use.
type Factory struct {
	cfg    Config
	log    *slog.Logger
	frame  int
	hub    *hub
	clock  *rtpsession.Clock // times every session's RTP, in shared wake-ups
	codecs []sdp.Format

	mu       sync.Mutex
	sessions map[*session]struct{}
	closed   bool
}

var _ ua.MediaFactory = (*Factory)(nil)

// New checks cfg, fills its defaults and returns a Factory. It opens no
// device and binds no socket.
func New(cfg Config) (*Factory, error) {
	if cfg.Devices == nil {
		cfg.Devices = Null{}
	}
	if cfg.DeviceRate == 0 {
		cfg.DeviceRate = 48000
	}
	if cfg.Ptime == 0 {
		cfg.Ptime = 20 * time.Millisecond
	}
	if cfg.Ptime < 10*time.Millisecond || cfg.Ptime > 100*time.Millisecond || cfg.Ptime%(5*time.Millisecond) != 0 {
		return nil, fmt.Errorf("callmedia: ptime %v not a multiple of 5 ms in 10-100 ms", cfg.Ptime)
	}
	if cfg.DeviceRate < 8000 || cfg.DeviceRate > 192000 || cfg.DeviceRate*int(cfg.Ptime/time.Millisecond)%1000 != 0 {
		return nil, fmt.Errorf("callmedia: device rate %d Hz unusable", cfg.DeviceRate)
	}
	if cfg.PortMin < 0 || cfg.PortMax > 65535 || cfg.PortMin > cfg.PortMax {
		return nil, fmt.Errorf("callmedia: bad RTP port range %d-%d", cfg.PortMin, cfg.PortMax)
	}
	if cfg.DTMFDuration <= 0 {
		cfg.DTMFDuration = 100 * time.Millisecond
	}
	if cfg.ToneRegion == "" {
		cfg.ToneRegion = audio.RegionEU
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	names := cfg.Codecs
	if len(names) == 0 {
		for _, c := range codec.All() {
			names = append(names, c.Name())
		}
	}
	formats, err := formatsFor(names, cfg.Logger)
	if err != nil {
		return nil, err
	}
	frame := cfg.DeviceRate * int(cfg.Ptime/time.Millisecond) / 1000
	f := &Factory{
		cfg:      cfg,
		log:      cfg.Logger,
		frame:    frame,
		codecs:   formats,
		hub:      newHub(cfg.Devices, cfg.DeviceRate, frame, cfg.Logger),
		clock:    rtpsession.NewClock(),
		sessions: map[*session]struct{}{},
	}
	return f, nil
}

// formatsFor maps codec names to SDP formats, skipping (and logging) names
// this build does not know.
func formatsFor(names []string, log *slog.Logger) ([]sdp.Format, error) {
	var out []sdp.Format
	for _, n := range names {
		var f sdp.Format
		switch strings.ToLower(strings.TrimSpace(n)) {
		case "pcmu":
			f = sdp.PCMU()
		case "pcma":
			f = sdp.PCMA()
		case "g722":
			f = sdp.G722()
		case "opus":
			c, ok := codec.Lookup("opus", 48000, 2)
			if !ok {
				log.Warn("codec opus not in this build; skipped")
				continue
			}
			fmtp := ""
			if fc, ok := c.(codec.FmtpCodec); ok {
				fmtp = fc.Fmtp()
			}
			f = sdp.Opus(codec.PayloadOpus, fmtp)
		default:
			log.Warn("unknown codec skipped", "codec", n)
			continue
		}
		dup := false
		for _, g := range out {
			dup = dup || g.Same(f)
		}
		if !dup {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %q", ErrNoCodecs, names)
	}
	return out, nil
}

// NewSession implements ua.MediaFactory. The session binds its RTP socket
// at its first Offer or Answer and touches the audio devices only once
// media is negotiated.
func (f *Factory) NewSession(cfg ua.MediaConfig, notify ua.MediaNotifier) (ua.MediaSession, error) {
	codecs := f.codecs
	if len(cfg.Codecs) > 0 {
		var err error
		if codecs, err = formatsFor(cfg.Codecs, f.log); err != nil {
			return nil, err
		}
	}
	if notify == nil {
		notify = nopNotifier{}
	}
	s := &session{
		f:      f,
		cfg:    cfg,
		notify: notify,
		codecs: codecs,
		log:    f.log.With("call", cfg.CallID),
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	f.sessions[s] = struct{}{}
	return s, nil
}

func (f *Factory) forget(s *session) {
	f.mu.Lock()
	delete(f.sessions, s)
	f.mu.Unlock()
}

// Ring plays (on) or stops the ring tone of an incoming call on the
// speaker, opening the speaker if no call holds it. main drives it from
// the engine's events: on while any incoming call rings, off once it is
// answered, rejected or cancelled.
func (f *Factory) Ring(on bool) {
	if !on {
		f.hub.setTone("ring", nil)
		return
	}
	if !f.hub.toneOn("ring") {
		var tone audio.Source
		if f.cfg.RingTone != nil {
			src, err := f.cfg.RingTone(f.cfg.DeviceRate)
			if err != nil {
				f.log.Warn("ring tone unavailable, using the built-in one", "err", err)
			} else {
				tone = src
			}
		}
		if tone == nil {
			tone = audio.RingTone(f.cfg.DeviceRate)
		}
		f.hub.setTone("ring", tone)
	}
}

// Ringback plays (on) or stops the ringback tone of the outgoing call
// callID: main turns it on when the engine reports the call ringing
// without early media (180, or 183 without SDP) and off when the call
// gets early media, is answered or ends. Closing that call's session stops
// it too.
func (f *Factory) Ringback(callID string, on bool) {
	name := "ringback:" + callID
	if !on {
		f.hub.setTone(name, nil)
		return
	}
	if !f.hub.toneOn(name) {
		f.hub.setTone(name, audio.Ringback(f.cfg.ToneRegion, f.cfg.DeviceRate))
	}
}

// Close closes every session still open, stops the tones and waits until
// the audio devices are closed.
func (f *Factory) Close() error {
	f.mu.Lock()
	f.closed = true
	ss := make([]*session, 0, len(f.sessions))
	for s := range f.sessions {
		ss = append(ss, s)
	}
	f.mu.Unlock()
	var errs error
	for _, s := range ss {
		errs = errors.Join(errs, s.Close())
	}
	f.hub.close()
	return errs
}

type nopNotifier struct{}

func (nopNotifier) DTMF(rune, time.Duration) {}
func (nopNotifier) Inactive(time.Duration)   {}
