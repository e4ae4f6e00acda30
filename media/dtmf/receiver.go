package dtmf

import "time"

// ReceiverConfig sets the receiver's clock and timeout. Zero fields take
// the defaults.
type ReceiverConfig struct {
	// ClockRate of the telephone-event payload type (8000 by default).
	ClockRate int
	// Timeout ends an event whose end packets were all lost: with no packet
	// for this long the event is reported with its longest duration seen
	// (RFC 4733 §2.5.2.2). 250 ms by default.
	Timeout time.Duration
}

// Event is one received DTMF event, reported once when it ends.
type Event struct {
	Code  uint8 // RFC 4733 §3.2 event code
	Digit rune  // '0'-'9', '*', '#', 'A'-'D', '!' (flash); 0 for other codes
	// Duration of the whole event (all segments, §2.5.1.3).
	Duration time.Duration
	// Timestamp is the RTP timestamp of the event's start.
	Timestamp uint32
	Volume    uint8 // -dBm0
	// EndLost is true when no end packet arrived and the event was ended by
	// the timeout or by the start of the next event.
	EndLost bool
}

// Receiver turns telephone-event packets into events (RFC 4733 §2.5.2). It
// ignores duplicates and retransmitted end packets, survives a lost start
// (the marker bit is not required), ends an event whose end packets were lost
// when the next event starts or after Timeout, joins long-event segments, and
// tells repeated digits apart by their timestamps. Not safe for concurrent
// use.
type Receiver struct {
	cfg ReceiverConfig

	active   bool
	code     uint8
	volume   uint8
	startTS  uint32 // timestamp of the first segment
	segTS    uint32 // timestamp of the current segment
	segUnits uint32 // units in the segments before the current one
	maxDur   uint16 // longest duration seen in the current segment
	lastSeen time.Time

	// lastEndSeg is the final segment timestamp of the last reported event:
	// packets with this timestamp or older are duplicates or stale (§2.5.2.2).
	haveEnded  bool
	lastEndSeg uint32
}

// NewReceiver returns a receiver for cfg.
func NewReceiver(cfg ReceiverConfig) *Receiver {
	if cfg.ClockRate <= 0 {
		cfg.ClockRate = 8000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 250 * time.Millisecond
	}
	return &Receiver{cfg: cfg}
}

// Reset forgets all state (new SSRC, new payload type).
func (r *Receiver) Reset() {
	cfg := r.cfg
	*r = Receiver{cfg: cfg}
}

// after reports whether timestamp a is later than b, modulo 2^32.
func after(a, b uint32) bool { return int32(a-b) > 0 }

// Handle processes one telephone-event packet that arrived at now and
// appends any events it completes to dst.
func (r *Receiver) Handle(dst []Event, ts uint32, marker bool, p Payload, now time.Time) []Event {
	if r.haveEnded && !after(ts, r.lastEndSeg) {
		// Retransmitted end packet or a late packet of a reported event.
		return dst
	}
	if r.active {
		switch {
		case ts == r.segTS:
			if p.Event != r.code {
				// Same timestamp, different event: the sender changed its
				// mind; report what we had and start the new one.
				dst = r.finish(dst, true)
				return r.start(dst, ts, p, now)
			}
			if p.Duration > r.maxDur {
				r.maxDur = p.Duration
			}
			r.lastSeen = now
			if p.End {
				dst = r.finish(dst, false)
			}
			return dst
		case after(ts, r.segTS):
			// §2.5.1.3: the next segment of a long event starts exactly
			// 0xFFFF units after the previous one, without the marker bit.
			if p.Event == r.code && !marker && ts-r.segTS == MaxDuration {
				r.segUnits += MaxDuration
				r.segTS = ts
				r.maxDur = p.Duration
				r.lastSeen = now
				if p.End {
					dst = r.finish(dst, false)
				}
				return dst
			}
			// A later timestamp starts a new event: the current one lost its
			// end packets (§2.5.2.2).
			dst = r.finish(dst, true)
			return r.start(dst, ts, p, now)
		default:
			return dst // late packet of an earlier segment
		}
	}
	return r.start(dst, ts, p, now)
}

// Expire ends an event whose packets stopped arriving Timeout ago and
// appends it to dst. Call it every packet time or so.
func (r *Receiver) Expire(dst []Event, now time.Time) []Event {
	if r.active && now.Sub(r.lastSeen) >= r.cfg.Timeout {
		dst = r.finish(dst, true)
	}
	return dst
}

// Active reports whether an event is in progress (for suppressing audio
// playout while a tone is signalled, §2.5.2.1).
func (r *Receiver) Active() bool { return r.active }

func (r *Receiver) start(dst []Event, ts uint32, p Payload, now time.Time) []Event {
	r.active = true
	r.code = p.Event
	r.volume = p.Volume
	r.startTS = ts
	r.segTS = ts
	r.segUnits = 0
	r.maxDur = p.Duration
	r.lastSeen = now
	if p.End {
		// Only end packets arrived (start and updates lost).
		return r.finish(dst, false)
	}
	return dst
}

func (r *Receiver) finish(dst []Event, endLost bool) []Event {
	units := uint64(r.segUnits) + uint64(r.maxDur)
	d, _ := Digit(r.code)
	ev := Event{
		Code:      r.code,
		Digit:     d,
		Duration:  time.Duration(units * uint64(time.Second) / uint64(r.cfg.ClockRate)),
		Timestamp: r.startTS,
		Volume:    r.volume,
		EndLost:   endLost,
	}
	r.active = false
	r.haveEnded = true
	r.lastEndSeg = r.segTS
	return append(dst, ev)
}
