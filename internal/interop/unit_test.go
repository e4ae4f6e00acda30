package interop

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestToneCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []float64{440, 880} {
		p := filepath.Join(dir, "t.wav")
		if err := WriteToneWAV(p, f, time.Second); err != nil {
			t.Fatal(err)
		}
		res, err := ToneCheck(p, 440, 880)
		if err != nil {
			t.Fatal(err)
		}
		if res.Dominant != f || res.Silent || res.Rate != ToneRate {
			t.Errorf("%v Hz tone: dominant %v, silent %v, rate %d; want %v, false, %d", f, res.Dominant, res.Silent, res.Rate, f, ToneRate)
		}
		if got, want := res.Seconds, 1.0; got != want {
			t.Errorf("seconds = %v, want %v", got, want)
		}
		if res.RMS < 11000 || res.RMS > 12200 { // 16383/√2 ≈ 11585
			t.Errorf("rms = %.0f, want about 11585", res.RMS)
		}
	}
	silent := filepath.Join(dir, "silent.wav")
	if err := WriteWAV(silent, ToneRate, make([]int16, ToneRate)); err != nil {
		t.Fatal(err)
	}
	if res, err := ToneCheck(silent, 440); err != nil || !res.Silent {
		t.Errorf("silence: %+v, %v; want Silent", res, err)
	}
	short := filepath.Join(dir, "short.wav")
	if err := WriteWAV(short, ToneRate, make([]int16, 100)); err != nil {
		t.Fatal(err)
	}
	if _, err := ToneCheck(short, 440); !errors.Is(err, ErrTooShort) {
		t.Errorf("short recording: err = %v, want ErrTooShort", err)
	}
}

// TestToneCheckSox cross-checks the WAV reader with a file made by sox
// through scripts/interop/make-tone.sh.
func TestToneCheckSox(t *testing.T) {
	t.Parallel()
	requireTool(t, "sox", "sox")
	p := filepath.Join(t.TempDir(), "sox.wav")
	script := filepath.Join(scriptsDir(t), "make-tone.sh")
	if out, err := exec.Command(script, p, "880", "2").CombinedOutput(); err != nil {
		t.Fatalf("make-tone.sh: %v: %s", err, out)
	}
	res, err := ToneCheck(p, 440, 880)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dominant != 880 || res.Silent || res.Seconds != 2 {
		t.Errorf("sox 880 Hz: %+v; want dominant 880, 2 s, not silent", res)
	}
}

func TestReadWAVUnfinishedHeader(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "u.wav")
	if err := WriteToneWAV(p, 440, 500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[40:44], []byte{0, 0, 0, 0}) // data size never fixed up
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, s, err := ReadWAV(p)
	if err != nil || len(s) != ToneRate/2 {
		t.Errorf("ReadWAV: %d samples, %v; want %d", len(s), err, ToneRate/2)
	}
}

func TestParseSIPpStats(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "stat.csv")
	csv := "StartTime;TotalCallCreated(C);SuccessfulCall(C);FailedCall(C);Retransmissions(C);ResponseTime1(C);CallLength(C);\n" +
		"2026-11-25\t03:50:39.830768\t1795578639.830768;0;0;0;0;00:00:00:000000;00:00:00:000000;\n" +
		"2026-11-25\t03:50:40.049429\t1795578640.049429;12;10;2;7;00:00:01:314000;00:02:00:008000;\n"
	if err := os.WriteFile(p, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := parseSIPpStats(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.TotalCallCreated != 12 || st.SuccessfulCall != 10 || st.FailedCall != 2 || st.Retransmissions != 7 {
		t.Errorf("counters = %+v, want 12/10/2/7", st)
	}
	if got, want := st.ResponseTime1, 1314*time.Millisecond; got != want {
		t.Errorf("ResponseTime1 = %v, want %v", got, want)
	}
	if got, want := st.CallLength, 2*time.Minute+8*time.Millisecond; got != want {
		t.Errorf("CallLength = %v, want %v", got, want)
	}
}

func TestReadNetstring(t *testing.T) {
	t.Parallel()
	br := bufio.NewReader(strings.NewReader(`5:hello,0:,3:abc`))
	for _, want := range []string{"hello", ""} {
		got, err := readNetstring(br)
		if err != nil || string(got) != want {
			t.Errorf("readNetstring = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := readNetstring(br); err == nil {
		t.Error("truncated netstring: want an error")
	}
	if _, err := readNetstring(bufio.NewReader(strings.NewReader("x:1,"))); err == nil {
		t.Error("bad length: want an error")
	}
}

func TestFreePorts(t *testing.T) {
	t.Parallel()
	p, err := FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if !udpTCPFree(p + i) {
			t.Errorf("port %d not free", p+i)
		}
	}
}
