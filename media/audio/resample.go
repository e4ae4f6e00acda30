package audio

import (
	"errors"
	"fmt"
	"math"
)

// Resampler converts mono 16-bit PCM from one sample rate to another with a
// rational polyphase FIR filter (Kaiser-windowed sinc). It is streaming: the
// filter history and the fractional output position carry across calls, so
// feeding a signal in frames of any size gives the same output as feeding it
// whole. For 8000↔16000↔48000 and 44100↔8000/16000/48000 the up/down
// factors are small enough that the coefficient table stays under 64 KiB.
//
// A Resampler is not safe for concurrent use.
type Resampler struct {
	inRate, outRate int
	up, down        int
	taps            int       // taps per phase
	coef            []float32 // coef[p*taps+taps-1-k] = h[p+k*up]: phase-major, time-reversed
	buf             []float32 // taps-1 samples of history, then new input
	pos             int       // next output's position on the upsampled grid, relative to the first new input
	center          int       // filter delay in upsampled samples
}

// Filter design constants: the passband edge sits at 45% of the lower of
// the two rates (3.6 kHz for 8 kHz telephony), the window is Kaiser β=8
// (about 80 dB stop band) and the filter spans zeroCrossings lobes of the
// low-rate sinc on each side.
const (
	cutoffFraction = 0.45
	kaiserBeta     = 8.0
	zeroCrossings  = 20
)

// ErrRate reports a sample rate the caller cannot use.
var ErrRate = errors.New("unsupported sample rate")

// NewResampler returns a resampler from inRate to outRate (both in Hz).
func NewResampler(inRate, outRate int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 || inRate > 384000 || outRate > 384000 {
		return nil, fmt.Errorf("resampler %d to %d Hz: %w", inRate, outRate, ErrRate)
	}
	g := gcd(inRate, outRate)
	up, down := outRate/g, inRate/g
	r := &Resampler{inRate: inRate, outRate: outRate, up: up, down: down}
	if up == 1 && down == 1 {
		return r, nil
	}
	l := max(up, down)
	fc := cutoffFraction / float64(l) // cycles per upsampled sample
	// An odd-length filter centred on an upsampled sample: its delay is
	// zeroCrossings·l upsampled samples, a whole number of samples at the
	// lower rate, so chains such as 8k→16k→8k stay sample-aligned.
	center := zeroCrossings * l
	r.taps = (2*center + 1 + up - 1) / up
	n := r.taps * up // zero-padded after the last real tap
	r.center = center
	h := make([]float64, n)
	i0b := besselI0(kaiserBeta)
	for i := range 2*center + 1 {
		x := float64(i - center)
		s := 2 * fc
		if x != 0 {
			s = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		t := x / float64(center+1)
		w := besselI0(kaiserBeta*math.Sqrt(1-t*t)) / i0b
		h[i] = s * w * float64(up) // ×up restores the gain lost to zero stuffing
	}
	r.coef = make([]float32, n)
	for p := range up {
		for k := range r.taps {
			r.coef[p*r.taps+r.taps-1-k] = float32(h[p+k*up])
		}
	}
	r.buf = make([]float32, r.taps-1, r.taps-1+1024)
	return r, nil
}

// InRate and OutRate are the rates given to NewResampler.
func (r *Resampler) InRate() int  { return r.inRate }
func (r *Resampler) OutRate() int { return r.outRate }

// Delay is the filter's group delay in output samples (a whole number
// when the output rate is the lower one or an integer multiple of the input).
func (r *Resampler) Delay() float64 {
	return float64(r.center) / float64(r.down)
}

// OutLen returns the most samples Process can append for n input samples.
func (r *Resampler) OutLen(n int) int {
	return (n*r.up)/r.down + 1
}

// Reset clears the history so the next Process starts a new stream.
func (r *Resampler) Reset() {
	r.pos = 0
	r.buf = r.buf[:max(r.taps-1, 0)]
	clear(r.buf)
}

// Process appends the resampled form of in to out and returns it.
func (r *Resampler) Process(out []int16, in []int16) []int16 {
	if r.up == r.down {
		return append(out, in...)
	}
	hist := r.taps - 1
	r.buf = r.buf[:hist]
	for _, v := range in {
		r.buf = append(r.buf, float32(v))
	}
	t := r.pos
	for ; t < len(in)*r.up; t += r.down {
		i, p := t/r.up, t%r.up
		c := r.coef[p*r.taps : (p+1)*r.taps]
		// buf[i+hist] is in[i], the newest sample under the filter;
		// the phase's taps are stored reversed so both run forward.
		out = append(out, clamp16(dot32(c, r.buf[i:i+r.taps])))
	}
	r.pos = t - len(in)*r.up
	copy(r.buf, r.buf[len(r.buf)-hist:])
	r.buf = r.buf[:hist]
	return out
}

// dot32 is the FIR inner product, four accumulators wide so the adds
// pipeline.
func dot32(c, x []float32) float32 {
	x = x[:len(c)]
	var a0, a1, a2, a3 float32
	k := 0
	for ; k+4 <= len(c); k += 4 {
		a0 += c[k] * x[k]
		a1 += c[k+1] * x[k+1]
		a2 += c[k+2] * x[k+2]
		a3 += c[k+3] * x[k+3]
	}
	for ; k < len(c); k++ {
		a0 += c[k] * x[k]
	}
	return (a0 + a1) + (a2 + a3)
}

func clamp16(v float32) int16 {
	v += 0.5 * sign32(v) // round half away from zero
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(v)
}

func sign32(v float32) float32 {
	if v < 0 {
		return -1
	}
	return 1
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// besselI0 is the zeroth-order modified Bessel function of the first kind
// (power series), used by the Kaiser window.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < sum*1e-17 {
			break
		}
	}
	return sum
}

