package rtpsession

import (
	"net/netip"
	"time"

	"github.com/teaphone/teaphone/media/jitter"
)

// Stats is a snapshot of the session.
type Stats struct {
	LocalSSRC, RemoteSSRC uint32
	Local, Remote         netip.AddrPort
	RemoteRTCP            netip.AddrPort
	Latched               bool // symmetric RTP moved Remote
	Codec                 string
	PayloadType           uint8
	Direction             Direction
	Muted                 bool

	// Sending.
	PacketsSent, OctetsSent uint64
	SourceUnderruns         uint64        // frames sent as silence because the source had none ready
	SendErrors              uint64        // failed socket writes
	SendInterval            time.Duration // mean gap between consecutive packets
	SendIntervalStdDev      time.Duration // its standard deviation (pacing jitter)
	SendIntervalMax         time.Duration
	NextSequence            uint16 // sequence number of the next packet
	NextTimestamp           uint32 // timestamp of the next frame

	// Receiving (RFC 3550 A.3 / A.8).
	PacketsReceived    uint64
	PacketsLost        int64   // cumulative, RFC 3550 §6.4.1 (may be negative with duplicates)
	FractionLost       float64 // in the last report interval
	ExtendedHighestSeq uint32
	Jitter             time.Duration // interarrival jitter
	UnknownPayload     uint64        // packets with a payload type we do not expect
	LastRTP            time.Time

	// Playout.
	JitterBuffer jitter.Stats
	FramesPlayed uint64
	Concealed    uint64 // frames produced by loss concealment

	// What the peer reports about our stream, and the round trip.
	RemoteFractionLost float64
	RemoteLost         int32
	RemoteJitter       time.Duration
	RTT                time.Duration // 0 until measured
	RTCPSent           uint64
	RTCPReceived       uint64

	// ITU-T G.107 estimate for what we hear (see the package doc).
	R   float64
	MOS float64
}

// Stats returns a snapshot.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	mean, std, mx := s.intervalStats()
	st := Stats{
		LocalSSRC: s.ssrc, RemoteSSRC: s.remoteSSRC,
		Local: s.local, Remote: s.remote, RemoteRTCP: s.remoteRTCP, Latched: s.latched,
		Codec: s.cs.c.Name(), PayloadType: s.cs.pt, Direction: s.dir, Muted: s.muted,
		PacketsSent: s.sent, OctetsSent: s.sentOctets, SourceUnderruns: s.srcUnder, SendErrors: s.sendErrs,
		SendInterval: mean, SendIntervalStdDev: std, SendIntervalMax: mx,
		NextSequence: s.seq, NextTimestamp: s.ts,
		PacketsReceived: uint64(s.rx.received),
		FractionLost:    float64(s.rx.lastFraction) / 256,
		UnknownPayload:  s.unknownPT,
		LastRTP:         s.lastRTP,
		JitterBuffer:    s.jb.Stats(),
		FramesPlayed:    s.playedOK,
		Concealed:       s.concealed,
		RTT:             s.rtt,
		RTCPSent:        s.rtcpSent, RTCPReceived: s.rtcpRecv,
	}
	if s.rx.started {
		st.PacketsLost = int64(s.rx.cumulativeLost())
		st.ExtendedHighestSeq = s.rx.extMax()
		st.Jitter = time.Duration(s.rx.jitter * float64(time.Second) / float64(s.cs.c.ClockRate()))
	}
	if s.peerReport != nil {
		st.RemoteFractionLost = s.peerReport.fraction
		st.RemoteLost = s.peerReport.lost
		st.RemoteJitter = s.peerReport.jitter
	}
	// Loss as heard: frames concealed because their packet was lost or late.
	loss := 0.0
	if total := s.playedOK + st.JitterBuffer.Lost; total > 0 {
		loss = float64(st.JitterBuffer.Lost) / float64(total)
	}
	imp := CodecImpairment(st.Codec)
	oneWay := s.rtt/2 + st.JitterBuffer.Delay + s.ptime + imp.Lookahead
	st.R = RFactor(imp, loss, oneWay)
	st.MOS = MOS(st.R)
	return st
}
