package jitter

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const frame = 20 * time.Millisecond

type arrival struct {
	at time.Duration
	p  Packet
}

// stream makes n packets of 160 units every 20 ms starting at seq/ts.
func stream(ssrc uint32, seq uint16, ts uint32, n int) []Packet {
	out := make([]Packet, n)
	for i := range out {
		out[i] = Packet{SequenceNumber: seq + uint16(i), Timestamp: ts + uint32(i)*160, SSRC: ssrc, Payload: []byte{byte(i), byte(i >> 8)}}
	}
	return out
}

// schedule sends packet i at i*20ms plus delay(i) (ms); drop(i) loses it.
func schedule(pkts []Packet, delay func(i int) time.Duration, drop func(i int) bool) []arrival {
	var out []arrival
	for i, p := range pkts {
		if drop != nil && drop(i) {
			continue
		}
		out = append(out, arrival{time.Duration(i)*frame + delay(i), p})
	}
	slices.SortStableFunc(out, func(a, b arrival) int { return int(a.at - b.at) })
	return out
}

type popped struct {
	st  Status
	seq uint16
}

// run pushes arrivals and pops every 20 ms (phase 1 ms) until end.
func run(b *Buffer, arr []arrival, end time.Duration) []popped {
	var out []popped
	i := 0
	for tick := time.Millisecond; tick < end; tick += frame {
		for ; i < len(arr) && arr[i].at <= tick; i++ {
			b.Push(arr[i].p, t0.Add(arr[i].at))
		}
		p, st := b.Pop(t0.Add(tick))
		out = append(out, popped{st, p.SequenceNumber})
	}
	return out
}

func played(out []popped) []uint16 {
	var s []uint16
	for _, p := range out {
		if p.st == OK {
			s = append(s, p.seq)
		}
	}
	return s
}

func checkOrder(t *testing.T, seqs []uint16) {
	t.Helper()
	for i := 1; i < len(seqs); i++ {
		if int16(seqs[i]-seqs[i-1]) <= 0 {
			t.Fatalf("played seq %d after %d (index %d)", seqs[i], seqs[i-1], i)
		}
	}
}

func TestInOrderNoJitter(t *testing.T) {
	b := New(Config{})
	out := run(b, schedule(stream(1, 100, 0, 100), func(int) time.Duration { return 5 * time.Millisecond }, nil), 2100*time.Millisecond)
	seqs := played(out)
	st := b.Stats()
	// The delay starts at InitialDelay (40 ms) and shrinks to the 20 ms
	// minimum by dropping one frame.
	if len(seqs) != 99 || st.Dropped != 1 || seqs[0] != 100 || seqs[98] != 199 {
		t.Fatalf("played %d frames %v..., dropped %d; want 99 from 100 to 199, 1 dropped", len(seqs), seqs[:min(3, len(seqs))], st.Dropped)
	}
	checkOrder(t, seqs)
	if st.Lost != 0 || st.Late != 0 || st.Duplicate != 0 || st.Received != 100 {
		t.Errorf("stats %+v, want 100 received, nothing lost/late/dup", st)
	}
	if st.TargetDelay < 20*time.Millisecond || st.TargetDelay > 40*time.Millisecond {
		t.Errorf("target delay %v, want 20..40ms on a clean network", st.TargetDelay)
	}
	if st.Jitter != 0 {
		t.Errorf("jitter %v, want 0", st.Jitter)
	}
}

func TestReorderAndDuplicates(t *testing.T) {
	pkts := stream(1, 0, 0, 50)
	var arr []arrival
	for i, p := range pkts {
		at := time.Duration(i) * frame
		if i%5 == 2 {
			at += 30 * time.Millisecond // arrives after its successor
		}
		arr = append(arr, arrival{at, p})
		if i%7 == 0 {
			arr = append(arr, arrival{at + 3*time.Millisecond, p})
		}
	}
	slices.SortStableFunc(arr, func(a, b arrival) int { return int(a.at - b.at) })
	b := New(Config{InitialDelay: 60 * time.Millisecond})
	seqs := played(run(b, arr, 1500*time.Millisecond))
	checkOrder(t, seqs)
	st := b.Stats()
	if st.Duplicate != 8 {
		t.Errorf("duplicates %d, want 8", st.Duplicate)
	}
	if got := uint64(len(seqs)); got+st.Lost != 50 || st.Lost > 2 {
		t.Errorf("played %d lost %d, want 50 in all and at most 2 lost", got, st.Lost)
	}
}

func TestLossReorderJitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	const n = 3000 // 60 s
	lost := map[int]bool{}
	delays := make([]time.Duration, n)
	for i := range delays {
		// 40 ms ± 40 ms-ish: base 40 ms plus uniform jitter 0..40 ms and
		// occasional 60 ms spikes; reordering follows from the jitter.
		delays[i] = 40*time.Millisecond + time.Duration(rng.IntN(40_000))*time.Microsecond
		if rng.IntN(50) == 0 {
			delays[i] += 60 * time.Millisecond
		}
		lost[i] = rng.Float64() < 0.10
	}
	arr := schedule(stream(7, 65000, 4294960000, n), func(i int) time.Duration { return delays[i] }, func(i int) bool { return lost[i] })
	b := New(Config{})
	out := run(b, arr, n*frame+time.Second)
	seqs := played(out)
	checkOrder(t, seqs)
	st := b.Stats()
	nLost := 0
	for _, l := range lost {
		if l {
			nLost++
		}
	}
	lossPct := 100 * float64(st.Lost) / n
	latePct := 100 * float64(st.Late) / n
	t.Logf("sent %d, dropped by network %d; played %d, lost %d (%.1f%%), late %d (%.2f%%), dropped %d, inserted %d, target %v, jitter %v",
		n, nLost, len(seqs), st.Lost, lossPct, st.Late, latePct, st.Dropped, st.Inserted, st.TargetDelay, st.Jitter)
	if lossPct < 8 || lossPct > 14 {
		t.Errorf("lost %.1f%%, want about the 10%% the network dropped", lossPct)
	}
	if latePct > 3 {
		t.Errorf("late %.2f%%, want ≤ 3%% with an adaptive delay", latePct)
	}
	if st.TargetDelay < 30*time.Millisecond || st.TargetDelay > 150*time.Millisecond {
		t.Errorf("target delay %v, want 30..150ms for 40 ms of jitter", st.TargetDelay)
	}
	if st.Jitter < 5*time.Millisecond || st.Jitter > 40*time.Millisecond {
		t.Errorf("RFC 3550 jitter %v, want 5..40ms", st.Jitter)
	}
	// Every frame that was played plus every frame lost accounts for the
	// sequence space, apart from the shrink drops.
	// Late packets were already counted lost when their frame was skipped.
	if got := uint64(len(seqs)) + st.Lost + st.Dropped; got != n {
		t.Errorf("played+lost+dropped = %d, want %d", got, n)
	}
}

func TestDelayFollowsJitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 2000
	delays := make([]time.Duration, n)
	for i := range delays {
		delays[i] = 10 * time.Millisecond
		if i < 700 { // 14 s of rough network, then calm
			delays[i] += time.Duration(rng.IntN(100_000)) * time.Microsecond
		}
	}
	arr := schedule(stream(9, 0, 0, n), func(i int) time.Duration { return delays[i] }, nil)
	b := New(Config{})
	var rough, calm time.Duration
	i := 0
	for tick := time.Millisecond; tick < n*frame; tick += frame {
		for ; i < len(arr) && arr[i].at <= tick; i++ {
			b.Push(arr[i].p, t0.Add(arr[i].at))
		}
		b.Pop(t0.Add(tick))
		if tick == 13*time.Second+time.Millisecond {
			rough = b.Stats().Delay
		}
	}
	calm = b.Stats().Delay
	st := b.Stats()
	t.Logf("delay rough %v, calm %v, dropped %d inserted %d late %d", rough, calm, st.Dropped, st.Inserted, st.Late)
	if rough < 70*time.Millisecond {
		t.Errorf("delay under 100 ms jitter = %v, want ≥ 70ms", rough)
	}
	if calm > 45*time.Millisecond {
		t.Errorf("delay after the network calmed = %v, want ≤ 45ms", calm)
	}
	if st.Dropped == 0 {
		t.Error("no frame dropped while shrinking")
	}
}

func TestSequenceWrap(t *testing.T) {
	b := New(Config{})
	arr := schedule(stream(1, 65500, 0, 100), func(i int) time.Duration { return 0 }, func(i int) bool { return i == 40 })
	seqs := played(run(b, arr, 2200*time.Millisecond))
	checkOrder(t, seqs)
	st := b.Stats()
	if uint64(len(seqs))+st.Dropped != 99 || seqs[0] != 65500 || seqs[len(seqs)-1] != 63 {
		t.Fatalf("played %d (+%d dropped), first %d last %d; want 99 from 65500 to 63", len(seqs), st.Dropped, seqs[0], seqs[len(seqs)-1])
	}
	if st.Lost != 1 {
		t.Errorf("lost %d, want 1 (seq 4)", st.Lost)
	}
}

