package rtpsession

import (
	"math"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
	"github.com/teaphone/teaphone/media/dtmf"
)

const toneDB = -10.0

// pair makes A (tone source) → B (recording sink) connected directly.
func pair(t *testing.T, oa, ob Options) (a, b *Session, rec *recSink) {
	t.Helper()
	rec = newRecSink(8000)
	if ob.Sink == nil {
		ob.Sink = rec
	}
	a = newSession(t, oa)
	b = newSession(t, ob)
	a.SetRemote(b.LocalAddr(), netip.AddrPort{})
	b.SetRemote(a.LocalAddr(), netip.AddrPort{})
	return a, b, rec
}

func TestToneRoundTrip(t *testing.T) {
	a, b, rec := pair(t, Options{Source: audio.NewTone(8000, 1000, toneDB), RTCPInterval: 200 * time.Millisecond},
		Options{RTCPInterval: 200 * time.Millisecond})
	// One second of played audio after the first non-silent frame.
	waitSink(t, rec, 5*time.Second, "1.2 s of audio", func() bool { return rec.len() >= 9600 })
	pcm := rec.samples()
	last := pcm[len(pcm)-4000:]
	// The median 20 ms frame: a stalled test machine may conceal a few.
	if level := medianFrameLevel(last, 1000); math.Abs(level-toneDB) > 1 {
		t.Errorf("1000 Hz level %.2f dBFS, want %.1f ± 1", level, toneDB)
	}
	if other := audio.ToneLevel(last, 8000, 1500); other > toneDB-30 {
		t.Errorf("1500 Hz level %.1f dBFS, want < %.1f (a clean tone)", other, toneDB-30)
	}
	// RTCP on port+1 both ways: each side measures the round trip.
	waitSink(t, rec, 5*time.Second, "RTT on both sides", func() bool { return a.Stats().RTT > 0 && b.Stats().RTT > 0 })
	sa, sb := a.Stats(), b.Stats()
	if sa.RTT > 100*time.Millisecond || sa.RTCPReceived == 0 || sa.RemoteLost != 0 {
		t.Errorf("A: RTT %v from %d RTCP packets, peer lost %d; want a small RTT and no loss", sa.RTT, sa.RTCPReceived, sa.RemoteLost)
	}
	if sb.PacketsReceived == 0 || sb.PacketsLost != 0 || sb.RemoteSSRC != sa.LocalSSRC {
		t.Errorf("B stats: received %d lost %d ssrc %08x (A %08x)", sb.PacketsReceived, sb.PacketsLost, sb.RemoteSSRC, sa.LocalSSRC)
	}
	// Generous bounds: a loaded CI machine delays goroutines.
	if sb.JitterBuffer.Delay <= 0 || sb.JitterBuffer.Delay > 200*time.Millisecond {
		t.Errorf("jitter buffer delay %v, want (0, 200ms] on loopback", sb.JitterBuffer.Delay)
	}
	if sb.MOS < 3.9 {
		t.Errorf("MOS %.2f on a clean loopback, want ≥ 3.9", sb.MOS)
	}
	t.Logf("A sent %d (interval %v ± %v), B played %d, jb delay %v, MOS %.2f", sa.PacketsSent,
		sa.SendInterval, sa.SendIntervalStdDev, sb.FramesPlayed, sb.JitterBuffer.Delay, sb.MOS)
}

func TestPortRangeAndRTCPPair(t *testing.T) {
	// Find a free even pair by letting the kernel choose, then ask for a
	// range around it.
	s := newSession(t, Options{})
	p := int(s.LocalAddr().Port())
	if p%2 != 0 || int(s.LocalRTCPAddr().Port()) != p+1 {
		t.Fatalf("RTP %v RTCP %v, want even port and port+1", s.LocalAddr(), s.LocalRTCPAddr())
	}
	s.Close()
	r := newSession(t, Options{PortMin: p, PortMax: p + 1})
	if got := int(r.LocalAddr().Port()); got != p {
		t.Errorf("bound %d, want %d from the range", got, p)
	}
	m := newSession(t, Options{RTCPMux: true})
	if m.LocalRTCPAddr() != m.LocalAddr() {
		t.Errorf("rtcp-mux RTCP addr %v, want RTP addr %v", m.LocalRTCPAddr(), m.LocalAddr())
	}
}

