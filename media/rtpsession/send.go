package rtpsession

import (
	"errors"
	"io"
	"math"
	"time"

	"github.com/pion/rtp"
	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/dtmf"
)

// captureLoop reads the source one frame at a time into capCh. A
// synthetic source is therefore read at the sender's pace (the queue is
// short); a device blocks in Read for its own frame time.
func (s *Session) captureLoop(src audio.Source) {
	for {
		var buf []int16
		select {
		case buf = <-s.freeCh:
		case <-s.done:
			return
		}
		n, err := src.Read(buf[:cap(buf)])
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.log.Warn("rtp source read failed; sending silence", "err", err)
			}
			return
		}
		select {
		case s.capCh <- buf[:n]:
		case <-s.done:
			return
		}
	}
}

// txState is owned by the clock (used under tickMu).
type txState struct {
	gen      int
	rs       *audio.Resampler
	fifo     []int16
	pcm      []int16
	pkt      []byte
	lastSent time.Time
	lastN    int64
}

// sendDue sends the frames whose deadlines have come. The deadlines are
// absolute, start + n·ptime on the monotonic clock, so the send rate
// neither drifts nor inherits the scheduling jitter of a previous frame.
func (s *Session) sendDue(now time.Time) {
	for !s.sendAt.After(now) {
		deadline := s.sendAt
		if lag := now.Sub(deadline); lag > 5*s.ptime {
			// After a long stall (suspend, debugger) skip the missed frames
			// instead of bursting them; the timestamp still advances.
			skip := int64(lag / s.ptime)
			s.mu.Lock()
			s.ts += uint32(skip) * s.cs.tsPerFrame
			s.marker = true
			s.mu.Unlock()
			s.sendN += skip
		} else {
			var frame []int16
			if s.poll != nil {
				if n := s.poll.Poll(s.pollBuf); n > 0 {
					frame = s.pollBuf[:n]
				}
			} else {
				select {
				case frame = <-s.capCh:
				default:
				}
			}
			s.sendFrame(s.tx, s.sendN, deadline, frame)
			if frame != nil && s.poll == nil {
				s.freeCh <- frame[:cap(frame)]
			}
			s.sendN++
		}
		s.sendAt = s.start.Add(time.Duration(s.sendN) * s.ptime)
	}
}

// sendFrame builds and sends the packet for frame time n, if any.
func (s *Session) sendFrame(st *txState, n int64, deadline time.Time, frame []int16) {
	s.mu.Lock()
	cs := s.cs
	ts := s.ts
	s.ts += cs.tsPerFrame // RFC 3550 §5.1: the timestamp follows the sampling clock
	s.tsDeadline = deadline.Add(s.ptime)
	if frame == nil && s.opts.Source != nil {
		s.srcUnder++
	}
	if !s.dir.Sends() || !s.remote.IsValid() {
		s.marker = true // the next packet starts a talkspurt
		s.mu.Unlock()
		return
	}
	remote := s.remote
	h := rtp.Header{Version: 2, SSRC: s.ssrc, Timestamp: ts}
	var ev dtmf.Packet
	isDTMF := false
	if s.dtmfPT != 0 {
		ev, isDTMF = s.dtmfTx.Tick(ts)
	}
	muted := s.muted
	dtmfPT := s.dtmfPT
	s.mu.Unlock()

	buf := st.pkt[:0]
	if isDTMF {
		// RFC 4733 §2.5.1.1: the event replaces audio; its timestamp is the
		// frame time the event began, the marker flags its first packet.
		h.PayloadType = dtmfPT
		h.Marker = ev.Marker
		h.Timestamp = ev.Timestamp
		hn := h.MarshalSize()
		buf = buf[:hn]
		buf = ev.Payload.Append(buf)
	} else {
		pcm := st.pcmFor(cs, frame, s.opts.Source, muted)
		h.PayloadType = cs.pt
		hn := h.MarshalSize()
		buf = buf[:hn]
		var err error
		buf, err = cs.enc.Encode(buf, pcm)
		if err != nil {
			s.log.Warn("rtp encode failed", "codec", cs.c.Name(), "err", err)
			return
		}
	}
	s.mu.Lock()
	h.SequenceNumber = s.seq
	s.seq++
	if !isDTMF {
		h.Marker = s.marker
		s.marker = false
	}
	s.sent++
	s.sentOctets += uint64(len(buf) - h.MarshalSize())
	s.weSent = true
	s.mu.Unlock()
	if _, err := h.MarshalTo(buf); err != nil {
		return
	}
	now := time.Now()
	if err := s.rtpSock.writeTo(buf, remote); err != nil {
		s.mu.Lock()
		s.sendErrs++
		s.mu.Unlock()
	}
	st.pkt = buf
	if n == st.lastN+1 {
		s.recordInterval(now.Sub(st.lastSent))
	}
	st.lastN, st.lastSent = n, now
}

// recordInterval keeps Welford's running mean and variance of the gap
// between consecutive packets (the send-interval jitter).
func (s *Session) recordInterval(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := float64(d)
	s.ivN++
	delta := x - s.ivMean
	s.ivMean += delta / float64(s.ivN)
	s.ivM2 += delta * (x - s.ivMean)
	if d > s.ivMax {
		s.ivMax = d
	}
}

func (s *Session) intervalStats() (mean, std, maxIv time.Duration) {
	if s.ivN < 2 {
		return time.Duration(s.ivMean), 0, s.ivMax
	}
	return time.Duration(s.ivMean), time.Duration(math.Sqrt(s.ivM2 / float64(s.ivN-1))), s.ivMax
}

// pcmFor returns one frame of PCM at the codec's rate: the source frame
// (resampled if the rates differ), or silence when muted or nothing came.
func (st *txState) pcmFor(cs codecState, frame []int16, src audio.Source, muted bool) []int16 {
	if cap(st.pcm) < cs.samples {
		st.pcm = make([]int16, cs.samples)
	}
	pcm := st.pcm[:cs.samples]
	if frame == nil || muted {
		clear(pcm)
		return pcm
	}
	rate := src.SampleRate()
	if rate == cs.c.SampleRate() && len(frame) == cs.samples && len(st.fifo) == 0 {
		copy(pcm, frame)
		return pcm
	}
	if rate != cs.c.SampleRate() {
		if st.rs == nil || st.gen != cs.gen || st.rs.OutRate() != cs.c.SampleRate() {
			rs, err := audio.NewResampler(rate, cs.c.SampleRate())
			if err != nil {
				clear(pcm)
				return pcm
			}
			st.rs, st.gen = rs, cs.gen
			st.fifo = st.fifo[:0]
		}
		st.fifo = st.rs.Process(st.fifo, frame)
	} else {
		st.fifo = append(st.fifo, frame...)
	}
	if len(st.fifo) > 4*cs.samples { // bound the latency
		st.fifo = append(st.fifo[:0], st.fifo[len(st.fifo)-cs.samples:]...)
	}
	k := copy(pcm, st.fifo)
	clear(pcm[k:])
	st.fifo = append(st.fifo[:0], st.fifo[k:]...)
	return pcm
}
