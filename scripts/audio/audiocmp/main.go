// Command audiocmp compares a reference recording with what an audio path
// produced: it finds the lag with the highest normalised cross-correlation,
// prints lag, correlation, gain and the SNR of the aligned, gain-matched
// signal, and the share of 500 ms speech windows that match on their own.
// It exits 1 when the correlation is below -min (2 on usage errors).
//
//	audiocmp [-min 0.9] [-maxlag 1s] [-rate 8000] REF GOT
//
// REF and GOT are 16-bit mono WAV files, or raw S16_LE files (*.s16, *.raw)
// at -rate. GOT is resampled to REF's rate if they differ.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/teaphone/teaphone/media/audio"
)

func load(path string, rawRate, wantRate int) ([]int16, int, error) {
	if strings.HasSuffix(path, ".s16") || strings.HasSuffix(path, ".raw") {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, 0, err
		}
		s := make([]int16, len(b)/2)
		for i := range s {
			s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		if wantRate != 0 && wantRate != rawRate {
			r, err := audio.NewResampler(rawRate, wantRate)
			if err != nil {
				return nil, 0, err
			}
			return r.Process(nil, s), wantRate, nil
		}
		return s, rawRate, nil
	}
	src, err := audio.OpenWAV(path, audio.WAVOptions{Rate: wantRate})
	if err != nil {
		return nil, 0, err
	}
	defer src.Close()
	var s []int16
	buf := make([]int16, 4096)
	for {
		n, err := src.Read(buf)
		s = append(s, buf[:n]...)
		if err == io.EOF {
			return s, src.SampleRate(), nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

func main() {
	minCorr := flag.Float64("min", 0.9, "minimum correlation to pass")
	maxLag := flag.Duration("maxlag", time.Second, "largest lag of GOT behind REF to search")
	rawRate := flag.Int("rate", 8000, "sample rate of raw .s16/.raw inputs")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: audiocmp [-min 0.9] [-maxlag 1s] [-rate 8000] REF GOT")
		os.Exit(2)
	}
	ref, rate, err := load(flag.Arg(0), *rawRate, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "audiocmp:", err)
		os.Exit(2)
	}
	got, _, err := load(flag.Arg(1), *rawRate, rate)
	if err != nil {
		fmt.Fprintln(os.Stderr, "audiocmp:", err)
		os.Exit(2)
	}
	lag, corr := audio.XCorr(ref, got, int(maxLag.Seconds()*float64(rate)))

	// Gain-matched SNR over the aligned overlap.
	n := min(len(ref), len(got)-lag)
	var dot, er float64
	for i := range n {
		dot += float64(ref[i]) * float64(got[lag+i])
		er += float64(ref[i]) * float64(ref[i])
	}
	gain := dot / er
	var noise float64
	for i := range n {
		d := float64(got[lag+i]) - gain*float64(ref[i])
		noise += d * d
	}
	snr := 10 * math.Log10(gain*gain*er/math.Max(noise, 1e-9))

	// Windows of 500 ms with speech (above -40 dBFS RMS), each compared at
	// the global lag: a glitch (dropped or repeated audio) shows up here.
	w := rate / 2
	good, total := 0, 0
	for s := 0; s+w <= n; s += w {
		if audio.DBFS(audio.RMS(ref[s:s+w])) < -40 {
			continue
		}
		total++
		if _, c := audio.XCorr(ref[s:s+w], got[lag+s:lag+s+w], 0); c >= 0.9 {
			good++
		}
	}
	fmt.Printf("ref %s: %.2f s at %d Hz, RMS %.1f dBFS\n", flag.Arg(0), float64(len(ref))/float64(rate), rate, audio.DBFS(audio.RMS(ref)))
	fmt.Printf("got %s: %.2f s, RMS %.1f dBFS\n", flag.Arg(1), float64(len(got))/float64(rate), audio.DBFS(audio.RMS(got)))
	fmt.Printf("lag %.1f ms  correlation %.4f  gain %.3f  SNR %.1f dB  speech windows matching %d/%d\n",
		1000*float64(lag)/float64(rate), corr, gain, snr, good, total)
	if lag+len(ref) > len(got) {
		fmt.Printf("note: got ends %.0f ms before the aligned reference does\n", 1000*float64(lag+len(ref)-len(got))/float64(rate))
	}
	if corr < *minCorr {
		fmt.Printf("FAIL: correlation %.4f < %.2f\n", corr, *minCorr)
		os.Exit(1)
	}
	fmt.Printf("PASS: correlation %.4f ≥ %.2f\n", corr, *minCorr)
}
