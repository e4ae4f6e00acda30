package interop

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ToneRate is the sample rate of the test tones: PCMU/PCMA's 8000 Hz, the
// format baresip's aufile source needs (S16LE mono at the codec rate).
const ToneRate = 8000

// WriteToneWAV writes a sine tone of freq Hz lasting dur as a 16-bit
// little-endian mono WAV at ToneRate, amplitude one half of full scale.
func WriteToneWAV(path string, freq float64, dur time.Duration) error {
	n := int(dur.Seconds() * ToneRate)
	samples := make([]int16, n)
	for i := range samples {
		samples[i] = int16(16383 * math.Sin(2*math.Pi*freq*float64(i)/ToneRate))
	}
	return WriteWAV(path, ToneRate, samples)
}

// WriteWAV writes mono 16-bit PCM samples as a canonical RIFF/WAVE file.
func WriteWAV(path string, rate int, samples []int16) error {
	data := make([]byte, 44+2*len(samples))
	le := binary.LittleEndian
	copy(data[0:], "RIFF")
	le.PutUint32(data[4:], uint32(36+2*len(samples)))
	copy(data[8:], "WAVEfmt ")
	le.PutUint32(data[16:], 16)           // fmt chunk size
	le.PutUint16(data[20:], 1)            // PCM
	le.PutUint16(data[22:], 1)            // channels
	le.PutUint32(data[24:], uint32(rate)) // sample rate
	le.PutUint32(data[28:], uint32(2*rate))
	le.PutUint16(data[32:], 2)  // block align
	le.PutUint16(data[34:], 16) // bits per sample
	copy(data[36:], "data")
	le.PutUint32(data[40:], uint32(2*len(samples)))
	for i, s := range samples {
		le.PutUint16(data[44+2*i:], uint16(s))
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("interop: write wav: %w", err)
	}
	return nil
}

// ToneWAV writes a 30 s test tone of freq Hz into the test's temp dir and
// returns its path.
func ToneWAV(tb testing.TB, freq float64) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), fmt.Sprintf("tone%.0f.wav", freq))
	if err := WriteToneWAV(p, freq, 30*time.Second); err != nil {
		tb.Fatal(err)
	}
	return p
}

// ReadWAV reads a 16-bit PCM WAV file and returns its rate and the samples
// of its first channel. A data chunk whose size field was never fixed up
// (a recorder still writing, or killed) is read to the end of the file.
func ReadWAV(path string) (int, []int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, fmt.Errorf("interop: read wav: %w", err)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, nil, fmt.Errorf("interop: %s: not a RIFF/WAVE file", path)
	}
	le := binary.LittleEndian
	var rate, channels, bits int
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(le.Uint32(b[off+4:]))
		body := off + 8
		switch id {
		case "fmt ":
			if size < 16 || body+16 > len(b) {
				return 0, nil, fmt.Errorf("interop: %s: short fmt chunk", path)
			}
			if format := le.Uint16(b[body:]); format != 1 && format != 0xfffe {
				return 0, nil, fmt.Errorf("interop: %s: not PCM (format %d)", path, format)
			}
			channels = int(le.Uint16(b[body+2:]))
			rate = int(le.Uint32(b[body+4:]))
			bits = int(le.Uint16(b[body+14:]))
		case "data":
			if rate == 0 || channels == 0 {
				return 0, nil, fmt.Errorf("interop: %s: data before fmt", path)
			}
			if bits != 16 {
				return 0, nil, fmt.Errorf("interop: %s: %d-bit samples, want 16", path, bits)
			}
			end := body + size
			if size == 0 || size == math.MaxUint32 || end > len(b) {
				end = len(b)
			}
			frame := 2 * channels
			n := (end - body) / frame
			samples := make([]int16, n)
			for i := range n {
				samples[i] = int16(le.Uint16(b[body+i*frame:]))
			}
			return rate, samples, nil
		}
		off = body + size + size%2
	}
	return 0, nil, fmt.Errorf("interop: %s: %w", path, io.ErrUnexpectedEOF)
}

// ToneResult is what ToneCheck found in a recording.
type ToneResult struct {
	Rate     int
	Seconds  float64
	RMS      float64             // of the analysed middle half
	Power    map[float64]float64 // Goertzel power per asked frequency
	Dominant float64             // the asked frequency with the most power
	Silent   bool                // RMS below SilenceRMS
}

// SilenceRMS is the RMS (of 16-bit samples) below which a recording counts
// as silent; the test tones have an RMS of about 11600.
const SilenceRMS = 100

// ErrTooShort is returned by ToneCheck for recordings under 0.2 s.
var ErrTooShort = errors.New("interop: recording too short")

// ToneCheck analyses the middle half of a WAV recording (skipping call setup
// and teardown) and reports which of freqs dominates, by Goertzel power,
// and whether the recording is silent.
func ToneCheck(wavPath string, freqs ...float64) (ToneResult, error) {
	rate, s, err := ReadWAV(wavPath)
	if err != nil {
		return ToneResult{}, err
	}
	res := ToneResult{Rate: rate, Seconds: float64(len(s)) / float64(rate), Power: map[float64]float64{}}
	if len(s) < rate/5 {
		return res, fmt.Errorf("%w: %s has %.2f s", ErrTooShort, wavPath, res.Seconds)
	}
	mid := s[len(s)/4 : len(s)*3/4]
	var sum float64
	for _, x := range mid {
		sum += float64(x) * float64(x)
	}
	res.RMS = math.Sqrt(sum / float64(len(mid)))
	res.Silent = res.RMS < SilenceRMS
	best := -1.0
	for _, f := range freqs {
		p := goertzel(mid, rate, f)
		res.Power[f] = p
		if p > best {
			best, res.Dominant = p, f
		}
	}
	return res, nil
}

// goertzel returns the power of frequency f in samples, normalised by the
// sample count.
func goertzel(samples []int16, rate int, f float64) float64 {
	k := 2 * math.Cos(2*math.Pi*f/float64(rate))
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x) + k*s1 - s2
		s2, s1 = s1, s0
	}
	return (s1*s1 + s2*s2 - k*s1*s2) / float64(len(samples))
}
