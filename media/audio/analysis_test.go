package audio

import (
	"math"
	"testing"
)

func readN(t *testing.T, s Source, n int) []int16 {
	t.Helper()
	x := make([]int16, n)
	got, err := s.Read(x)
	if err != nil || got != n {
		t.Fatalf("Read = %d, %v; want %d, nil", got, err, n)
	}
	return x
}

func TestToneLevelAndGoertzel(t *testing.T) {
	for _, rate := range []int{8000, 16000, 44100, 48000} {
		x := readN(t, NewTone(rate, 1000, -6), rate/2)
		if got := ToneLevel(x, rate, 1000); math.Abs(got+6) > 0.05 {
			t.Errorf("%d Hz: ToneLevel(1000) = %.3f dBFS, want -6", rate, got)
		}
		if got := ToneLevel(x, rate, 1500); got > -60 {
			t.Errorf("%d Hz: ToneLevel(1500) = %.1f dBFS, want < -60 (no such tone)", rate, got)
		}
		if got := ToneSNR(x, rate, 1000); got < 70 {
			t.Errorf("%d Hz: ToneSNR = %.1f dB, want > 70 for a synthetic tone", rate, got)
		}
	}
}

func TestDualToneBins(t *testing.T) {
	x := readN(t, NewDualTone(8000, 697, 1209, -10), 8000*40/1000) // DTMF "1", 40 ms
	for _, f := range []float64{697, 1209} {
		if got := ToneLevel(x, 8000, f); math.Abs(got+10) > 1 {
			t.Errorf("level at %v Hz = %.2f, want -10 ±1", f, got)
		}
	}
	for _, f := range []float64{770, 852, 941, 1336, 1477} {
		if got := ToneLevel(x, 8000, f); got > -25 {
			t.Errorf("level at %v Hz = %.2f, want < -25", f, got)
		}
	}
}

func TestXCorrFindsLag(t *testing.T) {
	ref := readN(t, NewDualTone(8000, 300, 1170, -12), 4000)
	for i := range ref { // make it aperiodic so only one lag fits
		ref[i] = int16(float64(ref[i]) * (0.5 + 0.5*math.Sin(float64(i)/300)))
	}
	got := append(make([]int16, 123), ref...)
	for i := range got {
		got[i] /= 2 // gain must not matter
	}
	lag, c := XCorr(ref, got, 400)
	if lag != 123 || c < 0.999 {
		t.Fatalf("XCorr = lag %d corr %.4f, want 123, ≥0.999", lag, c)
	}
	if _, c := XCorr(ref, make([]int16, 100), 10); c != 0 {
		t.Errorf("XCorr against silence = %v, want 0", c)
	}
}

func TestRMSAndDBFS(t *testing.T) {
	if got := DBFS(RMS([]int16{16384, -16384})); math.Abs(got+6.02) > 0.01 {
		t.Errorf("DBFS(RMS(half-scale square)) = %.3f, want -6.02", got)
	}
	if got := DBFS(RMS(nil)); !math.IsInf(got, -1) {
		t.Errorf("DBFS of empty = %v, want -Inf", got)
	}
}