// TestContinuityAcrossHoldMuteCodec captures A's packets on a raw socket
// and checks sequence and timestamp across hold (both directions that stop
// or keep our sending), mute and a codec change.
func TestContinuityAcrossHoldMuteCodec(t *testing.T) {
	cap := newCapture(t)
	a := newSession(t, Options{Source: audio.NewTone(8000, 440, toneDB), Remote: cap.addr(), DTMFPayloadType: 101})
	var pkts []capPkt
	take := func(n int) {
		for range n {
			pkts = append(pkts, cap.next(t, 2*time.Second))
		}
	}
	take(10)
	first := pkts[0]
	if !first.p.Marker {
		t.Error("first packet has no marker bit")
	}
	hold := func(d Direction) (drained int) {
		a.SetDirection(d)
		// Drain anything sent before the change took effect, then let the
		// hold last 300 ms of wallclock.
		timer := time.NewTimer(300 * time.Millisecond)
		defer timer.Stop()
	drain:
		for {
			select {
			case p := <-cap.ch:
				pkts = append(pkts, p)
				drained++
			case <-timer.C:
				break drain
			}
		}
		a.SetDirection(SendRecv)
		return drained
	}
	hold(Inactive) // we hold and stop sending
	take(5)
	hold(RecvOnly) // the peer holds us: we stop sending
	take(5)
	if n := hold(SendOnly); n < 8 { // we hold the peer: we keep sending (music on hold)
		t.Errorf("%d packets during 300 ms of sendonly hold, want ≈ 15", n)
	}
	take(5)
	a.SetMute(true)
	take(5)
	a.SetMute(false)
	if err := a.SetCodec(codec.PCMA(), 0, 101); err != nil {
		t.Fatal(err)
	}
	take(10)

	pauses := 0
	for i := 1; i < len(pkts); i++ {
		p, q := pkts[i-1].p, pkts[i].p
		if q.SSRC != first.p.SSRC {
			t.Fatalf("packet %d SSRC %08x, want %08x", i, q.SSRC, first.p.SSRC)
		}
		if q.SequenceNumber != p.SequenceNumber+1 {
			t.Fatalf("packet %d seq %d after %d: sequence must continue across hold", i, q.SequenceNumber, p.SequenceNumber)
		}
		dts := q.Timestamp - p.Timestamp
		if dts%160 != 0 || dts == 0 {
			t.Fatalf("packet %d timestamp step %d, want a positive multiple of 160", i, dts)
		}
		wall := pkts[i].at.Sub(pkts[i-1].at)
		if dts > 160 {
			pauses++
			// RFC 3550 §5.1: the timestamp followed the wallclock.
			want := uint32(wall.Seconds() * 8000)
			if diff := int64(dts) - int64(want); diff < -6*160 || diff > 6*160 {
				t.Errorf("pause of %v advanced the timestamp by %d, want ≈ %d", wall, dts, want)
			}
			if !q.Marker {
				t.Errorf("packet %d after a pause has no marker bit", i)
			}
		}
	}
	// Inactive and recvonly pause the stream (a badly stalled test machine
	// may add a skip, which must obey the same rules).
	if pauses < 2 {
		t.Errorf("saw %d pauses, want 2 (inactive and recvonly)", pauses)
	}
	// Mute sends µ-law digital silence; the codec change switches PT to 8.
	var sawSilence, sawPCMA bool
	for _, p := range pkts {
		if p.p.PayloadType == 0 && len(p.p.Payload) == 160 && p.p.Payload[0] == 0xFF && p.p.Payload[80] == 0xFF {
			sawSilence = true
		}
		if p.p.PayloadType == 8 {
			sawPCMA = true
		}
	}
	if !sawSilence || !sawPCMA || pkts[len(pkts)-1].p.PayloadType != 8 {
		t.Errorf("silence while muted %v, PCMA after SetCodec %v; want both", sawSilence, sawPCMA)
	}
}

