package rtpsession

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
	"github.com/teaphone/teaphone/media/dtmf"
	"github.com/teaphone/teaphone/media/jitter"
)

// Errors callers may branch on.
var (
	ErrClosed     = errors.New("rtpsession: session closed")
	ErrNoCodec    = errors.New("rtpsession: no codec")
	ErrNoDTMF     = errors.New("rtpsession: telephone-event not negotiated")
	ErrNotSending = errors.New("rtpsession: direction does not send")
	ErrBadPtime   = errors.New("rtpsession: bad packet time")
	ErrNoRemote   = errors.New("rtpsession: no remote address")
)

// Direction is the media direction of the session from our side
// (RFC 3264 §5.1 / RFC 4566 §6: sendrecv, sendonly, recvonly, inactive).
type Direction int

// The four directions.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

// Sends reports whether the direction sends RTP.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether the direction plays received RTP.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

func (d Direction) String() string {
	switch d {
	case SendRecv:
		return "sendrecv"
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return fmt.Sprintf("direction(%d)", int(d))
}

// Options configure a Session. Zero fields take the defaults shown.
type Options struct {
	// LocalAddr is the address to bind (the unspecified IPv4 address if
	// invalid).
	LocalAddr netip.Addr
	// PortMin and PortMax bound the RTP port (even; RTCP uses the next
	// port). Both zero: any free port.
	PortMin, PortMax int
	// RTCPMux carries RTCP on the RTP socket (RFC 5761), when negotiated.
	RTCPMux bool
	// Remote is the peer's RTP address; it may be set later with SetRemote.
	Remote netip.AddrPort
	// RemoteRTCP is the peer's RTCP address (RFC 3605 a=rtcp); default the
	// RTP port + 1, or the RTP address with rtcp-mux.
	RemoteRTCP netip.AddrPort

	// Codec to send and receive (required).
	Codec codec.Codec
	// PayloadType for Codec; 0 means Codec.PayloadType() (0 is PCMU's own
	// static type, so no other codec can mean it).
	PayloadType uint8
	// DTMFPayloadType of telephone-event at the codec's clock rate
	// (RFC 4733 §7); 0 disables DTMF.
	DTMFPayloadType uint8
	// Ptime is the packet time, 20 ms by default.
	Ptime time.Duration
	// Direction at start (sendrecv).
	Direction Direction

	// Source is read for the audio to send (silence if nil): polled on
	// the clock when it is a Poller, otherwise read by a goroutine of its
	// own (Read must then return within about a frame time). The session
	// does not close it.
	Source audio.Source
	// Sink receives the played-out audio (discarded if nil). The session
	// does not close it.
	Sink audio.Sink

	// InactivityTimeout raises InactivityEvent when no RTP arrives for this
	// long while receiving. 30 s by default; negative disables.
	InactivityTimeout time.Duration
	// LatchPackets is how many consecutive valid RTP packets from one new
	// address move the remote there (symmetric RTP, for peers behind NAT).
	// 3 by default; negative disables latching. Anyone who can send valid
	// packets to our port can move the stream, as with every latching
	// implementation: SRTP is the cure, not a larger count.
	LatchPackets int
	// RTCPInterval is the mean report interval (RFC 3550 §6.2), 5 s by
	// default; each interval is randomized over [0.5, 1.5]× (§6.3.1).
	RTCPInterval time.Duration
	// Jitter tunes the jitter buffer; ClockRate and FrameDuration are
	// filled in from the codec and Ptime.
	Jitter jitter.Config
	// DTMF tunes the sender (durations, volume); the clock rate and packet
	// time come from the codec and Ptime.
	DTMF dtmf.SenderConfig
	// CNAME for RTCP SDES (RFC 3550 §6.5.1); random if empty.
	CNAME string
	// Logger for diagnostics; discarded if nil.
	Logger *slog.Logger
	// OnEvent, when set, receives the events instead of the Events
	// channel, in order, on a goroutine that exists only while events are
	// queued. It must not call Close.
	OnEvent func(Event)
	// Clock runs the session's sending, playout and RTCP timing; sessions
	// sharing one are batched into the same wake-ups. Nil: a clock of the
	// session's own. With a shared clock, Sink.Write and a Source's Poll
	// must not block (see Clock).
	Clock *Clock
}

// Poller is a Source that can be read without waiting: Poll fills frame
// and returns len(frame) when a whole frame is ready, 0 (and leaves frame
// alone) otherwise. A session polls such a source on its clock, once per
// frame time, instead of reading it from a goroutine of its own.
type Poller interface {
	Poll(frame []int16) int
}

type codecState struct {
	c          codec.Codec
	pt         uint8
	enc        codec.Encoder
	dec        codec.Decoder
	samples    int    // PCM samples per frame at c.SampleRate()
	tsPerFrame uint32 // RTP timestamp units per frame
	gen        int
}

// Session is the RTP session of one call. Its methods are safe for
// concurrent use.
type Session struct {
	opts  Options
	log   *slog.Logger
	ptime time.Duration

	rtpSock  *sock
	rtcpSock *sock // nil with rtcp-mux
	local    netip.AddrPort

	events *eventQueue
	done   chan struct{}
	wg     sync.WaitGroup
	close  sync.Once
	start  time.Time
	cname  string

	capCh  chan []int16 // frames read from Source
	freeCh chan []int16 // empty frames for the capture goroutine

	// Timing, owned by the clock: tickMu is held while the clock runs the
	// session's work, and the fields below are touched only under it.
	clock      *Clock
	entry      *clockEntry
	tickMu     sync.Mutex
	tx         *txState
	rxs        *rxState
	poll       Poller
	pollBuf    []int16
	sendN      int64
	playN      int64
	sendAt     time.Time // deadline of frame sendN: start + sendN·ptime
	playAt     time.Time // start + ptime/2 + playN·ptime
	rtcpAt     time.Time
	rtcpPollAt time.Time  // next read of the RTCP socket (polled socks)
	rxPkt      rtp.Packet // the polled RTP packet being handled
	playFrom   time.Time

	mu sync.Mutex
	// sending
	dir        Direction
	muted      bool
	remote     netip.AddrPort
	remoteRTCP netip.AddrPort
	rtcpSet    bool // remoteRTCP was given explicitly or learnt
	ssrc       uint32
	seq        uint16
	ts         uint32    // timestamp of the next frame
	tsDeadline time.Time // deadline of the next frame
	cs         codecState
	dtmfPT     uint8
	dtmfTx     *dtmf.Sender
	marker     bool
	sent       uint64
	sentOctets uint64
	weSent     bool
	weSentPrev bool
	srcUnder   uint64
	sendErrs   uint64
	ivN        int64
	ivMean     float64
	ivM2       float64
	ivMax      time.Duration

	// receiving
	jb         *jitter.Buffer
	dtmfRx     *dtmf.Receiver
	rx         rxStats
	remoteSSRC uint32
	haveSSRC   bool
	lastRTP    time.Time
	watchSince time.Time
	inactive   bool
	latchFrom  netip.AddrPort
	latchCount int
	latched    bool
	lsr        uint32
	lsrAt      time.Time
	rtt        time.Duration
	peerReport *reportView
	rtcpSent   uint64
	rtcpRecv   uint64
	concealed  uint64
	playedOK   uint64
	unknownPT  uint64
	evBuf      []dtmf.Event
	sinkErrs   uint64
	rxPayload  []byte
}

type reportView struct {
	fraction float64
	lost     int32
	jitter   time.Duration
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return binary.BigEndian.Uint32(b[:])
}

// New binds the sockets and starts the session's goroutines. Close stops
// them.
func New(opts Options) (*Session, error) {
	if opts.Codec == nil {
		return nil, ErrNoCodec
	}
	if opts.Ptime == 0 {
		opts.Ptime = 20 * time.Millisecond
	}
	if opts.Ptime < 5*time.Millisecond || opts.Ptime > 200*time.Millisecond {
		return nil, fmt.Errorf("%w: %v", ErrBadPtime, opts.Ptime)
	}
	if opts.InactivityTimeout == 0 {
		opts.InactivityTimeout = 30 * time.Second
	}
	if opts.LatchPackets == 0 {
		opts.LatchPackets = 3
	}
	if opts.RTCPInterval <= 0 {
		opts.RTCPInterval = 5 * time.Second
	}
	if !opts.LocalAddr.IsValid() {
		opts.LocalAddr = netip.IPv4Unspecified()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{
		opts:   opts,
		log:    log,
		ptime:  opts.Ptime,
		events: newEventQueue(opts.OnEvent),
		done:   make(chan struct{}),
		dir:    opts.Direction,
		ssrc:   randUint32(),
		seq:    uint16(randUint32()),
		ts:     randUint32(),
		marker: true,
		cname:  opts.CNAME,
	}
	if s.cname == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		s.cname = hex.EncodeToString(b[:]) + "@teaphone"
	}
	if err := s.setCodecLocked(opts.Codec, opts.PayloadType, opts.DTMFPayloadType); err != nil {
		return nil, err
	}
	var err error
	s.rtpSock, s.rtcpSock, err = openSocks(opts.LocalAddr, opts.PortMin, opts.PortMax, opts.RTCPMux)
	if err != nil {
		return nil, err
	}
	s.local = s.rtpSock.local
	s.setRemoteLocked(opts.Remote, opts.RemoteRTCP)

	s.clock = opts.Clock
	if s.clock == nil {
		s.clock = NewClock()
	}
	now := time.Now()
	s.start = s.clock.align(now, s.ptime)
	s.watchSince = now
	s.tsDeadline = s.start

	srcRate := 8000
	if opts.Source != nil {
		srcRate = opts.Source.SampleRate()
	}
	n := srcRate * int(opts.Ptime) / int(time.Second)
	s.tx = &txState{pkt: make([]byte, 0, 1500), lastN: -2}
	s.rxs = &rxState{noise: 0x12345678}
	// Half a frame out of phase with the sender, so sending and playout
	// do not share a wake-up.
	s.playFrom = s.start.Add(s.ptime / 2)
	s.sendAt, s.playAt = s.start, s.playFrom
	s.rtcpAt = now.Add(s.rtcpDelay() / 2) // §6.2: the first report after half an interval

	// Logged before the readers and the clock start: they write these
	// fields under mu.
	log.Debug("rtp session started", "local", s.local, "remote", s.remote, "mux", opts.RTCPMux,
		"codec", opts.Codec.Name(), "pt", s.cs.pt, "ssrc", s.ssrc)
	s.startReaders() // none on Linux, where the clock polls the sockets
	if p, ok := opts.Source.(Poller); ok {
		s.poll, s.pollBuf = p, make([]int16, n)
	} else if opts.Source != nil {
		s.capCh = make(chan []int16, 2)
		s.freeCh = make(chan []int16, 4)
		for range 4 {
			s.freeCh <- make([]int16, n)
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.captureLoop(opts.Source) }()
	}
	s.entry = s.clock.add(s, s.start)
	return s, nil
}

// setCodecLocked installs c; called with mu held (or before start).
func (s *Session) setCodecLocked(c codec.Codec, pt, dtmfPT uint8) error {
	if c == nil {
		return ErrNoCodec
	}
	if pt == 0 {
		pt = c.PayloadType()
	}
	enc, err := c.NewEncoder()
	if err != nil {
		return fmt.Errorf("rtpsession: %s encoder: %w", c.Name(), err)
	}
	dec, err := c.NewDecoder()
	if err != nil {
		return fmt.Errorf("rtpsession: %s decoder: %w", c.Name(), err)
	}
	clockChanged := s.cs.c == nil || s.cs.c.ClockRate() != c.ClockRate()
	s.cs = codecState{
		c: c, pt: pt, enc: enc, dec: dec,
		samples:    c.SampleRate() * int(s.ptime) / int(time.Second),
		tsPerFrame: uint32(c.ClockRate() * int(s.ptime) / int(time.Second)),
		gen:        s.cs.gen + 1,
	}
	if clockChanged || s.jb == nil {
		jc := s.opts.Jitter
		jc.ClockRate = c.ClockRate()
		jc.FrameDuration = s.ptime
		if jc.IsSilence == nil {
			jc.IsSilence = silenceDetector(c.Name())
		}
		s.jb = jitter.New(jc)
	}
	if clockChanged || s.dtmfTx == nil || dtmfPT != s.dtmfPT {
		dc := s.opts.DTMF
		dc.ClockRate = c.ClockRate()
		dc.PacketTime = s.ptime
		tx, err := dtmf.NewSender(dc)
		if err != nil {
			return fmt.Errorf("rtpsession: dtmf: %w", err)
		}
		s.dtmfTx = tx
		s.dtmfRx = dtmf.NewReceiver(dtmf.ReceiverConfig{ClockRate: c.ClockRate()})
	}
	s.dtmfPT = dtmfPT
	return nil
}

func (s *Session) setRemoteLocked(rtpAddr, rtcpAddr netip.AddrPort) {
	s.remote = rtpAddr
	s.rtcpSet = rtcpAddr.IsValid()
	switch {
	case rtcpAddr.IsValid():
		s.remoteRTCP = rtcpAddr
	case s.opts.RTCPMux:
		s.remoteRTCP = rtpAddr
	case rtpAddr.IsValid():
		s.remoteRTCP = netip.AddrPortFrom(rtpAddr.Addr(), rtpAddr.Port()+1)
	default:
		s.remoteRTCP = netip.AddrPort{}
	}
	s.latched = false
	s.latchCount = 0
	s.latchFrom = netip.AddrPort{}
}

// LocalAddr is the bound RTP address (the RTCP port is one more unless
// rtcp-mux is on).
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// LocalRTCPAddr is the bound RTCP address.
func (s *Session) LocalRTCPAddr() netip.AddrPort {
	if s.rtcpSock == nil {
		return s.local
	}
	return s.rtcpSock.local
}

// SSRC is our synchronization source identifier.
func (s *Session) SSRC() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ssrc
}