// ResampleSource adapts a Source at one rate to a Source at another. Read
// returns exactly len(frame) samples (short only at the end of the stream),
// reading the underlying source in chunks of the matching duration.
type ResampleSource struct {
	src  Source
	rs   *Resampler
	in   []int16
	fifo []int16
	err  error
}

// NewResampleSource returns src converted to rate; if src already runs at
// rate it is still wrapped (a cheap copy) so callers need not branch.
func NewResampleSource(src Source, rate int) (*ResampleSource, error) {
	rs, err := NewResampler(src.SampleRate(), rate)
	if err != nil {
		return nil, err
	}
	return &ResampleSource{src: src, rs: rs}, nil
}

// Read implements Source.
func (s *ResampleSource) Read(frame []int16) (int, error) {
	for len(s.fifo) < len(frame) && s.err == nil {
		need := len(frame) - len(s.fifo)
		n := (need*s.rs.down+s.rs.up-1)/s.rs.up + 1
		if cap(s.in) < n {
			s.in = make([]int16, n)
		}
		in := s.in[:n]
		got, err := s.src.Read(in)
		s.fifo = s.rs.Process(s.fifo, in[:got])
		if err != nil {
			s.err = err
		} else if got == 0 {
			break // a source that returns nothing without error: do not spin
		}
	}
	n := copy(frame, s.fifo)
	s.fifo = s.fifo[:copy(s.fifo, s.fifo[n:])]
	if n < len(frame) && s.err != nil {
		return n, s.err
	}
	return n, nil
}

// SampleRate implements Source.
func (s *ResampleSource) SampleRate() int { return s.rs.outRate }

// Close closes the underlying source.
func (s *ResampleSource) Close() error { return s.src.Close() }

// ResampleSink adapts a Sink at one rate (the device) to accept frames at
// another rate (the codec). Write resamples and forwards at once.
type ResampleSink struct {
	dst Sink
	rs  *Resampler
	out []int16
}

// NewResampleSink returns a Sink taking samples at rate and writing them to
// dst at dst's rate.
func NewResampleSink(dst Sink, rate int) (*ResampleSink, error) {
	rs, err := NewResampler(rate, dst.SampleRate())
	if err != nil {
		return nil, err
	}
	return &ResampleSink{dst: dst, rs: rs}, nil
}

// Write implements Sink; it reports len(frame) once dst took all the
// resampled samples.
func (s *ResampleSink) Write(frame []int16) (int, error) {
	s.out = s.rs.Process(s.out[:0], frame)
	if len(s.out) == 0 {
		return len(frame), nil
	}
	n, err := s.dst.Write(s.out)
	if err != nil {
		return n * s.rs.down / s.rs.up, err
	}
	return len(frame), nil
}

// SampleRate implements Sink.
func (s *ResampleSink) SampleRate() int { return s.rs.inRate }

// Close closes the underlying sink.
func (s *ResampleSink) Close() error { return s.dst.Close() }