func TestSSRCChange(t *testing.T) {
	a := schedule(stream(1, 1000, 0, 50), func(int) time.Duration { return 0 }, nil)
	c := schedule(stream(2, 30000, 999999, 50), func(int) time.Duration { return 0 }, nil)
	for i := range c {
		c[i].at += 50 * frame
	}
	b := New(Config{})
	seqs := played(run(b, append(a, c...), 2200*time.Millisecond))
	st := b.Stats()
	if st.SSRCChanges != 1 {
		t.Errorf("SSRC changes %d, want 1", st.SSRCChanges)
	}
	var fromNew int
	for _, s := range seqs {
		if s >= 30000 && s < 30050 {
			fromNew++
		}
	}
	if fromNew < 45 {
		t.Errorf("played %d frames of the new SSRC, want ≥ 45", fromNew)
	}
	if st.Lost > 3 || st.Resyncs != 0 {
		t.Errorf("lost %d resyncs %d, want few and 0 (no false loss across the change)", st.Lost, st.Resyncs)
	}
}

func TestOverflowLateAndPeek(t *testing.T) {
	b := New(Config{MaxPackets: 10})
	for i, p := range stream(1, 0, 0, 30) {
		b.Push(p, t0.Add(time.Duration(i)*time.Millisecond))
	}
	st := b.Stats()
	if st.Buffered != 10 || st.Overflow != 20 {
		t.Fatalf("buffered %d overflow %d, want 10 and 20", st.Buffered, st.Overflow)
	}
	p, s := b.Pop(t0.Add(time.Second))
	// The oldest kept is 20; this late a Pop also sheds the excess delay.
	if s != OK || p.SequenceNumber < 20 {
		t.Fatalf("first pop = %v seq %d, want ok ≥ 20 (the oldest kept is 20)", s, p.SequenceNumber)
	}
	// A gap: 21 is missing from now on.
	b2 := New(Config{})
	pk := stream(1, 0, 0, 5)
	for i, p := range pk {
		if i != 2 {
			b2.Push(p, t0.Add(time.Duration(i)*frame))
		}
	}
	var got []Status
	for i := range 3 {
		_, s := b2.Pop(t0.Add(45*time.Millisecond + time.Duration(i)*frame))
		got = append(got, s)
	}
	if want := []Status{OK, OK, Lost}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if next, ok := b2.PeekNext(); !ok || next.SequenceNumber != 3 {
		t.Errorf("PeekNext = %d %v, want 3 true (for FEC)", next.SequenceNumber, ok)
	}
	if b2.Push(pk[2], t0.Add(2*time.Second)) {
		t.Error("late packet accepted")
	}
	if st := b2.Stats(); st.Late != 1 || st.Lost != 1 {
		t.Errorf("late %d lost %d, want 1 and 1", st.Late, st.Lost)
	}
}

func TestAuxPacketsKeepSequence(t *testing.T) {
	pkts := stream(1, 0, 0, 30)
	for i := 10; i < 17; i++ { // a DTMF event: same timestamp, marked aux
		pkts[i].Aux = true
		pkts[i].Timestamp = 1600
	}
	b := New(Config{})
	out := run(b, schedule(pkts, func(int) time.Duration { return 0 }, nil), 800*time.Millisecond)
	if seqs := played(out); len(seqs) != 30 {
		t.Errorf("played %d, want 30", len(seqs))
	}
	if st := b.Stats(); st.Lost != 0 {
		t.Errorf("lost %d, want 0", st.Lost)
	}
}

func TestPauseResync(t *testing.T) {
	// Talkspurts with a 2 s pause (DTX/hold): sequence continues, timestamp
	// jumps. The buffer restarts at the target delay and loses nothing.
	a := stream(1, 0, 0, 50)
	c := stream(1, 50, 50*160+16000, 50)
	arr := schedule(append(a, c...), func(i int) time.Duration {
		if i >= 50 {
			return 2 * time.Second
		}
		return 0
	}, nil)
	b := New(Config{})
	seqs := played(run(b, arr, 5*time.Second))
	st := b.Stats()
	if uint64(len(seqs))+st.Dropped != 100 || st.Lost != 0 || st.Late != 0 {
		t.Errorf("played %d (+%d dropped) lost %d late %d, want 100 0 0", len(seqs), st.Dropped, st.Lost, st.Late)
	}
}