// Events delivers the session's events in order (unless Options.OnEvent
// takes them). The channel is closed by Close; events still queued then
// are discarded.
func (s *Session) Events() <-chan Event { return s.events.out }

// SetRemote points the session at a new peer address (a re-INVITE changed
// the c=/m= lines). An invalid rtcp address means "RTP port + 1" (or the
// RTP address with rtcp-mux). Latching starts over.
func (s *Session) SetRemote(rtpAddr, rtcpAddr netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setRemoteLocked(rtpAddr, rtcpAddr)
	s.log.Debug("rtp remote set", "rtp", rtpAddr, "rtcp", s.remoteRTCP)
}

// Remote returns the current RTP and RTCP destinations.
func (s *Session) Remote() (rtpAddr, rtcpAddr netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote, s.remoteRTCP
}

// SetDirection changes the direction (hold: sendonly or inactive; resume:
// sendrecv). Timestamps keep running; the first packet after a pause
// carries the marker bit.
func (s *Session) SetDirection(d Direction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d == s.dir {
		return
	}
	if !d.Sends() {
		s.dtmfTx.Reset()
	}
	if d.Receives() && !s.dir.Receives() {
		s.watchSince = time.Now()
		s.inactive = false
	}
	s.dir = d
	s.log.Debug("rtp direction", "dir", d)
}

