package audio

import (
	"io"
	"math"
	"sync/atomic"
	"time"
)

// Silence is a Source of zeros that never ends.
type Silence struct{ rate int }

// NewSilence returns a silent source at rate Hz.
func NewSilence(rate int) *Silence { return &Silence{rate: rate} }

// Read implements Source.
func (s *Silence) Read(frame []int16) (int, error) {
	clear(frame)
	return len(frame), nil
}

// SampleRate implements Source.
func (s *Silence) SampleRate() int { return s.rate }

// Close implements Source.
func (s *Silence) Close() error { return nil }

// Discard is a Sink that drops what it is given and counts it.
type Discard struct {
	rate    int
	samples atomic.Int64
}

// NewDiscard returns a null sink at rate Hz.
func NewDiscard(rate int) *Discard { return &Discard{rate: rate} }

// Write implements Sink.
func (d *Discard) Write(frame []int16) (int, error) {
	d.samples.Add(int64(len(frame)))
	return len(frame), nil
}

// Samples is how many samples were written so far.
func (d *Discard) Samples() int64 { return d.samples.Load() }

// SampleRate implements Sink.
func (d *Discard) SampleRate() int { return d.rate }

// Close implements Sink.
func (d *Discard) Close() error { return nil }

// Tone is an endless Source of one or more summed sines (a dial tone, a
// DTMF digit, a test tone). It is deterministic: the same parameters give
// the same samples.
type Tone struct {
	rate  int
	freqs []float64
	amp   float64 // per component, in sample units
	n     int64   // samples produced so far (phase = 2π f n / rate)
}

// NewTone returns a sine of freq Hz at levelDBFS (0 dBFS = full-scale
// amplitude) sampled at rate.
func NewTone(rate int, freq, levelDBFS float64) *Tone {
	return NewMultiTone(rate, []float64{freq}, levelDBFS)
}

// NewDualTone returns the sum of two sines, each at levelDBFS, as used by
// DTMF (e.g. 697+1209 Hz for "1") and by many call-progress tones.
func NewDualTone(rate int, f1, f2, levelDBFS float64) *Tone {
	return NewMultiTone(rate, []float64{f1, f2}, levelDBFS)
}

// NewMultiTone returns the sum of sines at freqs, each at levelDBFS.
func NewMultiTone(rate int, freqs []float64, levelDBFS float64) *Tone {
	return &Tone{rate: rate, freqs: append([]float64(nil), freqs...), amp: dbfsToAmp(levelDBFS)}
}

func dbfsToAmp(db float64) float64 { return FullScale * math.Pow(10, db/20) }

// Read implements Source; it always fills frame.
func (t *Tone) Read(frame []int16) (int, error) {
	for i := range frame {
		frame[i] = sat16(t.sample(t.n))
		t.n++
	}
	return len(frame), nil
}

func (t *Tone) sample(n int64) float64 {
	var v float64
	for _, f := range t.freqs {
		// f·n mod rate is exact for integer frequencies, so the phase
		// does not drift however long the tone runs.
		ph := 2 * math.Pi * math.Mod(f*float64(n), float64(t.rate)) / float64(t.rate)
		v += t.amp * math.Sin(ph)
	}
	return v
}

// SampleRate implements Source.
func (t *Tone) SampleRate() int { return t.rate }

// Close implements Source.
func (t *Tone) Close() error { return nil }

func sat16(v float64) int16 {
	v = math.Round(v)
	switch {
	case v > 32767:
		return 32767
	case v < -32768:
		return -32768
	}
	return int16(v)
}

// ToneSegment is one step of a cadenced tone: the sum of Freqs (none means
// silence) at LevelDBFS each, for Duration.
type ToneSegment struct {
	Freqs     []float64
	LevelDBFS float64
	Duration  time.Duration
}

// ToneSequence plays segments in order, optionally repeating forever: the
// cadence of ringback, busy and ring tones. Each tone segment starts at
// phase zero and is shaped with a short ramp (rampTime) at both ends so
// cadence edges do not click.
type ToneSequence struct {
	rate   int
	segs   []ToneSegment
	repeat bool
	idx    int   // current segment
	pos    int64 // sample within it
}

const rampTime = 4 * time.Millisecond

// NewToneSequence returns a sequence source at rate; with repeat false Read
// returns io.EOF after the last segment.
func NewToneSequence(rate int, repeat bool, segs ...ToneSegment) *ToneSequence {
	return &ToneSequence{rate: rate, segs: append([]ToneSegment(nil), segs...), repeat: repeat}
}

