package dtmf

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func TestPayloadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    Payload
		wire [4]byte
	}{
		{"digit 1 start", Payload{Event: 1, Volume: 10, Duration: 160}, [4]byte{1, 10, 0, 160}},
		{"hash end", Payload{Event: 11, End: true, Volume: 10, Duration: 800}, [4]byte{11, 0x80 | 10, 0x03, 0x20}},
		{"max duration", Payload{Event: 16, Volume: 63, Duration: 0xFFFF}, [4]byte{16, 63, 0xFF, 0xFF}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.Append(nil)
			if string(got) != string(tt.wire[:]) {
				t.Fatalf("Append = % x, want % x", got, tt.wire)
			}
			var back Payload
			if err := back.Unmarshal(got); err != nil {
				t.Fatal(err)
			}
			if back != tt.p {
				t.Errorf("Unmarshal = %+v, want %+v", back, tt.p)
			}
		})
	}
	// The R bit is ignored on receipt (§2.3.3).
	var p Payload
	if err := p.Unmarshal([]byte{5, 0x40 | 7, 0, 1}); err != nil {
		t.Fatal(err)
	}
	if want := (Payload{Event: 5, Volume: 7, Duration: 1}); p != want {
		t.Errorf("with R bit = %+v, want %+v", p, want)
	}
	if err := p.Unmarshal([]byte{1, 2, 3}); !errors.Is(err, ErrShortPayload) {
		t.Errorf("short payload err = %v, want ErrShortPayload", err)
	}
}

func TestDigits(t *testing.T) {
	for i, d := range "0123456789*#ABCD!" {
		code, err := EventCode(d)
		if err != nil || int(code) != i {
			t.Errorf("EventCode(%q) = %d, %v; want %d", d, code, err, i)
		}
		back, ok := Digit(code)
		if !ok || back != d {
			t.Errorf("Digit(%d) = %q, %v; want %q", code, back, ok, d)
		}
	}
	if c, err := EventCode('b'); err != nil || c != 13 {
		t.Errorf("EventCode('b') = %d, %v; want 13", c, err)
	}
	if _, err := EventCode('x'); !errors.Is(err, ErrUnknownDigit) {
		t.Errorf("EventCode('x') err = %v, want ErrUnknownDigit", err)
	}
	if _, ok := Digit(17); ok {
		t.Error("Digit(17) ok, want not ok")
	}
}

// tick drives the sender for n ticks of 160 units from ts and returns every
// (tick index, packet) sent.
type sent struct {
	tick int
	pkt  Packet
}

func drive(t *testing.T, s *Sender, ts uint32, frame uint32, maxTicks int) []sent {
	t.Helper()
	var out []sent
	for i := 0; i < maxTicks && s.Busy(); i++ {
		if p, ok := s.Tick(ts + uint32(i)*frame); ok {
			out = append(out, sent{i, p})
		}
	}
	if s.Busy() {
		t.Fatalf("sender still busy after %d ticks", maxTicks)
	}
	return out
}

