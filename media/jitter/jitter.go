package jitter

import (
	"slices"
	"time"
)

// Config tunes a Buffer. Zero fields take the defaults shown.
type Config struct {
	ClockRate     int           // RTP clock rate, 8000
	FrameDuration time.Duration // one Pop's worth of audio (ptime), 20 ms
	InitialDelay  time.Duration // delay before the first measurements, 40 ms
	MinDelay      time.Duration // lower bound of the adaptive delay, 20 ms
	MaxDelay      time.Duration // upper bound of the adaptive delay, 400 ms
	MaxPackets    int           // packets held at most; the oldest is dropped beyond, 64
	// Window is how many recent transit times the delay quantile is taken
	// over (200 ≈ 4 s at 20 ms).
	Window int
	// Quantile of transit times the playout delay covers, 0.95.
	Quantile float64
	// ShrinkInterval is the least time between two frames dropped to
	// shrink the delay, 500 ms.
	ShrinkInterval time.Duration
	// MaxUnderrun is how many consecutive empty ticks end playout; the next
	// packet then starts a new talkspurt at the target delay. 10 (200 ms).
	MaxUnderrun int
	// IsSilence, when set, tells whether a payload is silence; the buffer
	// then shrinks on silent frames, or on any frame when no silence came
	// for 4×ShrinkInterval or the excess delay is large.
	IsSilence func(payload []byte) bool
}

func (c Config) withDefaults() Config {
	if c.ClockRate <= 0 {
		c.ClockRate = 8000
	}
	if c.FrameDuration <= 0 {
		c.FrameDuration = 20 * time.Millisecond
	}
	if c.InitialDelay <= 0 {
		c.InitialDelay = 40 * time.Millisecond
	}
	if c.MinDelay <= 0 {
		c.MinDelay = 20 * time.Millisecond
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 400 * time.Millisecond
	}
	if c.MaxDelay < c.MinDelay {
		c.MaxDelay = c.MinDelay
	}
	if c.MaxPackets <= 0 {
		c.MaxPackets = 64
	}
	if c.Window <= 0 {
		c.Window = 200
	}
	if c.Quantile <= 0 || c.Quantile > 1 {
		c.Quantile = 0.95
	}
	if c.ShrinkInterval <= 0 {
		c.ShrinkInterval = 500 * time.Millisecond
	}
	if c.MaxUnderrun <= 0 {
		c.MaxUnderrun = 10
	}
	return c
}

// Packet is one RTP packet as the buffer needs it.
type Packet struct {
	SequenceNumber uint16
	Timestamp      uint32
	SSRC           uint32
	PayloadType    uint8
	Marker         bool
	// Aux marks a packet that is not an audio frame (a telephone-event or
	// comfort-noise packet): it keeps its place in the sequence, so it is
	// not counted as lost, but its timestamp is not used for timing.
	Aux     bool
	Payload []byte
}

// Status says what Pop produced for a tick.
type Status int

const (
	// Buffering: playout has not started (or restarted after a silence);
	// play silence or comfort noise.
	Buffering Status = iota
	// OK: the packet returned is the frame for this tick.
	OK
	// Lost: the frame for this tick never arrived; conceal it (PLC), or
	// decode FEC from PeekNext.
	Lost
	// Underrun: nothing is due yet (the buffer is empty or the delay is
	// being grown by one frame); conceal without advancing.
	Underrun
)

func (s Status) String() string {
	switch s {
	case Buffering:
		return "buffering"
	case OK:
		return "ok"
	case Lost:
		return "lost"
	case Underrun:
		return "underrun"
	}
	return "unknown"
}

// Stats is a snapshot of the buffer's counters.
type Stats struct {
	Received    uint64 // packets accepted into the buffer
	Lost        uint64 // frames skipped because their packet never arrived in time
	Late        uint64 // packets that arrived after their frame was played or skipped
	Duplicate   uint64 // packets received twice
	Overflow    uint64 // packets dropped because the buffer was full
	Dropped     uint64 // frames dropped to shrink the delay
	Inserted    uint64 // frames inserted to grow the delay
	Underruns   uint64 // ticks with nothing to play while playing
	Played      uint64 // frames returned with OK
	SSRCChanges uint64 // resets on a new SSRC
	Resyncs     uint64 // resets on a sequence jump
	// Jitter is the RFC 3550 §6.4.1 interarrival jitter estimate.
	Jitter time.Duration
	// Delay is the current playout delay beyond the fastest packet's
	// transit: how long the quickest packets wait in the buffer.
	Delay time.Duration
	// TargetDelay is where the adaptation is heading.
	TargetDelay time.Duration
	Buffered    int // packets held now
}

