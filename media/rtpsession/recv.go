package rtpsession

import (
	"math"
	"net/netip"
	"time"

	"github.com/pion/rtp"
	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/dtmf"
	"github.com/teaphone/teaphone/media/jitter"
)

// cnPayloadType is the static comfort-noise payload type (RFC 3551 §6,
// RFC 3389).
const cnPayloadType = 13

// isRTCP tells RTCP from RTP on a muxed socket by the second octet
// (RFC 5761 §4: RTCP packet types 192–223 fall where RTP's M bit and
// payload type would be, and RTP payload types 64–95 are avoided).
func isRTCP(b []byte) bool {
	return len(b) >= 2 && b[1] >= 192 && b[1] <= 223
}

const (
	// pollBatch is how many datagrams one read takes (one recvmmsg on
	// Linux). A play tick usually finds one RTP packet (two for a peer
	// sending 10 ms frames).
	pollBatch = 4
	// pollBudget bounds the datagrams one poll of one socket reads, so a
	// flood on one call's port cannot hold up the clock's other calls:
	// what is left stays queued (and the kernel drops the excess).
	pollBudget = 16 * pollBatch
)

// drain reads what k has queued, up to pollBudget datagrams, and handles
// it. Called from tick for a polled socket.
func (s *Session) drain(sc *pollScratch, k *sock, isRTCPSocket bool, now time.Time) {
	for read := 0; read < pollBudget; {
		n := sc.read(k)
		for i := range n {
			b, from, at := sc.packet(i, now)
			s.receive(&s.rxPkt, b, from, at, isRTCPSocket)
		}
		if n < pollBatch {
			return // the queue is empty (or the socket closed)
		}
		read += n
	}
}

// receive handles one datagram from the RTP socket (RTP, or RTCP too with
// rtcp-mux) or from the RTCP socket, received at now; pkt is scratch.
func (s *Session) receive(pkt *rtp.Packet, b []byte, from netip.AddrPort, now time.Time, isRTCPSocket bool) {
	if isRTCPSocket || (s.opts.RTCPMux && isRTCP(b)) {
		s.handleRTCP(b, from, now)
		return
	}
	if len(b) < 12 || b[0]>>6 != 2 {
		return // not RTP version 2 (RFC 3550 §5.1)
	}
	if err := pkt.Unmarshal(b); err != nil {
		return
	}
	s.handleRTP(pkt, from, now)
}

func (s *Session) handleRTP(p *rtp.Packet, from netip.AddrPort, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := p.PayloadType
	kind := 0 // 1 audio, 2 telephone-event, 3 comfort noise
	switch {
	case pt == s.cs.pt:
		kind = 1
	case s.dtmfPT != 0 && pt == s.dtmfPT:
		kind = 2
	case pt == cnPayloadType:
		kind = 3
	default:
		s.unknownPT++
		return
	}
	s.latch(from, p.SSRC)

	if s.haveSSRC && p.SSRC != s.remoteSSRC {
		s.emit(SSRCChangedEvent{Old: s.remoteSSRC, New: p.SSRC})
		s.log.Debug("rtp ssrc changed", "old", s.remoteSSRC, "new", p.SSRC)
		s.rx = rxStats{}
		s.dtmfRx.Reset()
		s.lsr, s.lsrAt = 0, time.Time{}
	}
	s.remoteSSRC, s.haveSSRC = p.SSRC, true
	s.lastRTP = now
	if s.inactive {
		s.inactive = false
		s.emit(ResumedEvent{})
	}
	if !s.rx.started {
		// RFC 3550 A.1 init_seq, then count the packet.
		s.rx.started = true
		s.rx.init(p.SequenceNumber)
		s.rx.received++
	} else if !s.rx.update(p.SequenceNumber) {
		return
	}
	if kind == 1 {
		units := int64(now.Sub(s.start)) * int64(s.cs.c.ClockRate()) / int64(time.Second)
		s.rx.jitterUpdate(units, p.Timestamp)
	}
	if !s.dir.Receives() {
		return
	}
	jp := jitter.Packet{
		SequenceNumber: p.SequenceNumber, Timestamp: p.Timestamp, SSRC: p.SSRC,
		PayloadType: pt, Marker: p.Marker, Aux: kind != 1, Payload: p.Payload,
	}
	if kind == 2 {
		var ev dtmf.Payload
		if ev.Unmarshal(p.Payload) == nil {
			s.evBuf = s.dtmfRx.Handle(s.evBuf[:0], p.Timestamp, p.Marker, ev, now)
			s.emitDTMF()
		}
	}
	s.jb.Push(jp, now)
}