func TestSenderSchedule(t *testing.T) {
	s, err := NewSender(SenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// 30 ms is raised to the 100 ms minimum: 5 updates, the last one is the
	// first of three end packets.
	if err := s.Enqueue("5", 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got := drive(t, s, 1000, 160, 100)
	want := []Packet{
		{Marker: true, Timestamp: 1000, Payload: Payload{Event: 5, Volume: 10, Duration: 160}},
		{Timestamp: 1000, Payload: Payload{Event: 5, Volume: 10, Duration: 320}},
		{Timestamp: 1000, Payload: Payload{Event: 5, Volume: 10, Duration: 480}},
		{Timestamp: 1000, Payload: Payload{Event: 5, Volume: 10, Duration: 640}},
		{Timestamp: 1000, Payload: Payload{Event: 5, End: true, Volume: 10, Duration: 800}},
		{Timestamp: 1000, Payload: Payload{Event: 5, End: true, Volume: 10, Duration: 800}},
		{Timestamp: 1000, Payload: Payload{Event: 5, End: true, Volume: 10, Duration: 800}},
	}
	if len(got) != len(want) {
		t.Fatalf("sent %d packets, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].pkt != want[i] || got[i].tick != i {
			t.Errorf("packet %d = tick %d %+v, want tick %d %+v", i, got[i].tick, got[i].pkt, i, want[i])
		}
	}
}

func TestSenderGapAndTimestamps(t *testing.T) {
	s, _ := NewSender(SenderConfig{})
	if err := s.Enqueue("12", 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got := drive(t, s, 0xFFFFFF00, 160, 100) // timestamps wrap during the run
	if len(got) != 14 {
		t.Fatalf("sent %d packets, want 14", len(got))
	}
	first, second := got[0], got[7]
	if !first.pkt.Marker || !second.pkt.Marker {
		t.Errorf("markers = %v %v, want true true", first.pkt.Marker, second.pkt.Marker)
	}
	// Gap: the second digit starts ≥ 50 ms (3 ticks) after the last end packet.
	if gap := second.tick - got[6].tick - 1; gap < 3 {
		t.Errorf("gap = %d ticks, want ≥ 3", gap)
	}
	if want := 0xFFFFFF00 + uint32(second.tick)*160; second.pkt.Timestamp != want {
		t.Errorf("second event ts = %d, want %d (the tick it started on)", second.pkt.Timestamp, want)
	}
	if err := s.Enqueue("1x", time.Second); !errors.Is(err, ErrUnknownDigit) || s.Pending() != 0 {
		t.Errorf("Enqueue(1x) = %v, pending %d; want ErrUnknownDigit and nothing queued", err, s.Pending())
	}
}

func TestSenderLongEventSegments(t *testing.T) {
	// 10 s at 8 kHz = 80000 units > 0xFFFF: two segments (§2.5.1.3).
	s, _ := NewSender(SenderConfig{})
	if err := s.Enqueue("#", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	got := drive(t, s, 5000, 160, 1000)
	var segs []uint32
	for i, g := range got {
		if i > 0 && g.pkt.Marker {
			t.Fatalf("marker on packet %d", i)
		}
		if len(segs) == 0 || segs[len(segs)-1] != g.pkt.Timestamp {
			segs = append(segs, g.pkt.Timestamp)
		}
	}
	if len(segs) != 2 || segs[1]-segs[0] != MaxDuration {
		t.Fatalf("segments %v, want two 0xFFFF apart", segs)
	}
	last := got[len(got)-1].pkt.Payload
	if !last.End || uint32(last.Duration)+MaxDuration != 80000 {
		t.Errorf("last = %+v, want end with total 80000", last)
	}
	// The receiver joins the segments.
	r := NewReceiver(ReceiverConfig{})
	var evs []Event
	now := time.Unix(0, 0)
	for _, g := range got {
		evs = r.Handle(evs, g.pkt.Timestamp, g.pkt.Marker, g.pkt.Payload, now.Add(time.Duration(g.tick)*20*time.Millisecond))
	}
	if len(evs) != 1 || evs[0].Duration != 10*time.Second || evs[0].Digit != '#' || evs[0].Timestamp != 5000 {
		t.Errorf("events = %+v, want one '#' of 10s at ts 5000", evs)
	}
}

type rxPkt struct {
	tick int
	pkt  Packet
}

func schedule(t *testing.T, digits string, d time.Duration) []rxPkt {
	t.Helper()
	s, _ := NewSender(SenderConfig{})
	if err := s.Enqueue(digits, d); err != nil {
		t.Fatal(err)
	}
	var out []rxPkt
	for _, g := range drive(t, s, 777, 160, 10000) {
		out = append(out, rxPkt(g))
	}
	return out
}

func receive(pkts []rxPkt, endTick int) []Event {
	r := NewReceiver(ReceiverConfig{})
	base := time.Unix(100, 0)
	var evs []Event
	at := func(tick int) time.Time { return base.Add(time.Duration(tick) * 20 * time.Millisecond) }
	i := 0
	for tick := 0; tick <= endTick; tick++ {
		for ; i < len(pkts) && pkts[i].tick <= tick; i++ {
			p := pkts[i].pkt
			evs = r.Handle(evs, p.Timestamp, p.Marker, p.Payload, at(tick))
		}
		evs = r.Expire(evs, at(tick))
	}
	return evs
}

func digits(evs []Event) string {
	b := make([]rune, len(evs))
	for i, e := range evs {
		b[i] = e.Digit
	}
	return string(b)
}

func TestReceiverLossySequences(t *testing.T) {
	clean := schedule(t, "1123", 200*time.Millisecond)
	type filter func(i int, p rxPkt) []rxPkt // returns what arrives for packet i
	keep := func(_ int, p rxPkt) []rxPkt { return []rxPkt{p} }
	tests := []struct {
		name      string
		f         filter
		wantDur   []time.Duration
		wantLost  []bool
		wantDigit string
	}{
		{"clean", keep, []time.Duration{200, 200, 200, 200}, []bool{false, false, false, false}, "1123"},
		{"every packet duplicated", func(_ int, p rxPkt) []rxPkt { return []rxPkt{p, p} },
			[]time.Duration{200, 200, 200, 200}, []bool{false, false, false, false}, "1123"},
		{"start packets lost", func(_ int, p rxPkt) []rxPkt {
			if p.pkt.Marker {
				return nil
			}
			return []rxPkt{p}
		}, []time.Duration{200, 200, 200, 200}, []bool{false, false, false, false}, "1123"},
		{"all end packets of the first '1' lost", func(i int, p rxPkt) []rxPkt {
			if p.pkt.Payload.End && p.pkt.Timestamp == clean[0].pkt.Timestamp {
				return nil
			}
			return []rxPkt{p}
		}, []time.Duration{180, 200, 200, 200}, []bool{true, false, false, false}, "1123"},
		{"all end packets lost everywhere (timeout ends the last)", func(i int, p rxPkt) []rxPkt {
			if p.pkt.Payload.End {
				return nil
			}
			return []rxPkt{p}
		}, []time.Duration{180, 180, 180, 180}, []bool{true, true, true, true}, "1123"},
		{"only end packets survive", func(i int, p rxPkt) []rxPkt {
			if !p.pkt.Payload.End {
				return nil
			}
			return []rxPkt{p}
		}, []time.Duration{200, 200, 200, 200}, []bool{false, false, false, false}, "1123"},
		{"end retransmitted late, after the next digit began", func(i int, p rxPkt) []rxPkt {
			if p.pkt.Payload.End {
				p.tick += 12
			}
			return []rxPkt{p}
		}, nil, nil, "1123"},
		{"reordered updates", func(i int, p rxPkt) []rxPkt {
			if i%3 == 1 {
				p.tick++
			}
			return []rxPkt{p}
		}, []time.Duration{200, 200, 200, 200}, nil, "1123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []rxPkt
			for i, p := range clean {
				in = append(in, tt.f(i, p)...)
			}
			sortByTick(in)
			evs := receive(in, clean[len(clean)-1].tick+40)
			if got := digits(evs); got != tt.wantDigit {
				t.Fatalf("digits = %q, want %q (%+v)", got, tt.wantDigit, evs)
			}
			for i, e := range evs {
				if tt.wantDur != nil && e.Duration != tt.wantDur[i]*time.Millisecond {
					t.Errorf("event %d duration = %v, want %v", i, e.Duration, tt.wantDur[i]*time.Millisecond)
				}
				if tt.wantLost != nil && e.EndLost != tt.wantLost[i] {
					t.Errorf("event %d EndLost = %v, want %v", i, e.EndLost, tt.wantLost[i])
				}
				if i > 0 && !after(e.Timestamp, evs[i-1].Timestamp) {
					t.Errorf("event %d ts %d not after %d", i, e.Timestamp, evs[i-1].Timestamp)
				}
			}
		})
	}
}

func sortByTick(p []rxPkt) {
	for i := 1; i < len(p); i++ { // stable insertion sort keeps send order within a tick
		for j := i; j > 0 && p[j].tick < p[j-1].tick; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// TestReceiverRandomLoss sends all 16 digits through 20% random loss and
// duplication many times: every digit is reported exactly once, in order,
// as long as at least one of its packets got through.
func TestReceiverRandomLoss(t *testing.T) {
	clean := schedule(t, "0123456789*#ABCD", 120*time.Millisecond)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var in []rxPkt
		survived := map[uint32]bool{}
		for _, p := range clean {
			if rng.Float64() < 0.2 {
				continue
			}
			survived[p.pkt.Timestamp] = true
			in = append(in, p)
			if rng.Float64() < 0.1 {
				in = append(in, p)
			}
		}
		want := ""
		var seen []uint32
		for _, p := range clean {
			if survived[p.pkt.Timestamp] && (len(seen) == 0 || seen[len(seen)-1] != p.pkt.Timestamp) {
				seen = append(seen, p.pkt.Timestamp)
				d, _ := Digit(p.pkt.Payload.Event)
				want += string(d)
			}
		}
		evs := receive(in, clean[len(clean)-1].tick+40)
		if got := digits(evs); got != want {
			t.Fatalf("round %d: digits %q, want %q", round, got, want)
		}
		for _, e := range evs {
			if e.Duration <= 0 || e.Duration > 120*time.Millisecond {
				t.Fatalf("round %d: duration %v out of (0, 120ms]", round, e.Duration)
			}
		}
	}
}

func FuzzPayload(f *testing.F) {
	f.Add([]byte{1, 0x8a, 3, 0x20})
	f.Add([]byte{255, 0xff, 0xff, 0xff, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Payload
		if err := p.Unmarshal(b); err != nil {
			if len(b) >= PayloadSize {
				t.Fatalf("Unmarshal(% x) = %v", b, err)
			}
			return
		}
		out := p.Append(nil)
		want := []byte{b[0], b[1] &^ 0x40, b[2], b[3]} // R bit cleared on send
		if string(out) != string(want) {
			t.Fatalf("re-marshal % x, want % x", out, want)
		}
	})
}

// FuzzReceiver feeds arbitrary packet streams: the receiver never reports
// an event twice and reports events in timestamp order.
func FuzzReceiver(f *testing.F) {
	f.Add([]byte{0, 1, 0, 160, 0, 1, 0x80, 0xff, 200, 2, 0, 80})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReceiver(ReceiverConfig{})
		now := time.Unix(0, 0)
		var ts uint32 = 1 << 31
		var evs []Event
		for len(b) >= 4 {
			ts += uint32(b[0]) * 40 // 0 keeps the timestamp (same event)
			var p Payload
			_ = p.Unmarshal([]byte{b[1] % 17, b[2], b[3], b[0]})
			now = now.Add(time.Duration(b[3]) * time.Millisecond)
			evs = r.Handle(evs, ts, b[2]&1 == 1, p, now)
			evs = r.Expire(evs, now)
			b = b[4:]
		}
		for i := 1; i < len(evs); i++ {
			if !after(evs[i].Timestamp, evs[i-1].Timestamp) && evs[i].Timestamp != evs[i-1].Timestamp {
				t.Fatalf("event %d ts %d before %d", i, evs[i].Timestamp, evs[i-1].Timestamp)
			}
			if evs[i].Timestamp == evs[i-1].Timestamp && evs[i].Code == evs[i-1].Code {
				t.Fatalf("event %d reported twice: %+v", i, evs[i])
			}
		}
	})
}