type slot struct {
	valid   bool
	ext     int64
	tsExt   int64 // extended timestamp
	arrival int64 // ns since epoch
	pkt     Packet
	buf     []byte
}

// Buffer is an adaptive jitter buffer. The zero value is not usable; call
// New.
type Buffer struct {
	cfg        Config
	frameUnits int64
	frameNs    int64

	ring  []slot
	mask  int64
	count int

	started bool
	ssrc    uint32
	epoch   time.Time
	maxExt  int64  // highest extended sequence number pushed
	lastSeq uint16 // its 16-bit value

	haveTS   bool
	lastTS   uint32
	lastTSEx int64

	// history of received extended sequence numbers (+1) for duplicates
	seen [256]int64

	playing      bool
	havePlayed   bool
	nextExt      int64 // next sequence to play
	lastPlayTS   int64 // extended timestamp of the last frame played/skipped
	lastPlayExt  int64
	underrun     int
	lastShrinkNs int64
	curOffset    int64 // playout offset of the last tick while playing

	// timing
	transits     []int64 // ring of transit times (ns)
	tIdx, tCount int
	pushes       int
	minTransit   int64
	targetOffset int64 // playout offset we aim for: now - tsTime
	haveTarget   bool
	jitterNs     float64
	lastTransit  int64
	haveTransit  bool
	scratch      []int64

	st Stats
}

// New returns an empty buffer for cfg.
func New(cfg Config) *Buffer {
	cfg = cfg.withDefaults()
	size := 64
	for size < 2*cfg.MaxPackets {
		size *= 2
	}
	b := &Buffer{
		cfg:        cfg,
		frameUnits: int64(cfg.FrameDuration) * int64(cfg.ClockRate) / int64(time.Second),
		frameNs:    int64(cfg.FrameDuration),
		mask:       int64(size - 1),
	}
	return b
}

// alloc makes the ring and the transit window, on the first packet: a
// call that receives nothing (a load generator without RTP, a stream on
// hold from the start) does not pay for them.
func (b *Buffer) alloc() {
	b.ring = make([]slot, b.mask+1)
	b.transits = make([]int64, b.cfg.Window)
	b.scratch = make([]int64, b.cfg.Window)
}

// Reset empties the buffer and forgets the stream, keeping the counters.
func (b *Buffer) Reset() {
	for i := range b.ring {
		b.ring[i].valid = false
	}
	b.count = 0
	b.started = false
	b.haveTS = false
	b.playing = false
	b.havePlayed = false
	b.underrun = 0
	b.tIdx, b.tCount, b.pushes = 0, 0, 0
	b.haveTarget = false
	b.haveTransit = false
	b.jitterNs = 0
	b.seen = [256]int64{}
}

func (b *Buffer) ns(t time.Time) int64 { return int64(t.Sub(b.epoch)) }

func (b *Buffer) tsNs(tsExt int64) int64 {
	return tsExt * int64(time.Second) / int64(b.cfg.ClockRate)
}

// Push adds a packet that arrived at now. It reports whether the packet was
// stored (false for late packets, duplicates and packets too far out).
func (b *Buffer) Push(p Packet, now time.Time) bool {
	if b.started && p.SSRC != b.ssrc {
		// RFC 3550 §8.2: a new SSRC is a new source; start over.
		b.Reset()
		b.st.SSRCChanges++
	}
	if !b.started {
		if b.ring == nil {
			b.alloc()
		}
		b.started = true
		b.ssrc = p.SSRC
		b.epoch = now
		b.maxExt = int64(p.SequenceNumber) + 1<<16 // room to go backwards
		b.lastSeq = p.SequenceNumber
	}
	// RFC 3550 A.1: extend the sequence number relative to the highest seen.
	ext := b.maxExt + int64(int16(p.SequenceNumber-b.lastSeq))
	if d := ext - b.maxExt; d > 3000 || d < -3000 {
		// A jump beyond MAX_DROPOUT: the sender restarted its sequence.
		b.Reset()
		b.st.Resyncs++
		return b.Push(p, now)
	}
	if b.seen[ext&255] == ext+1 {
		b.st.Duplicate++
		return false
	}
	if b.havePlayed && ext < b.nextExt {
		b.seen[ext&255] = ext + 1
		b.st.Late++
		b.observe(p, now) // late packets are the reason to grow
		return false
	}
	b.seen[ext&255] = ext + 1
	if ext > b.maxExt {
		b.maxExt = ext
		b.lastSeq = p.SequenceNumber
	}
	tsExt := b.observe(p, now)

	// Make room: the ring covers a window of sequence numbers, and at most
	// MaxPackets are held (the oldest go first).
	for b.count > 0 && (b.count >= b.cfg.MaxPackets || b.outOfWindow(ext)) {
		if !b.dropOldest() {
			break
		}
	}
	s := &b.ring[ext&b.mask]
	if s.valid && s.ext != ext {
		// The slot holds a packet a whole ring away.
		if s.ext > ext {
			b.st.Overflow++ // the new one is far older than what we hold
			return false
		}
		b.drop(s)
	}
	s.valid = true
	s.ext = ext
	s.tsExt = tsExt
	s.arrival = b.ns(now)
	s.buf = append(s.buf[:0], p.Payload...)
	s.pkt = p
	s.pkt.Payload = s.buf
	b.count++
	b.st.Received++
	return true
}