// latch implements symmetric RTP (RFC 4961 behaviour towards NATed peers):
// after LatchPackets consecutive valid packets from one address other than
// the remote, send there instead. Called with mu held.
func (s *Session) latch(from netip.AddrPort, _ uint32) {
	if s.opts.LatchPackets < 0 || from == s.remote {
		s.latchCount = 0
		return
	}
	if from != s.latchFrom {
		s.latchFrom, s.latchCount = from, 0
	}
	s.latchCount++
	if s.latchCount < s.opts.LatchPackets {
		return
	}
	old := s.remote
	s.remote = from
	if s.opts.RTCPMux {
		s.remoteRTCP = from
	} else if !s.rtcpSet || s.remoteRTCP.Addr() != from.Addr() {
		s.remoteRTCP = netip.AddrPortFrom(from.Addr(), from.Port()+1)
	}
	s.latched = true
	s.latchCount = 0
	s.log.Debug("rtp latched", "from", old, "to", from)
	s.emit(LatchedEvent{From: old, To: from})
}

func (s *Session) emitDTMF() {
	for _, e := range s.evBuf {
		s.emit(DTMFEvent{Digit: e.Digit, Code: e.Code, Duration: e.Duration, EndLost: e.EndLost})
	}
}

// rxState is owned by the clock (used under tickMu).
type rxState struct {
	pcm       []int16
	fifo      []int16
	out       []int16
	rs        *audio.Resampler
	cnLevel   float64 // comfort-noise amplitude; 0 = not in CN
	noise     uint32
	underruns int
}

// playDue pulls one frame per ptime from the jitter buffer, on absolute
// deadlines half a frame after the sender's, and decodes or conceals it
// into the sink.
func (s *Session) playDue(now time.Time) {
	for !s.playAt.After(now) {
		deadline := s.playAt
		if lag := now.Sub(deadline); lag > 5*s.ptime {
			s.playN += int64(lag / s.ptime)
		} else {
			// The jitter buffer sees the ideal playout clock: a tick that
			// runs late (scheduling) still pops the frame due at its
			// deadline.
			s.playFrame(s.rxs, deadline)
			s.playN++
		}
		s.playAt = s.playFrom.Add(time.Duration(s.playN) * s.ptime)
	}
}

func (s *Session) playFrame(st *rxState, now time.Time) {
	s.mu.Lock()
	cs := s.cs
	s.evBuf = s.dtmfRx.Expire(s.evBuf[:0], now)
	s.emitDTMF()
	s.checkInactivity(now)
	receiving := s.dir.Receives()
	s.mu.Unlock()

	// Fill one frame, decoding as many packets as that takes (the peer's
	// ptime may differ from ours); at most a few per tick.
	for i := 0; i < 4 && len(st.fifo) < cs.samples; i++ {
		s.mu.Lock()
		p, status := s.jb.Pop(now)
		pt := p.PayloadType
		s.rxPayload = append(s.rxPayload[:0], p.Payload...)
		payload := s.rxPayload
		s.mu.Unlock()
		var err error
		switch status {
		case jitter.OK:
			st.underruns = 0
			switch {
			case pt == cs.pt:
				st.cnLevel = 0
				st.fifo, err = cs.dec.Decode(st.fifo, payload)
				s.count(&s.playedOK)
			case pt == cnPayloadType:
				// RFC 3389 §3: the first octet is the noise level in -dBov.
				if len(payload) > 0 {
					st.cnLevel = audio.FullScale * math.Pow(10, -float64(payload[0]&0x7F)/20)
				}
				st.fifo = st.appendNoise(st.fifo, cs.samples)
			default: // telephone-event: the tone is signalled, play silence
				st.fifo = appendZeros(st.fifo, cs.samples)
			}
		case jitter.Lost:
			st.fifo, err = s.concealLost(st, cs)
		case jitter.Underrun:
			st.underruns++
			if st.underruns <= 3 {
				st.fifo, err = s.conceal(st, cs)
			} else {
				st.fifo = st.appendNoise(st.fifo, cs.samples)
			}
		default: // Buffering
			st.fifo = st.appendNoise(st.fifo, cs.samples)
		}
		if err != nil {
			st.fifo = appendZeros(st.fifo, cs.samples)
		}
		if status != jitter.OK && status != jitter.Lost {
			break
		}
	}
	k := min(cs.samples, len(st.fifo))
	st.out = append(st.out[:0], st.fifo[:k]...)
	st.fifo = append(st.fifo[:0], st.fifo[k:]...)
	if len(st.fifo) > 8*cs.samples {
		st.fifo = st.fifo[:0]
	}
	sink := s.opts.Sink
	if sink == nil {
		return
	}
	frame := st.out
	if !receiving {
		clear(frame)
	}
	if sr := sink.SampleRate(); sr != cs.c.SampleRate() {
		if st.rs == nil || st.rs.InRate() != cs.c.SampleRate() || st.rs.OutRate() != sr {
			rs, err := audio.NewResampler(cs.c.SampleRate(), sr)
			if err != nil {
				return
			}
			st.rs = rs
		}
		st.pcm = st.rs.Process(st.pcm[:0], frame)
		frame = st.pcm
	}
	if _, err := sink.Write(frame); err != nil {
		s.count(&s.sinkErrs)
	}
}