// Direction returns the current direction.
func (s *Session) Direction() Direction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir
}

// SetMute sends digital silence instead of the source while on.
func (s *Session) SetMute(on bool) {
	s.mu.Lock()
	s.muted = on
	s.mu.Unlock()
}

// SetCodec switches codec mid-call (a re-INVITE changed the format). pt 0
// means c.PayloadType(); dtmfPT 0 disables DTMF. SSRC, sequence and
// timestamp continue.
func (s *Session) SetCodec(c codec.Codec, pt, dtmfPT uint8) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.setCodecLocked(c, pt, dtmfPT); err != nil {
		return err
	}
	s.log.Debug("rtp codec", "codec", c.Name(), "pt", s.cs.pt, "dtmf", dtmfPT)
	return nil
}

// SendDTMF queues digits (0-9 * # A-D) to send as RFC 4733 events of the
// given duration each (at least the configured minimum, 100 ms). It
// returns at once; the events interleave with the audio.
func (s *Session) SendDTMF(digits string, duration time.Duration) error {
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dtmfPT == 0 {
		return ErrNoDTMF
	}
	if !s.dir.Sends() {
		return ErrNotSending
	}
	return s.dtmfTx.Enqueue(digits, duration)
}

// DTMFPending reports whether DTMF digits are still being sent.
func (s *Session) DTMFPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dtmfTx.Busy()
}

