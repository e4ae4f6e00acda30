package rtpsession

import (
	"time"
)

// RFC 3550 Appendix A.1 constants.
const (
	maxDropout  = 3000
	maxMisorder = 100
	seqMod      = 1 << 16
)

// rxStats is the per-source reception state of RFC 3550 Appendix A.1, A.3
// and A.8, from which receiver report blocks are built.
type rxStats struct {
	started       bool
	maxSeq        uint16
	cycles        uint32 // shifted count of seq number cycles
	baseSeq       uint32
	badSeq        uint32
	received      uint32
	expectedPrior uint32
	receivedPrior uint32
	transit       int64
	haveTransit   bool
	jitter        float64 // in timestamp units (A.8)
	lastFraction  uint8
}

func (s *rxStats) init(seq uint16) {
	s.baseSeq = uint32(seq)
	s.maxSeq = seq
	s.badSeq = seqMod + 1
	s.cycles = 0
	s.received = 0
	s.receivedPrior = 0
	s.expectedPrior = 0
}

// update is RFC 3550 A.1 update_seq without the probation period (the
// session already validates payload type and version). It reports whether
// the packet counts.
func (s *rxStats) update(seq uint16) bool {
	udelta := seq - s.maxSeq
	switch {
	case udelta < maxDropout:
		if seq < s.maxSeq {
			s.cycles += seqMod // wrapped
		}
		s.maxSeq = seq
	case uint32(udelta) <= seqMod-maxMisorder:
		// A very large jump.
		if uint32(seq) == s.badSeq {
			// Two sequential packets: the source restarted.
			s.init(seq)
		} else {
			s.badSeq = (uint32(seq) + 1) & (seqMod - 1)
			return false
		}
	default:
		// Duplicate or reordered packet.
	}
	s.received++
	return true
}

// jitterUpdate is RFC 3550 A.8: transit = arrival - timestamp, both in
// timestamp units; J += (|D| - J) / 16.
func (s *rxStats) jitterUpdate(arrivalUnits int64, ts uint32) {
	transit := arrivalUnits - int64(ts)
	if s.haveTransit {
		d := transit - s.transit
		// A timestamp wrap shows as a jump of ~2^32: fold it back.
		d = int64(int32(d))
		if d < 0 {
			d = -d
		}
		s.jitter += (float64(d) - s.jitter) / 16
	}
	s.transit = transit
	s.haveTransit = true
}

func (s *rxStats) extMax() uint32 { return s.cycles + uint32(s.maxSeq) }

func (s *rxStats) cumulativeLost() int32 {
	expected := int64(s.extMax()) - int64(s.baseSeq) + 1
	lost := expected - int64(s.received)
	// 24-bit signed field (RFC 3550 §6.4.1).
	if lost > 0x7FFFFF {
		lost = 0x7FFFFF
	}
	if lost < -0x800000 {
		lost = -0x800000
	}
	return int32(lost)
}

// fraction is A.3's fraction lost since the last call, 8-bit fixed point.
func (s *rxStats) fraction() uint8 {
	expected := s.extMax() - s.baseSeq + 1
	expectedInterval := expected - s.expectedPrior
	s.expectedPrior = expected
	receivedInterval := s.received - s.receivedPrior
	s.receivedPrior = s.received
	lostInterval := int64(expectedInterval) - int64(receivedInterval)
	if expectedInterval == 0 || lostInterval <= 0 {
		s.lastFraction = 0
	} else {
		s.lastFraction = uint8((lostInterval << 8) / int64(expectedInterval))
	}
	return s.lastFraction
}

// ntpTime converts t to the 64-bit NTP format (RFC 3550 §4).
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	ns := t.UnixNano()
	sec := uint64(ns/1e9) + ntpEpochOffset
	frac := (uint64(ns%1e9) << 32) / 1e9
	return sec<<32 | frac
}

// ntpMiddle is the middle 32 bits of an NTP timestamp (LSR, RFC 3550 §6.4.1).
func ntpMiddle(t time.Time) uint32 { return uint32(ntpTime(t) >> 16) }