// fecDecoder is implemented by decoders that can rebuild a lost frame from
// the next packet's in-band FEC (Opus, RFC 6716 §2.1.7).
type fecDecoder interface {
	DecodeFEC(dst []int16, next []byte, n int) ([]int16, error)
}

// concealLost stands in for a lost frame: FEC from the following packet
// when the decoder has it and the packet is already here, PLC otherwise.
func (s *Session) concealLost(st *rxState, cs codecState) ([]int16, error) {
	if fec, ok := cs.dec.(fecDecoder); ok && st.cnLevel == 0 {
		s.mu.Lock()
		next, ok := s.jb.PeekNext()
		if ok && next.PayloadType == cs.pt {
			s.rxPayload = append(s.rxPayload[:0], next.Payload...)
		}
		s.concealed++
		s.mu.Unlock()
		if ok && next.PayloadType == cs.pt {
			if out, err := fec.DecodeFEC(st.fifo, s.rxPayload, cs.samples); err == nil {
				return out, nil
			}
		}
		return cs.dec.Conceal(st.fifo, cs.samples)
	}
	return s.conceal(st, cs)
}

func (s *Session) conceal(st *rxState, cs codecState) ([]int16, error) {
	s.count(&s.concealed)
	if st.cnLevel > 0 {
		return st.appendNoise(st.fifo, cs.samples), nil
	}
	return cs.dec.Conceal(st.fifo, cs.samples)
}

func (s *Session) count(c *uint64) {
	s.mu.Lock()
	*c++
	s.mu.Unlock()
}

// checkInactivity raises InactivityEvent once per silent spell. Called with
// mu held.
func (s *Session) checkInactivity(now time.Time) {
	if s.opts.InactivityTimeout < 0 || s.inactive || !s.dir.Receives() {
		return
	}
	last := s.lastRTP
	if last.Before(s.watchSince) {
		last = s.watchSince
	}
	if silent := now.Sub(last); silent >= s.opts.InactivityTimeout {
		s.inactive = true
		s.emit(InactivityEvent{Silent: silent})
		s.log.Debug("rtp inactive", "silent", silent)
	}
}

func appendZeros(dst []int16, n int) []int16 {
	for range n {
		dst = append(dst, 0)
	}
	return dst
}

// appendNoise appends white noise at the comfort-noise level (silence
// when no CN was received).
func (st *rxState) appendNoise(dst []int16, n int) []int16 {
	if st.cnLevel <= 0 {
		return appendZeros(dst, n)
	}
	for range n {
		st.noise = st.noise*1664525 + 1013904223
		// Uniform in [-1, 1) has RMS 1/√3: scale so the RMS is cnLevel.
		u := float64(int32(st.noise)) / float64(1<<31) * st.cnLevel * 1.732
		dst = append(dst, int16(max(-32768, min(32767, u))))
	}
	return dst
}
