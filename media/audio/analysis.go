package audio

import "math"

// FullScale is the amplitude of a full-scale sine in 16-bit PCM; levels in
// dBFS in this package are relative to it (a full-scale sine is 0 dBFS RMS
// minus 3.01 dB, i.e. RMS dBFS is measured against a full-scale square).
const FullScale = 32768.0

// Goertzel returns the power of the frequency component freq (Hz) in x
// sampled at rate, normalised so that a sine of amplitude A yields A*A/4
// (the squared magnitude of its single-sided DFT bin divided by len²).
// It is the single-bin DFT used by DTMF detectors; callers compare bins.
func Goertzel(x []int16, rate int, freq float64) float64 {
	if len(x) == 0 || rate <= 0 {
		return 0
	}
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	re := s1 - s2*math.Cos(w)
	im := s2 * math.Sin(w)
	n := float64(len(x))
	return (re*re + im*im) / (n * n)
}

// ToneLevel returns the level of the freq component of x in dBFS, where a
// full-scale sine (amplitude 32768) reads 0 dBFS. It returns -Inf for no
// energy at all. Use a window of many periods (≥ 20 ms) for a stable value.
func ToneLevel(x []int16, rate int, freq float64) float64 {
	p := Goertzel(x, rate, freq)
	amp := 2 * math.Sqrt(p) // sine amplitude
	return 20 * math.Log10(amp/FullScale)
}

// ToneSNR fits a sine at freq (least squares, any phase and amplitude) to x
// and returns the ratio of the fitted tone's energy to the residual energy,
// in dB. It measures codec and resampler distortion independently of delay.
func ToneSNR(x []int16, rate int, freq float64) float64 {
	if len(x) == 0 {
		return math.Inf(-1)
	}
	w := 2 * math.Pi * freq / float64(rate)
	// Normal equations for y ≈ a·cos + b·sin + c.
	var cc, ss, cs, c1, s1, n, yc, ys, y1 float64
	for i, v := range x {
		co, si := math.Cos(w*float64(i)), math.Sin(w*float64(i))
		y := float64(v)
		cc += co * co
		ss += si * si
		cs += co * si
		c1 += co
		s1 += si
		n++
		yc += y * co
		ys += y * si
		y1 += y
	}
	a, b, c := solve3([3][3]float64{{cc, cs, c1}, {cs, ss, s1}, {c1, s1, n}}, [3]float64{yc, ys, y1})
	var sig, noise float64
	for i, v := range x {
		fit := a*math.Cos(w*float64(i)) + b*math.Sin(w*float64(i))
		r := float64(v) - fit - c
		sig += fit * fit
		noise += r * r
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

// solve3 solves a 3×3 linear system by Cramer's rule.
func solve3(m [3][3]float64, v [3]float64) (float64, float64, float64) {
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
			m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
			m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(m)
	if d == 0 {
		return 0, 0, 0
	}
	var r [3]float64
	for k := range 3 {
		mk := m
		for i := range 3 {
			mk[i][k] = v[i]
		}
		r[k] = det(mk) / d
	}
	return r[0], r[1], r[2]
}

// RMS returns the root mean square of x in sample units.
func RMS(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(len(x)))
}

// DBFS converts a sample amplitude (RMS or peak) to dBFS relative to
// FullScale; 0 gives -Inf.
func DBFS(amplitude float64) float64 {
	return 20 * math.Log10(amplitude/FullScale)
}

// XCorr finds the lag in [0, maxLag] (samples by which got trails ref) that
// maximises the normalised cross-correlation between ref and got, and
// returns it with the correlation (1 = identical shape, gain ignored). The
// comparison uses the overlap of ref with got shifted by lag.
func XCorr(ref, got []int16, maxLag int) (lag int, corr float64) {
	rf, gf := toFloat(ref), toFloat(got)
	// Prefix sums of squares give each overlap's energies in O(1).
	pr, pg := prefixSquares(rf), prefixSquares(gf)
	best, bestLag := math.Inf(-1), 0
	for l := 0; l <= maxLag && l < len(gf); l++ {
		n := min(len(rf), len(gf)-l)
		er, eg := pr[n], pg[l+n]-pg[l]
		if er <= 0 || eg <= 0 {
			continue
		}
		g := gf[l : l+n]
		var dot float64
		for i, r := range rf[:n] {
			dot += r * g[i]
		}
		if c := dot / math.Sqrt(er*eg); c > best {
			best, bestLag = c, l
		}
	}
	if math.IsInf(best, -1) {
		return 0, 0
	}
	return bestLag, best
}

func toFloat(x []int16) []float64 {
	f := make([]float64, len(x))
	for i, v := range x {
		f[i] = float64(v)
	}
	return f
}

func prefixSquares(x []float64) []float64 {
	p := make([]float64, len(x)+1)
	for i, v := range x {
		p[i+1] = p[i] + v*v
	}
	return p
}
