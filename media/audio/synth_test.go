package audio

import (
	"errors"
	"io"
	"math"
	"testing"
	"time"
)

func TestSilenceAndDiscard(t *testing.T) {
	s := NewSilence(16000)
	x := []int16{1, 2, 3}
	if n, err := s.Read(x); n != 3 || err != nil || x[0]|x[1]|x[2] != 0 {
		t.Fatalf("Read = %d, %v, %v; want 3 zeros", n, err, x)
	}
	if s.SampleRate() != 16000 {
		t.Errorf("SampleRate = %d", s.SampleRate())
	}
	d := NewDiscard(8000)
	d.Write(make([]int16, 160))
	d.Write(make([]int16, 80))
	if got := d.Samples(); got != 240 {
		t.Errorf("Samples = %d, want 240", got)
	}
}

// cadence reads src 10 ms at a time and returns, per 10 ms block, whether
// the tone at freq is on (above -40 dBFS).
func cadence(t *testing.T, src Source, freq float64, d time.Duration) []bool {
	rate := src.SampleRate()
	blk := rate / 100
	var on []bool
	for range int(d / (10 * time.Millisecond)) {
		x := readN(t, src, blk)
		on = append(on, ToneLevel(x, rate, freq) > -40)
	}
	return on
}

func runs(on []bool) []int { // lengths of alternating on/off runs, starting with on
	var r []int
	cur, n := true, 0
	for _, v := range on {
		if v != cur {
			r = append(r, n)
			cur, n = v, 0
		}
		n++
	}
	return append(r, n)
}

func TestRingbackCadence(t *testing.T) {
	tests := []struct {
		region Region
		freq   float64
		want   []int // run lengths in 10 ms blocks over 10 s
	}{
		{RegionEU, 425, []int{100, 400, 100, 400}},
		{RegionUS, 440, []int{200, 400, 200, 200}},
		{RegionUK, 400, []int{40, 20, 40, 200, 40, 20, 40, 200, 40, 20, 40, 200, 40, 20, 40}},
	}
	for _, tc := range tests {
		got := runs(cadence(t, Ringback(tc.region, 8000), tc.freq, 10*time.Second))
		if !equalInts(got, tc.want) {
			t.Errorf("%s ringback runs = %v, want %v", tc.region, got, tc.want)
		}
	}
	x := readN(t, Ringback(RegionEU, 8000), 4000)
	if got := ToneLevel(x[400:3600], 8000, 425); math.Abs(got-toneLevel) > 0.5 {
		t.Errorf("EU ringback level = %.2f dBFS, want %d", got, toneLevel)
	}
}

func TestBusyAndRingTone(t *testing.T) {
	if got, want := runs(cadence(t, Busy(RegionUS, 8000), 620, 2*time.Second)), []int{50, 50, 50, 50}; !equalInts(got, want) {
		t.Errorf("US busy runs = %v, want %v", got, want)
	}
	if got, want := runs(cadence(t, RingTone(16000), 480, 6*time.Second)), []int{40, 20, 40, 200, 40, 20, 40, 200}; !equalInts(got, want) {
		t.Errorf("ring tone runs = %v, want %v", got, want)
	}
}

func TestToneSequenceEndsWithoutRepeat(t *testing.T) {
	s := NewToneSequence(8000, false, ToneSegment{Freqs: []float64{1000}, LevelDBFS: -6, Duration: 25 * time.Millisecond})
	x := make([]int16, 160)
	if n, err := s.Read(x); n != 160 || err != nil {
		t.Fatalf("first Read = %d, %v", n, err)
	}
	if n, err := s.Read(x); n != 40 || !errors.Is(err, io.EOF) {
		t.Fatalf("second Read = %d, %v; want 40, EOF", n, err)
	}
	// Edges are ramped: the first sample is silent, no click.
	s2 := NewToneSequence(8000, false, ToneSegment{Freqs: []float64{1000}, LevelDBFS: 0, Duration: time.Second})
	s2.Read(x)
	if x[0] != 0 || abs(int(x[2])) > 8000 {
		t.Errorf("tone start not ramped: %v", x[:4])
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