func TestDTMFRoundTrip(t *testing.T) {
	const digits = "0123456789*#ABCD"
	fast := dtmf.SenderConfig{MinDuration: 60 * time.Millisecond, MinGap: 40 * time.Millisecond}
	a, b, _ := pair(t, Options{Source: audio.NewTone(8000, 440, toneDB), DTMFPayloadType: 101, DTMF: fast},
		Options{DTMFPayloadType: 101})
	if err := a.SendDTMF(digits, 80*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := a.SendDTMF("x", time.Second); err == nil {
		t.Error("SendDTMF(x) succeeded, want an error")
	}
	for i, want := range digits {
		ev := waitEvent[DTMFEvent](t, b, 5*time.Second)
		if ev.Digit != want || ev.Duration != 80*time.Millisecond || ev.EndLost {
			t.Errorf("event %d = %+v, want %q for 80ms with its end", i, ev, want)
		}
	}
	// Audio suppressed during events, not lost: no loss counted.
	if st := b.Stats(); st.PacketsLost != 0 || st.JitterBuffer.Lost != 0 {
		t.Errorf("lost %d / jb lost %d, want 0", st.PacketsLost, st.JitterBuffer.Lost)
	}
	noDTMF := newSession(t, Options{})
	if err := noDTMF.SendDTMF("1", 0); err != ErrNoDTMF {
		t.Errorf("SendDTMF without telephone-event = %v, want ErrNoDTMF", err)
	}
}

// TestSymmetricRTPLatching: B was told to send to an address nobody uses
// (the signalled one); A's RTP really comes from A's socket. B latches.
func TestSymmetricRTPLatching(t *testing.T) {
	signalled := newCapture(t)
	recA := newRecSink(8000)
	a := newSession(t, Options{Source: audio.NewTone(8000, 1000, toneDB), Sink: recA})
	b := newSession(t, Options{Source: audio.NewTone(8000, 600, toneDB), LatchPackets: 3})
	a.SetRemote(b.LocalAddr(), netip.AddrPort{})
	b.SetRemote(signalled.addr(), netip.AddrPort{})
	ev := waitEvent[LatchedEvent](t, b, 3*time.Second)
	if ev.To != a.LocalAddr() || ev.From != signalled.addr() {
		t.Errorf("latched %v → %v, want %v → %v", ev.From, ev.To, signalled.addr(), a.LocalAddr())
	}
	rtpAddr, rtcpAddr := b.Remote()
	if rtpAddr != a.LocalAddr() || rtcpAddr != a.LocalRTCPAddr() {
		t.Errorf("B remote %v / %v, want %v / %v", rtpAddr, rtcpAddr, a.LocalAddr(), a.LocalRTCPAddr())
	}
	waitSink(t, recA, 5*time.Second, "B's audio at A", func() bool {
		pcm := recA.samples()
		return len(pcm) > 1600 && audio.ToneLevel(pcm[len(pcm)-800:], 8000, 600) > toneDB-2
	})
	if !b.Stats().Latched {
		t.Error("Stats().Latched = false")
	}
}

func TestInactivityAndResume(t *testing.T) {
	peer := newCapture(t)
	start := time.Now()
	a := newSession(t, Options{Remote: peer.addr(), InactivityTimeout: 300 * time.Millisecond})
	ev := waitEvent[InactivityEvent](t, a, 3*time.Second)
	if ev.Silent < 300*time.Millisecond || time.Since(start) < 300*time.Millisecond {
		t.Errorf("inactivity after %v (silent %v), want ≥ 300ms", time.Since(start), ev.Silent)
	}
	// The peer starts sending: RTP from the capture socket to A.
	p := cap1(peer, a)
	if _, err := peer.conn.WriteToUDPAddrPort(p, a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	waitEvent[ResumedEvent](t, a, 3*time.Second)
	// Not while the direction does not receive.
	a.SetDirection(SendOnly)
	b := newSession(t, Options{Remote: peer.addr(), InactivityTimeout: 100 * time.Millisecond, Direction: SendOnly})
	timer := time.NewTimer(400 * time.Millisecond)
	defer timer.Stop()
	for {
		select {
		case ev := <-b.Events():
			if _, bad := ev.(InactivityEvent); bad {
				t.Fatal("inactivity raised on a sendonly session")
			}
		case <-timer.C:
			return
		}
	}
}

func cap1(c *capture, _ *Session) []byte {
	b := []byte{0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4}
	return append(b, make([]byte, 160)...)
}

// TestLossyRelay: A ↔ relay ↔ B, 10% loss and 40 ms ± 20 ms jitter from A
// to B, 40 ms ± 5 ms back. RTCP gives both sides loss, jitter and RTT; the
// listener on the lossy side gets a lower MOS; concealment keeps more
// frames at the tone's level than silence insertion.
func TestLossyRelay(t *testing.T) {
	type result struct {
		within  float64
		statsA  Stats
		statsB  Stats
		pcmSize int
	}
	run := func(t *testing.T, c codec.Codec, seed uint64) result {
		r := newRelay(t, seed, impair{loss: 0.10, delay: 40 * time.Millisecond, jitter: 20 * time.Millisecond},
			impair{delay: 40 * time.Millisecond, jitter: 5 * time.Millisecond})
		recB := newRecSink(8000)
		a := newSession(t, Options{Codec: c, Source: audio.NewTone(8000, 1000, toneDB), RTCPMux: true, RTCPInterval: 300 * time.Millisecond, Sink: newRecSink(8000)})
		b := newSession(t, Options{Codec: c, Source: audio.NewTone(8000, 600, toneDB), RTCPMux: true, RTCPInterval: 300 * time.Millisecond, Sink: recB})
		r.connect(a.LocalAddr(), b.LocalAddr())
		a.SetRemote(r.faceA(), netip.AddrPort{})
		b.SetRemote(r.faceB(), netip.AddrPort{})
		// 6 s of audio at B.
		waitSink(t, recB, 15*time.Second, "6 s of audio", func() bool { return recB.len() >= 6*8000 })
		pcm := recB.samples()
		pcm = pcm[8000:] // skip the start-up second
		within, frames := 0, 0
		for off := 0; off+160 <= len(pcm); off += 160 {
			frames++
			if math.Abs(audio.ToneLevel(pcm[off:off+160], 8000, 1000)-toneDB) <= 3 {
				within++
			}
		}
		return result{within: float64(within) / float64(frames), statsA: a.Stats(), statsB: b.Stats(), pcmSize: len(pcm)}
	}
	var plc, sil result
	t.Run("group", func(t *testing.T) {
		t.Run("plc", func(t *testing.T) { t.Parallel(); plc = run(t, codec.PCMU(), 1) })
		t.Run("silence", func(t *testing.T) { t.Parallel(); sil = run(t, silentPLC{codec.PCMU()}, 1) })
	})
	if t.Failed() {
		return
	}
	a, b := plc.statsA, plc.statsB
	t.Logf("frames within 3 dB: PLC %.1f%%, silence insertion %.1f%%", 100*plc.within, 100*sil.within)
	t.Logf("B: received %d lost %d (fraction %.3f) jitter %v jb %+v MOS %.2f", b.PacketsReceived, b.PacketsLost, b.FractionLost, b.Jitter, b.JitterBuffer, b.MOS)
	t.Logf("A: RTT %v, peer says lost %d fraction %.3f jitter %v; MOS %.2f", a.RTT, a.RemoteLost, a.RemoteFractionLost, a.RemoteJitter, a.MOS)
	if plc.within < sil.within+0.03 {
		t.Errorf("concealment kept %.1f%% of frames within 3 dB, silence insertion %.1f%%; want ≥ 3 points better", 100*plc.within, 100*sil.within)
	}
	lossPct := float64(b.PacketsLost) / float64(int64(b.PacketsReceived)+b.PacketsLost)
	if lossPct < 0.05 || lossPct > 0.16 {
		t.Errorf("B cumulative loss %.3f, want ≈ 0.10", lossPct)
	}
	// ±20 ms uniform gives about 10-15 ms; a loaded machine adds its own.
	if b.Jitter < 3*time.Millisecond || b.Jitter > 100*time.Millisecond {
		t.Errorf("B jitter %v, want 3..100ms for ±20ms", b.Jitter)
	}
	if a.RTT < 60*time.Millisecond || a.RTT > 400*time.Millisecond {
		t.Errorf("A RTT %v, want ≈ 80ms", a.RTT)
	}
	if a.RemoteLost <= 0 || a.RemoteJitter <= 0 {
		t.Errorf("A's view from B's reports: lost %d jitter %v, want > 0", a.RemoteLost, a.RemoteJitter)
	}
	if b.RTT <= 0 {
		t.Errorf("B RTT %v, want > 0", b.RTT)
	}
	if !(b.MOS < a.MOS-0.3) {
		t.Errorf("MOS at B (10%% loss) %.2f, at A (clean) %.2f: want B clearly lower", b.MOS, a.MOS)
	}
}

func TestEModel(t *testing.T) {
	pcmu := CodecImpairment("PCMU")
	clean := MOS(RFactor(pcmu, 0, 60*time.Millisecond))
	if clean < 4.3 || clean > 4.5 {
		t.Errorf("G.711 clean MOS %.2f, want 4.3..4.5", clean)
	}
	prev := clean
	for _, loss := range []float64{0.01, 0.03, 0.05, 0.10, 0.20} {
		m := MOS(RFactor(pcmu, loss, 60*time.Millisecond))
		if m >= prev {
			t.Errorf("MOS at %.0f%% loss %.2f, not below %.2f", 100*loss, m, prev)
		}
		prev = m
	}
	if d := MOS(RFactor(pcmu, 0, 400*time.Millisecond)); d >= clean-0.3 {
		t.Errorf("MOS with 400ms delay %.2f, want well below %.2f", d, clean)
	}
	if MOS(-5) != 1 || MOS(120) != 4.5 {
		t.Error("MOS not clamped to [1, 4.5]")
	}
	// R for 5% random loss on G.711 with PLC: 93.2 - 95·5/30.1 - Id.
	r := RFactor(pcmu, 0.05, 0)
	if want := 93.2 - 95*5/30.1; math.Abs(r-want) > 0.01 {
		t.Errorf("R(5%%) = %.2f, want %.2f", r, want)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	var ss []*Session
	for range 3 {
		s, err := New(Options{LocalAddr: loopback, Codec: codec.PCMU(), Source: audio.NewTone(8000, 440, -20), Sink: newRecSink(8000), Remote: netip.MustParseAddrPort("127.0.0.1:9")})
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	for _, s := range ss {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s.Close() // idempotent
		if _, ok := <-s.Events(); ok {
			t.Error("Events not closed after Close")
		}
		if err := s.SendDTMF("1", 0); err != ErrClosed {
			t.Errorf("SendDTMF after Close = %v, want ErrClosed", err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

// TestHoldResumeBothWays: A holds B (A sendonly, B recvonly), then both
// resume. Neither side counts loss: sequence numbers continued.
func TestHoldResumeBothWays(t *testing.T) {
	recA := newRecSink(8000)
	a, b, recB := pair(t, Options{Source: audio.NewTone(8000, 1000, toneDB), Sink: recA},
		Options{Source: audio.NewTone(8000, 600, toneDB)})
	level := func(r *recSink, f float64) float64 {
		pcm := r.samples()
		if len(pcm) < 1600 {
			return math.Inf(-1)
		}
		return medianFrameLevel(pcm[len(pcm)-1600:], f)
	}
	waitSink(t, recA, 5*time.Second, "B's tone at A", func() bool { return level(recA, 600) > toneDB-2 })
	a.SetDirection(SendOnly)
	b.SetDirection(RecvOnly)
	// On hold A hears silence from B while B still hears A.
	waitSink(t, recA, 5*time.Second, "silence at A during hold", func() bool { return level(recA, 600) < -60 })
	if l := level(recB, 1000); l < toneDB-2 {
		t.Errorf("B hears A at %.1f dBFS during hold, want ≈ %.0f", l, toneDB)
	}
	heldSeq := b.Stats().NextSequence
	a.SetDirection(SendRecv)
	b.SetDirection(SendRecv)
	waitSink(t, recA, 5*time.Second, "B's tone at A after resume", func() bool { return level(recA, 600) > toneDB-2 })
	sa, sb := a.Stats(), b.Stats()
	if sa.PacketsLost != 0 || sb.PacketsLost != 0 {
		t.Errorf("cumulative lost A %d B %d, want 0 across hold", sa.PacketsLost, sb.PacketsLost)
	}
	if sb.NextSequence-heldSeq > 20 {
		t.Errorf("B's sequence moved %d while it only just resumed", sb.NextSequence-heldSeq)
	}
	if sa.JitterBuffer.SSRCChanges != 0 || sa.JitterBuffer.Resyncs != 0 {
		t.Errorf("A jitter buffer %+v: no SSRC change or resync expected", sa.JitterBuffer)
	}
}

// TestWidebandAndResampling runs G.722 (16 kHz PCM, 8 kHz RTP clock) and
// Opus when built, with 8 kHz source and sink: the session resamples both
// ways and the tone survives.
func TestWidebandAndResampling(t *testing.T) {
	codecs := []codec.Codec{codec.G722()}
	if o, err := codec.NewOpus(codec.DefaultOpusOptions()); err == nil {
		codecs = append(codecs, o)
	}
	for _, c := range codecs {
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			_, b, rec := pair(t, Options{Codec: c, Source: audio.NewTone(8000, 1000, toneDB)}, Options{Codec: c})
			waitSink(t, rec, 5*time.Second, "1.2 s of audio", func() bool { return rec.len() >= 9600 })
			pcm := rec.samples()
			if l := medianFrameLevel(pcm[len(pcm)-4000:], 1000); math.Abs(l-toneDB) > 1.5 {
				t.Errorf("%s: 1000 Hz at %.2f dBFS, want %.0f ± 1.5", c.Name(), l, toneDB)
			}
			if st := b.Stats(); st.PacketsReceived == 0 || st.PayloadType != c.PayloadType() {
				t.Errorf("%s: received %d with PT %d", c.Name(), st.PacketsReceived, st.PayloadType)
			}
		})
	}
}

// TestDTMFOnTheWire checks RFC 4733 framing: same SSRC and sequence space,
// audio suppressed during the event, event timestamp = the frame time it
// began, marker on the first packet, three end packets.
func TestDTMFOnTheWire(t *testing.T) {
	cap := newCapture(t)
	a := newSession(t, Options{Source: audio.NewTone(8000, 440, toneDB), Remote: cap.addr(), DTMFPayloadType: 101})
	var pkts []capPkt
	for range 5 {
		pkts = append(pkts, cap.next(t, 2*time.Second))
	}
	if err := a.SendDTMF("7", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		pkts = append(pkts, cap.next(t, 2*time.Second))
	}
	first, last, ends := -1, -1, 0
	for i, p := range pkts {
		if p.p.PayloadType == 101 {
			if first < 0 {
				first = i
			}
			last = i
			var ev dtmf.Payload
			if err := ev.Unmarshal(p.p.Payload); err != nil || ev.Event != 7 {
				t.Fatalf("event payload %v %+v", err, ev)
			}
			if ev.End {
				ends++
				if ev.Duration != 800 {
					t.Errorf("end duration %d, want 800", ev.Duration)
				}
			}
		}
		if i > 0 && p.p.SequenceNumber != pkts[i-1].p.SequenceNumber+1 {
			t.Fatalf("sequence gap at %d", i)
		}
	}
	if first < 1 || ends != 3 {
		t.Fatalf("event packets from %d to %d with %d ends, want some after audio and 3 ends", first, last, ends)
	}
	for i := first; i <= last; i++ {
		p := pkts[i].p
		if p.PayloadType != 101 {
			t.Errorf("packet %d is audio (PT %d) during the event", i, p.PayloadType)
		}
		if p.Marker != (i == first) {
			t.Errorf("packet %d marker %v", i, p.Marker)
		}
		if p.Timestamp != pkts[first].p.Timestamp {
			t.Errorf("packet %d timestamp %d, want the event start %d", i, p.Timestamp, pkts[first].p.Timestamp)
		}
	}
	if want := pkts[first-1].p.Timestamp + 160; pkts[first].p.Timestamp != want {
		t.Errorf("event timestamp %d, want %d (the next frame time)", pkts[first].p.Timestamp, want)
	}
	if after := pkts[last+1].p; after.PayloadType != 0 || after.Timestamp != pkts[first].p.Timestamp+uint32(last-first+1)*160 {
		t.Errorf("audio after the event: PT %d ts %d, want PCMU continuing the frame clock", after.PayloadType, after.Timestamp)
	}
}

// TestComfortNoise: after a CN packet (RFC 3389, level 40 -dBov) the
// receiver plays noise at about that level instead of silence.
func TestComfortNoise(t *testing.T) {
	peer := newCapture(t)
	rec := newRecSink(8000)
	a := newSession(t, Options{Remote: peer.addr(), Sink: rec})
	send := func(seq uint16, ts uint32, pt byte, payload []byte) {
		b := []byte{0x80, pt, byte(seq >> 8), byte(seq), byte(ts >> 24), byte(ts >> 16), byte(ts >> 8), byte(ts), 9, 9, 9, 9}
		if _, err := peer.conn.WriteToUDPAddrPort(append(b, payload...), a.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	silence := make([]byte, 160)
	for i := range silence {
		silence[i] = 0xFF
	}
	for i := range 3 {
		send(uint16(i), uint32(i)*160, 0, silence)
	}
	send(3, 480, cnPayloadType, []byte{40})
	waitSink(t, rec, 5*time.Second, "comfort noise at -40 dBFS", func() bool {
		pcm := rec.samples()
		if len(pcm) < 1600 {
			return false
		}
		l := audio.DBFS(audio.RMS(pcm[len(pcm)-800:]))
		return l > -43 && l < -37
	})
}

func medianFrameLevel(pcm []int16, freq float64) float64 {
	var levels []float64
	for off := 0; off+160 <= len(pcm); off += 160 {
		levels = append(levels, audio.ToneLevel(pcm[off:off+160], 8000, freq))
	}
	slices.Sort(levels)
	return levels[len(levels)/2]
}

func TestSilenceDetector(t *testing.T) {
	for _, c := range []codec.Codec{codec.PCMU(), codec.PCMA()} {
		enc, _ := c.NewEncoder()
		quiet := silenceDetector(c.Name())
		silent, _ := enc.Encode(nil, make([]int16, 160))
		tone := make([]int16, 160)
		audio.NewTone(8000, 440, -30).Read(tone)
		loud, _ := enc.Encode(nil, tone)
		if !quiet(silent) || quiet(loud) {
			t.Errorf("%s: silence detected %v, -30 dBFS tone detected %v; want true, false", c.Name(), quiet(silent), quiet(loud))
		}
	}
	if silenceDetector("opus") != nil {
		t.Error("opus got a G.711 silence detector")
	}
}

// TestPtimeMismatch: the peer sends 30 ms packets, we play 20 ms frames.
func TestPtimeMismatch(t *testing.T) {
	a, b, rec := pair(t, Options{Source: audio.NewTone(8000, 1000, toneDB), Ptime: 30 * time.Millisecond}, Options{})
	waitSink(t, rec, 5*time.Second, "1.5 s of audio", func() bool { return rec.len() >= 12000 })
	pcm := rec.samples()
	if l := medianFrameLevel(pcm[len(pcm)-4000:], 1000); math.Abs(l-toneDB) > 1 {
		t.Errorf("1000 Hz at %.2f dBFS, want %.0f ± 1", l, toneDB)
	}
	if sa, sb := a.Stats(), b.Stats(); sb.JitterBuffer.Lost != 0 || sb.PacketsReceived == 0 || sa.SendInterval < 25*time.Millisecond {
		t.Errorf("A interval %v; B received %d, jb lost %d", sa.SendInterval, sb.PacketsReceived, sb.JitterBuffer.Lost)
	}
}

// fecCodec is a test codec whose decoder can rebuild a lost frame from the
// next packet (like Opus in-band FEC). Payload: one byte per frame.
type fecCodec struct{ fecFrom chan byte }

func (fecCodec) Name() string                         { return "TESTFEC" }
func (fecCodec) ClockRate() int                       { return 8000 }
func (fecCodec) SampleRate() int                      { return 8000 }
func (fecCodec) Channels() int                        { return 1 }
func (fecCodec) PayloadType() uint8                   { return 96 }
func (fecCodec) NewEncoder() (codec.Encoder, error)   { return fecEnc{}, nil }
func (c fecCodec) NewDecoder() (codec.Decoder, error) { return fecDec(c), nil }

type fecEnc struct{}

func (fecEnc) Encode(dst []byte, pcm []int16) ([]byte, error) { return append(dst, byte(pcm[0])), nil }

type fecDec struct{ fecFrom chan byte }

func fill(dst []int16, v int16, n int) []int16 {
	for range n {
		dst = append(dst, v)
	}
	return dst
}
func (fecDec) Decode(dst []int16, p []byte) ([]int16, error) {
	return fill(dst, int16(p[0])*100, 160), nil
}
func (fecDec) Conceal(dst []int16, n int) ([]int16, error) { return fill(dst, 0, n), nil }
func (d fecDec) DecodeFEC(dst []int16, next []byte, n int) ([]int16, error) {
	select {
	case d.fecFrom <- next[0]:
	default:
	}
	return fill(dst, 7777, n), nil
}

func TestFECFromNextPacket(t *testing.T) {
	peer := newCapture(t)
	rec := newRecSink(8000)
	c := fecCodec{fecFrom: make(chan byte, 4)}
	a := newSession(t, Options{Codec: c, Remote: peer.addr(), Sink: rec})
	for i := range 10 {
		if i == 5 {
			continue // lost
		}
		b := []byte{0x80, 96, 0, byte(i), 0, 0, byte(i * 160 >> 8), byte(i * 160), 9, 9, 9, 9, byte(i)}
		if _, err := peer.conn.WriteToUDPAddrPort(b, a.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case from := <-c.fecFrom:
		if from != 6 {
			t.Errorf("FEC decoded from packet %d, want 6 (the one after the loss)", from)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("DecodeFEC never called for the lost packet")
	}
	waitSink(t, rec, 3*time.Second, "the FEC frame in the output", func() bool {
		return slices.Contains(rec.samples(), 7777)
	})
}
