package rtpsession

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// rtcpDelay is the time to the next compound report (RFC 3550 §6.3.1: the
// deterministic interval times a uniform factor in [0.5, 1.5], divided by
// e − 3/2 to compensate for the timer reconsideration bias). The clock
// sends the first report after half of one (§6.2's minimum for the first
// report).
func (s *Session) rtcpDelay() time.Duration {
	const compensation = 1.21828 // e − 3/2
	f := (0.5 + rand.Float64()) / compensation
	return time.Duration(float64(s.opts.RTCPInterval) * f)
}

// buildReport returns the compound RTCP packet: SR if we sent RTP since
// the last two reports, RR otherwise, with one report block for the remote
// source, then SDES CNAME (RFC 3550 §6.1), then BYE if asked. Called with
// mu held.
func (s *Session) buildReport(now time.Time, bye bool) []rtcp.Packet {
	var blocks []rtcp.ReceptionReport
	if s.haveSSRC && s.rx.started {
		// RFC 3550 §6.4.1 / A.3.
		rr := rtcp.ReceptionReport{
			SSRC:               s.remoteSSRC,
			FractionLost:       s.rx.fraction(),
			TotalLost:          uint32(s.rx.cumulativeLost()) & 0xFFFFFF,
			LastSequenceNumber: s.rx.extMax(),
			Jitter:             uint32(s.rx.jitter),
		}
		if s.lsr != 0 {
			rr.LastSenderReport = s.lsr
			rr.Delay = uint32(now.Sub(s.lsrAt) * 65536 / time.Second)
		}
		blocks = append(blocks, rr)
	}
	var pkts []rtcp.Packet
	// §6.4: an SR if we sent data since the last report or the one before.
	sender := s.weSent || s.weSentPrev
	s.weSentPrev, s.weSent = s.weSent, false
	if sender {
		// The RTP timestamp of "now" on the sending clock (§6.4.1).
		rtpNow := s.ts - uint32(int64(s.tsDeadline.Sub(now))*int64(s.cs.c.ClockRate())/int64(time.Second))
		pkts = append(pkts, &rtcp.SenderReport{
			SSRC: s.ssrc, NTPTime: ntpTime(now), RTPTime: rtpNow,
			PacketCount: uint32(s.sent), OctetCount: uint32(s.sentOctets), Reports: blocks,
		})
	} else {
		pkts = append(pkts, &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks})
	}
	pkts = append(pkts, &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: s.ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: s.cname}},
	}}})
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{s.ssrc}})
	}
	return pkts
}

func (s *Session) sendRTCP(bye bool) {
	now := time.Now()
	s.mu.Lock()
	to := s.remoteRTCP
	if !to.IsValid() {
		s.mu.Unlock()
		return
	}
	pkts := s.buildReport(now, bye)
	s.rtcpSent++
	s.mu.Unlock()
	raw, err := rtcp.Marshal(pkts)
	if err != nil {
		s.log.Warn("rtcp marshal failed", "err", err)
		return
	}
	k := s.rtcpSock
	if k == nil {
		k = s.rtpSock
	}
	_ = k.writeTo(raw, to)
}

func (s *Session) handleRTCP(b []byte, from netip.AddrPort, now time.Time) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rtcpRecv++
	// Follow the peer's real RTCP source once its RTP has latched, or
	// when it comes from the RTP peer's address (NAT rewrote the port).
	if s.opts.LatchPackets >= 0 && !s.opts.RTCPMux && from != s.remoteRTCP && s.remote.IsValid() && from.Addr() == s.remote.Addr() {
		s.remoteRTCP = from
	}
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			// Remember LSR = middle 32 bits of the NTP timestamp and when it
			// arrived, for the DLSR of our next report (§6.4.1).
			s.lsr = uint32(p.NTPTime >> 16)
			s.lsrAt = now
			s.useBlocks(p.Reports, now)
		case *rtcp.ReceiverReport:
			s.useBlocks(p.Reports, now)
		case *rtcp.Goodbye:
			for _, src := range p.Sources {
				if s.haveSSRC && src == s.remoteSSRC {
					s.emit(ByeEvent{SSRC: src})
				}
			}
		}
	}
}

// useBlocks takes the report block about our SSRC: the peer's view of our
// stream and the round-trip time A − LSR − DLSR (RFC 3550 §6.4.1).
func (s *Session) useBlocks(blocks []rtcp.ReceptionReport, now time.Time) {
	for _, b := range blocks {
		if b.SSRC != s.ssrc {
			continue
		}
		lost := int32(b.TotalLost<<8) >> 8 // sign-extend 24 bits
		s.peerReport = &reportView{
			fraction: float64(b.FractionLost) / 256,
			lost:     lost,
			jitter:   time.Duration(int64(b.Jitter) * int64(time.Second) / int64(s.cs.c.ClockRate())),
		}
		if b.LastSenderReport != 0 {
			a := ntpMiddle(now)
			rtt := int64(a - b.LastSenderReport - b.Delay)
			if rtt >= 0 && rtt < 60<<16 {
				s.rtt = time.Duration(rtt * int64(time.Second) >> 16)
			}
		}
	}
}