func BenchmarkPushPop(b *testing.B) {
	buf := New(Config{})
	pkts := stream(1, 0, 0, 256)
	b.ReportAllocs()
	var seq uint16
	var ts uint32
	now := t0
	for b.Loop() {
		p := pkts[seq&255]
		p.SequenceNumber = seq
		p.Timestamp = ts
		buf.Push(p, now)
		buf.Pop(now.Add(time.Millisecond))
		seq++
		ts += 160
		now = now.Add(frame)
	}
}

func TestStallShedsDelayAtOnce(t *testing.T) {
	// The playout clock stalls for 200 ms while packets keep arriving; the
	// delay goes back near its target within a tick instead of one frame per
	// ShrinkInterval.
	arr := schedule(stream(1, 0, 0, 200), func(int) time.Duration { return 0 }, nil)
	b := New(Config{})
	i := 0
	for tick := time.Millisecond; tick < 4*time.Second; tick += frame {
		if tick > 2*time.Second && tick < 2200*time.Millisecond {
			continue // no Pop: stalled
		}
		for ; i < len(arr) && arr[i].at <= tick; i++ {
			b.Push(arr[i].p, t0.Add(arr[i].at))
		}
		b.Pop(t0.Add(tick))
		if tick > 2200*time.Millisecond && tick < 2250*time.Millisecond {
			if d := b.Stats().Delay; d > 90*time.Millisecond {
				t.Errorf("delay right after the stall = %v, want ≤ 90ms", d)
			}
		}
	}
}

// FuzzBuffer drives the buffer with arbitrary pushes and pops and checks
// it never plays out of order, never holds more than MaxPackets and keeps
// its accounting.
func FuzzBuffer(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 255, 4, 5, 9, 8, 255, 255, 7})
	f.Add([]byte{200, 100, 255, 0, 255, 128, 127})
	f.Fuzz(func(t *testing.T, ops []byte) {
		b := New(Config{MaxPackets: 16})
		now := t0
		var last uint16
		havePlayed := false
		base := uint16(65500)
		for _, op := range ops {
			now = now.Add(7 * time.Millisecond)
			if op == 255 {
				p, st := b.Pop(now)
				if st == OK {
					if havePlayed && int16(p.SequenceNumber-last) <= 0 {
						t.Fatalf("played %d after %d", p.SequenceNumber, last)
					}
					last, havePlayed = p.SequenceNumber, true
				}
				continue
			}
			seq := base + uint16(op)
			b.Push(Packet{SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 1, Payload: []byte{op}}, now)
			if st := b.Stats(); st.Buffered > 16 {
				t.Fatalf("holding %d > 16", st.Buffered)
			}
			valid := 0
			for i := range b.ring {
				if b.ring[i].valid {
					valid++
				}
			}
			if valid != b.count {
				t.Fatalf("count %d, %d slots valid", b.count, valid)
			}
		}
	})
}

func TestShrinkPrefersSilence(t *testing.T) {
	// Rough network, then calm: with a silence detector the buffer drops
	// silent frames when it can, and loud frames only after waiting.
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 1500
	pkts := stream(9, 0, 0, n)
	for i := range pkts {
		pkts[i].Payload = []byte{1} // loud
		if i >= 520 && i%50 < 10 {
			pkts[i].Payload = []byte{0} // a pause every second, late on
		}
	}
	delays := make([]time.Duration, n)
	for i := range delays {
		if i < 500 {
			delays[i] = time.Duration(rng.IntN(80_000)) * time.Microsecond
		}
	}
	var droppedSilent, droppedLoud int
	b := New(Config{IsSilence: func(p []byte) bool { return p[0] == 0 }})
	arr := schedule(pkts, func(i int) time.Duration { return delays[i] }, nil)
	i := 0
	var prev uint64
	for tick := time.Millisecond; tick < n*frame; tick += frame {
		for ; i < len(arr) && arr[i].at <= tick; i++ {
			b.Push(arr[i].p, t0.Add(arr[i].at))
		}
		before := b.nextExt
		b.Pop(t0.Add(tick))
		if d := b.Stats().Dropped; d > prev {
			if pkts[int(before)&0xFFFF%n].Payload[0] == 0 {
				droppedSilent++
			} else {
				droppedLoud++
			}
			prev = d
		}
	}
	st := b.Stats()
	t.Logf("dropped silent %d loud %d, delay %v", droppedSilent, droppedLoud, st.Delay)
	if st.Delay > 45*time.Millisecond {
		t.Errorf("delay %v after calm, want ≤ 45ms", st.Delay)
	}
	if droppedLoud > 1 || droppedSilent < 2 {
		t.Errorf("dropped %d loud and %d silent frames, want silent ones (it waits for silence up to 2 s)", droppedLoud, droppedSilent)
	}
}