// observe updates the timing estimates from an audio packet and returns its
// extended timestamp.
func (b *Buffer) observe(p Packet, now time.Time) int64 {
	if !b.haveTS {
		b.haveTS = true
		b.lastTS = p.Timestamp
		b.lastTSEx = int64(p.Timestamp)
	}
	tsExt := b.lastTSEx + int64(int32(p.Timestamp-b.lastTS))
	if tsExt > b.lastTSEx {
		b.lastTSEx = tsExt
		b.lastTS = p.Timestamp
	}
	if p.Aux {
		return tsExt
	}
	transit := b.ns(now) - b.tsNs(tsExt)
	// RFC 3550 A.8: J += (|D| - J) / 16.
	if b.haveTransit {
		d := float64(transit - b.lastTransit)
		if d < 0 {
			d = -d
		}
		b.jitterNs += (d - b.jitterNs) / 16
	}
	b.lastTransit = transit
	b.haveTransit = true

	b.transits[b.tIdx] = transit
	b.tIdx = (b.tIdx + 1) % len(b.transits)
	if b.tCount < len(b.transits) {
		b.tCount++
	}
	b.pushes++
	if !b.haveTarget {
		b.minTransit = transit
		b.targetOffset = transit + int64(b.cfg.InitialDelay)
		b.haveTarget = true
	} else if b.pushes%16 == 0 || b.tCount < 16 {
		b.retarget()
	}
	return tsExt
}

// retarget sets the target playout offset to the configured quantile of the
// transit window, bounded by MinDelay and MaxDelay above the fastest packet.
func (b *Buffer) retarget() {
	w := b.scratch[:b.tCount]
	copy(w, b.transits[:b.tCount])
	slices.Sort(w)
	b.minTransit = w[0]
	q := w[int(float64(len(w)-1)*b.cfg.Quantile+0.5)]
	// A small margin so a packet exactly at the quantile is on time.
	delay := q - b.minTransit + b.frameNs/4
	if b.tCount < 50 && delay < int64(b.cfg.InitialDelay) {
		delay = int64(b.cfg.InitialDelay) // too few samples to trust yet
	}
	if delay < int64(b.cfg.MinDelay) {
		delay = int64(b.cfg.MinDelay)
	}
	if delay > int64(b.cfg.MaxDelay) {
		delay = int64(b.cfg.MaxDelay)
	}
	// Rise at once (late packets are worse than delay); fall by at most half
	// a frame per update, so a calmer window lowers the target gradually and
	// the shrinking can wait for silence instead of cutting speech.
	next := b.minTransit + delay
	if step := b.frameNs / 2; next < b.targetOffset-step {
		next = b.targetOffset - step
	}
	b.targetOffset = next
}

// outOfWindow reports whether ext cannot share the ring with the oldest
// packet held.
func (b *Buffer) outOfWindow(ext int64) bool {
	if b.playing && ext-b.nextExt <= b.mask {
		return false // everything held is at or after nextExt
	}
	return ext-b.oldest() > b.mask
}

func (b *Buffer) oldest() int64 {
	best := int64(-1)
	for i := range b.ring {
		if s := &b.ring[i]; s.valid && (best < 0 || s.ext < best) {
			best = s.ext
		}
	}
	return best
}

func (b *Buffer) dropOldest() bool {
	o := b.oldest()
	if o < 0 {
		b.count = 0
		return false
	}
	b.drop(&b.ring[o&b.mask])
	return true
}

// drop discards a held packet to make room.
func (b *Buffer) drop(s *slot) {
	s.valid = false
	b.count--
	b.st.Overflow++
	if b.playing && s.ext >= b.nextExt {
		b.st.Lost += uint64(s.ext - b.nextExt) // never arrived
		b.nextExt = s.ext + 1
	}
}