// Read implements Source.
func (s *ToneSequence) Read(frame []int16) (int, error) {
	i := 0
	ramp := float64(rampTime) * float64(s.rate) / float64(time.Second)
	for i < len(frame) {
		if s.idx >= len(s.segs) {
			if !s.repeat || len(s.segs) == 0 {
				return i, io.EOF
			}
			s.idx = 0
		}
		seg := s.segs[s.idx]
		n := int64(seg.Duration) * int64(s.rate) / int64(time.Second)
		if s.pos >= n {
			s.idx++
			s.pos = 0
			continue
		}
		amp := dbfsToAmp(seg.LevelDBFS)
		for ; i < len(frame) && s.pos < n; i++ {
			var v float64
			if len(seg.Freqs) > 0 {
				env := min(1, float64(s.pos)/ramp, float64(n-1-s.pos)/ramp)
				for _, f := range seg.Freqs {
					v += amp * math.Sin(2*math.Pi*math.Mod(f*float64(s.pos), float64(s.rate))/float64(s.rate))
				}
				v *= env
			}
			frame[i] = sat16(v)
			s.pos++
		}
	}
	return i, nil
}

// SampleRate implements Source.
func (s *ToneSequence) SampleRate() int { return s.rate }

// Close implements Source.
func (s *ToneSequence) Close() error { return nil }

// Region selects a national call-progress tone plan (ITU-T E.180 Suppl. 2).
type Region string

// Tone plans.
const (
	RegionUS Region = "us" // North America: 440+480 Hz ringback, 480+620 Hz busy
	RegionEU Region = "eu" // CEPT / most of Europe: 425 Hz
	RegionUK Region = "uk" // 400+450 Hz double-ring
)

// toneLevel is the per-component level of call-progress tones: quiet
// enough to sit comfortably under speech.
const toneLevel = -20

// Ringback returns the endless ringing tone a caller hears while the far end
// rings (E.180 §3.3 "ringing tone"): US 440+480 Hz 2 s on 4 s off, EU 425 Hz
// 1 s on 4 s off, UK 400+450 Hz 0.4 on 0.2 off 0.4 on 2 s off. Unknown
// regions get the EU plan.
func Ringback(r Region, rate int) *ToneSequence {
	on := func(d time.Duration, f ...float64) ToneSegment {
		return ToneSegment{Freqs: f, LevelDBFS: toneLevel, Duration: d}
	}
	off := func(d time.Duration) ToneSegment { return ToneSegment{Duration: d} }
	switch r {
	case RegionUS:
		return NewToneSequence(rate, true, on(2*time.Second, 440, 480), off(4*time.Second))
	case RegionUK:
		return NewToneSequence(rate, true, on(400*time.Millisecond, 400, 450), off(200*time.Millisecond),
			on(400*time.Millisecond, 400, 450), off(2*time.Second))
	default:
		return NewToneSequence(rate, true, on(time.Second, 425), off(4*time.Second))
	}
}

// Busy returns the endless busy tone: US 480+620 Hz 0.5 s on 0.5 s off,
// EU 425 Hz 0.5/0.5, UK 400 Hz 0.375/0.375.
func Busy(r Region, rate int) *ToneSequence {
	seg := func(d time.Duration, f ...float64) []ToneSegment {
		return []ToneSegment{{Freqs: f, LevelDBFS: toneLevel, Duration: d}, {Duration: d}}
	}
	switch r {
	case RegionUS:
		return NewToneSequence(rate, true, seg(500*time.Millisecond, 480, 620)...)
	case RegionUK:
		return NewToneSequence(rate, true, seg(375*time.Millisecond, 400)...)
	default:
		return NewToneSequence(rate, true, seg(500*time.Millisecond, 425)...)
	}
}

// RingTone returns the local alert played for an incoming call: a
// double burst of a 440+480 Hz chord (0.4 s on, 0.2 s off, 0.4 s on)
// every 3 s, louder than call-progress tones.
func RingTone(rate int) *ToneSequence {
	on := ToneSegment{Freqs: []float64{440, 480}, LevelDBFS: -12, Duration: 400 * time.Millisecond}
	return NewToneSequence(rate, true, on, ToneSegment{Duration: 200 * time.Millisecond}, on,
		ToneSegment{Duration: 2 * time.Second})
}