// Close sends an RTCP BYE, stops every goroutine, closes the sockets and
// waits for all of it. It does not close the Source or Sink.
func (s *Session) Close() error {
	s.close.Do(func() {
		s.clock.remove(s.entry)
		s.sendRTCP(true)
		close(s.done)
		s.rtpSock.close()
		if s.rtcpSock != nil {
			s.rtcpSock.close()
		}
		s.wg.Wait()
		s.events.close()
	})
	return nil
}

func (s *Session) emit(ev Event) { s.events.push(ev) }

// tick runs the work that is due at now and returns when the session next
// has some. Called by the clock's goroutine with tickMu held; sc is that
// goroutine's receive memory.
func (s *Session) tick(now time.Time, sc *pollScratch) time.Time {
	// The sockets are read on the ticks rather than on wake-ups of their
	// own: RTP just before each frame is played out, RTCP on the send and
	// playout ticks (every half frame) that fall after rtcpPollAt.
	if s.rtpSock.polled() && !s.playAt.After(now) {
		s.drain(sc, s.rtpSock, false, now)
	}
	if s.rtcpSock != nil && s.rtcpSock.polled() && !s.rtcpPollAt.After(now) {
		s.drain(sc, s.rtcpSock, true, now)
		s.rtcpPollAt = now.Add(rtcpPollEvery - s.ptime/4) // lands on a tick, not just after one
	}
	s.sendDue(now) // each does nothing before its deadline
	s.playDue(now)
	if !s.rtcpAt.After(now) {
		s.sendRTCP(false)
		s.rtcpAt = now.Add(s.rtcpDelay())
	}
	next := s.sendAt
	if s.playAt.Before(next) {
		next = s.playAt
	}
	if s.rtcpAt.Before(next) {
		next = s.rtcpAt
	}
	return next
}

// silenceDetector returns a jitter.Config.IsSilence for G.711, so the
// jitter buffer shrinks its delay in pauses rather than in speech; nil for
// other codecs (any frame may then be dropped, one at a time).
func silenceDetector(name string) func([]byte) bool {
	var quiet func(b byte) bool
	switch name {
	case "PCMU":
		// µ-law codes 0x70-0x7F and 0xF0-0xFF are the smallest magnitudes
		// (|x| < 32 of 8159).
		quiet = func(b byte) bool { return b&0x70 == 0x70 }
	case "PCMA":
		// A-law segment 0 after removing the even-bit inversion.
		quiet = func(b byte) bool { return (b^0x55)&0x70 == 0 }
	default:
		return nil
	}
	return func(p []byte) bool {
		loud := 0
		for _, b := range p {
			if !quiet(b) {
				loud++
			}
		}
		return loud*20 <= len(p) // at most 5 % above the floor
	}
}