// PeekNext returns the packet that the next Pop would play, if it is here.
// After Pop returned Lost it is the packet following the lost one, whose
// Opus in-band FEC can stand in for the lost frame (RFC 6716 §2.1.7).
func (b *Buffer) PeekNext() (Packet, bool) {
	if !b.playing {
		return Packet{}, false
	}
	s := &b.ring[b.nextExt&b.mask]
	if !s.valid || s.ext != b.nextExt {
		return Packet{}, false
	}
	return s.pkt, true
}

// Pop returns the frame for the playout tick at now. The packet's Payload
// is valid until the next Push or Pop.
func (b *Buffer) Pop(now time.Time) (Packet, Status) {
	if !b.started {
		return Packet{}, Buffering
	}
	nowNs := b.ns(now)
	if !b.playing {
		head := b.oldest()
		if head < 0 {
			return Packet{}, Buffering
		}
		s := &b.ring[head&b.mask]
		due := nowNs-s.arrival >= int64(b.cfg.InitialDelay)
		if !s.pkt.Aux && b.haveTarget {
			due = nowNs-b.tsNs(s.tsExt) >= b.targetOffset
		}
		if !due {
			return Packet{}, Buffering
		}
		if b.havePlayed && head > b.nextExt {
			b.st.Lost += uint64(head - b.nextExt)
		}
		b.playing = true
		b.havePlayed = true
		b.nextExt = head
		b.lastPlayExt = head - 1
		b.lastPlayTS = s.tsExt - b.frameUnits
		b.lastShrinkNs = nowNs
	}

	s := &b.ring[b.nextExt&b.mask]
	if !s.valid || s.ext != b.nextExt {
		b.curOffset = nowNs - b.tsNs(b.lastPlayTS+b.frameUnits*(b.nextExt-b.lastPlayExt))
		if b.count == 0 {
			// Nothing at all: the packet is late, lost at the tail, or the
			// sender paused (DTX, hold). Wait without advancing.
			b.st.Underruns++
			b.underrun++
			if b.underrun > b.cfg.MaxUnderrun {
				b.playing = false
				b.underrun = 0
				return Packet{}, Buffering
			}
			return Packet{}, Underrun
		}
		b.underrun = 0
		b.st.Lost++
		b.lastPlayTS += b.frameUnits * (b.nextExt - b.lastPlayExt)
		b.lastPlayExt = b.nextExt
		b.nextExt++
		return Packet{}, Lost
	}
	b.underrun = 0

	if !s.pkt.Aux {
		offset := nowNs - b.tsNs(s.tsExt)
		b.curOffset = offset
		excess := offset - b.targetOffset
		if excess < -b.frameNs/2 {
			// The target grew: insert one concealed frame.
			b.st.Inserted++
			b.lastShrinkNs = nowNs
			return Packet{}, Underrun
		}
		// The network calmed: drop one frame (the next one is here), at most
		// once per ShrinkInterval and preferably a silent one (waiting up to
		// 4×ShrinkInterval for one). Far too much
		// delay (after a stall of the playout clock) is shed at once: that
		// gap is audible already.
		for excess > b.frameNs && b.hasNext() &&
			(excess > 3*b.frameNs || nowNs-b.lastShrinkNs >= int64(b.cfg.ShrinkInterval) &&
				(b.cfg.IsSilence == nil || b.cfg.IsSilence(s.pkt.Payload) ||
					nowNs-b.lastShrinkNs >= 4*int64(b.cfg.ShrinkInterval))) {
			b.st.Dropped++
			b.lastShrinkNs = nowNs
			b.take(s)
			s = &b.ring[b.nextExt&b.mask]
			if s.pkt.Aux {
				break
			}
			offset = nowNs - b.tsNs(s.tsExt)
			b.curOffset = offset
			excess = offset - b.targetOffset
		}
	}
	b.take(s)
	b.st.Played++
	return s.pkt, OK
}

func (b *Buffer) hasNext() bool {
	n := &b.ring[(b.nextExt+1)&b.mask]
	return n.valid && n.ext == b.nextExt+1
}

func (b *Buffer) take(s *slot) {
	s.valid = false
	b.count--
	b.lastPlayExt = s.ext
	b.lastPlayTS = s.tsExt
	b.nextExt = s.ext + 1
}

// Stats returns the counters and the current delays.
func (b *Buffer) Stats() Stats {
	st := b.st
	st.Jitter = time.Duration(b.jitterNs)
	st.Buffered = b.count
	if b.haveTarget {
		st.TargetDelay = time.Duration(b.targetOffset - b.minTransit)
		st.Delay = st.TargetDelay
	}
	if b.playing && b.haveTarget {
		// Offset of the frame that plays next, measured at its due time.
		st.Delay = time.Duration(b.curOffset - b.minTransit)
	}
	return st
}
