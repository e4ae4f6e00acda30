package dtmf

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadConfig is returned for a clock rate or packet time that cannot work.
var ErrBadConfig = errors.New("dtmf: bad configuration")

// SenderConfig sets the sender's timing. Zero fields take the defaults.
type SenderConfig struct {
	// ClockRate of the telephone-event payload type (8000 by default; it
	// must match the audio codec's RTP clock rate, RFC 4733 §2.1).
	ClockRate int
	// PacketTime is the interval between event packets, normally the audio
	// ptime (20 ms default). RFC 4733 §2.5.1.2 suggests 50 ms or less.
	PacketTime time.Duration
	// MinDuration is the shortest tone sent (100 ms default); shorter
	// requests are lengthened (ITU-T Q.24 receivers need ≥ 40 ms, many
	// gateways want more).
	MinDuration time.Duration
	// MinGap is the shortest pause between two digits (50 ms default).
	MinGap time.Duration
	// Volume in -dBm0 (0..63), 10 by default (RFC 4733 §2.3.4).
	Volume uint8
	// EndRepeats is how many times the end packet is sent (3 by default,
	// RFC 4733 §2.5.1.4).
	EndRepeats int
}

func (c SenderConfig) withDefaults() SenderConfig {
	if c.ClockRate == 0 {
		c.ClockRate = 8000
	}
	if c.PacketTime == 0 {
		c.PacketTime = 20 * time.Millisecond
	}
	if c.MinDuration == 0 {
		c.MinDuration = 100 * time.Millisecond
	}
	if c.MinGap == 0 {
		c.MinGap = 50 * time.Millisecond
	}
	if c.Volume == 0 {
		c.Volume = 10
	}
	if c.EndRepeats == 0 {
		c.EndRepeats = 3
	}
	return c
}

// Packet is one telephone-event RTP packet the sender wants sent.
type Packet struct {
	Marker    bool   // RTP marker: set on the first packet of an event (§2.5.1.1)
	Timestamp uint32 // RTP timestamp: the start of the event (segment) (§2.5.1.1)
	Payload   Payload
}

type queued struct {
	event    uint8
	duration uint32 // timestamp units
}

// Sender schedules RFC 4733 §2.5.1 packets for queued digits. It is driven
// by the caller once per packet time through Tick and is not safe for
// concurrent use.
type Sender struct {
	cfg     SenderConfig
	frameTS uint32 // timestamp units per packet time
	gapTick int    // packet times of silence between digits
	queue   []queued

	// current event
	active   bool
	cur      queued
	segTS    uint32 // timestamp of the current segment
	segBase  uint32 // elapsed units at the start of the current segment
	elapsed  uint32 // units sent so far (duration of the event)
	first    bool   // next packet is the first of the event
	endsLeft int    // end packets still to send
	gapLeft  int    // idle ticks before the next event may start
}

// NewSender returns a sender for cfg.
func NewSender(cfg SenderConfig) (*Sender, error) {
	cfg = cfg.withDefaults()
	if cfg.ClockRate < 1000 || cfg.PacketTime < time.Millisecond || cfg.EndRepeats < 1 || cfg.Volume > 63 {
		return nil, fmt.Errorf("%w: clock %d Hz, packet time %v", ErrBadConfig, cfg.ClockRate, cfg.PacketTime)
	}
	s := &Sender{cfg: cfg}
	s.frameTS = s.units(cfg.PacketTime)
	s.gapTick = int((cfg.MinGap + cfg.PacketTime - 1) / cfg.PacketTime)
	return s, nil
}

func (s *Sender) units(d time.Duration) uint32 {
	return uint32(int64(d) * int64(s.cfg.ClockRate) / int64(time.Second))
}

// Enqueue adds digits (0-9 * # A-D, '!' for flash) to be sent, each lasting
// d (raised to MinDuration). Nothing is queued if any digit is invalid.
func (s *Sender) Enqueue(digits string, d time.Duration) error {
	if d < s.cfg.MinDuration {
		d = s.cfg.MinDuration
	}
	dur := s.units(d)
	// Round up to whole packet times so the last update carries the end.
	if r := dur % s.frameTS; r != 0 {
		dur += s.frameTS - r
	}
	add := make([]queued, 0, len(digits))
	for _, r := range digits {
		ev, err := EventCode(r)
		if err != nil {
			return err
		}
		add = append(add, queued{event: ev, duration: dur})
	}
	s.queue = append(s.queue, add...)
	return nil
}

// Busy reports whether an event is being sent or digits are queued. While
// only the inter-digit gap remains, Busy is true but Tick returns ok=false.
func (s *Sender) Busy() bool {
	return s.active || len(s.queue) > 0 || s.gapLeft > 0
}

// Pending is the number of digits queued and not yet started.
func (s *Sender) Pending() int { return len(s.queue) }

// Reset drops the queue and any event in progress (used when the payload
// type or the clock changes). An event cut short is not ended.
func (s *Sender) Reset() {
	s.queue = s.queue[:0]
	s.active = false
	s.gapLeft = 0
}

// Tick is called once per packet time with the RTP timestamp the audio frame
// of this tick would carry. When ok is true the caller sends pkt instead of
// audio (RFC 4733 §2.5.1.1: the event replaces the audio it overlaps, on the
// same SSRC and sequence space).
func (s *Sender) Tick(ts uint32) (pkt Packet, ok bool) {
	if !s.active {
		if s.gapLeft > 0 {
			s.gapLeft--
			return Packet{}, false
		}
		if len(s.queue) == 0 {
			return Packet{}, false
		}
		s.cur = s.queue[0]
		s.queue = s.queue[1:]
		s.active = true
		s.first = true
		s.segTS = ts // §2.5.1.1: the event timestamp is the time it began
		s.segBase = 0
		s.elapsed = 0
		s.endsLeft = s.cfg.EndRepeats
	}
	p := Payload{Event: s.cur.event, Volume: s.cfg.Volume}
	if s.elapsed < s.cur.duration {
		next := s.elapsed + s.frameTS
		if next > s.cur.duration {
			next = s.cur.duration
		}
		// §2.5.1.3: a duration past 0xFFFF starts a new segment. The packet
		// that would overflow is sent with the maximum duration and the
		// following packets carry the segment's start as timestamp, no marker.
		if next-s.segBase > MaxDuration {
			if s.elapsed-s.segBase < MaxDuration {
				s.elapsed = s.segBase + MaxDuration
				p.Duration = MaxDuration
				pkt = Packet{Marker: s.first, Timestamp: s.segTS, Payload: p}
				s.first = false
				return pkt, true
			}
			s.segBase += MaxDuration
			s.segTS += MaxDuration
		}
		s.elapsed = next
	}
	p.Duration = uint16(s.elapsed - s.segBase)
	if s.elapsed >= s.cur.duration {
		// §2.5.1.4: the end packet, sent EndRepeats times with the same
		// timestamp and duration.
		p.End = true
		s.endsLeft--
		if s.endsLeft == 0 {
			s.active = false
			s.gapLeft = s.gapTick
		}
	}
	pkt = Packet{Marker: s.first, Timestamp: s.segTS, Payload: p}
	s.first = false
	return pkt, true
}
