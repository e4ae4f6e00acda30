package audio

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWAVRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.wav")
	w, err := CreateWAV(p, 16000)
	if err != nil {
		t.Fatal(err)
	}
	want := readN(t, NewTone(16000, 1000, -3), 16000*3/2)
	for i := 0; i < len(want); i += 320 {
		if n, err := w.Write(want[i : i+320]); n != 320 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := w.Write(want[:10]); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	b, _ := os.ReadFile(p)
	if got := binary.LittleEndian.Uint32(b[40:]); got != uint32(2*len(want)) {
		t.Errorf("data size in header = %d, want %d", got, 2*len(want))
	}
	if got := binary.LittleEndian.Uint32(b[4:]); got != uint32(len(b)-8) {
		t.Errorf("RIFF size = %d, want %d", got, len(b)-8)
	}
	src, err := OpenWAV(p, WAVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.SampleRate() != 16000 {
		t.Errorf("SampleRate = %d", src.SampleRate())
	}
	got := make([]int16, len(want)+100)
	n, err := src.Read(got)
	if n != len(want) || !errors.Is(err, io.EOF) {
		t.Fatalf("Read = %d, %v; want %d, EOF", n, err, len(want))
	}
	if !slices.Equal(got[:n], want) {
		t.Error("samples differ after round trip")
	}
}

func TestWAVKilledWriterLeavesReadableFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.wav")
	w, err := CreateWAV(p, 8000)
	if err != nil {
		t.Fatal(err)
	}
	x := readN(t, NewTone(8000, 440, -6), 9600) // 1.2 s, never closed
	for i := 0; i < len(x); i += 160 {
		w.Write(x[i : i+160])
	}
	src, err := OpenWAV(p, WAVOptions{})
	if err != nil {
		t.Fatalf("open unclosed file: %v", err)
	}
	got := make([]int16, 20000)
	n, _ := src.Read(got)
	src.Close()
	if n < 8000 || !slices.Equal(got[:n], x[:n]) {
		t.Errorf("read %d samples from a killed writer's file, want ≥ 8000 matching", n)
	}
	w.Close()

	// A header never fixed up (sizes 0) with data after it: play to EOF.
	b, _ := os.ReadFile(p)
	binary.LittleEndian.PutUint32(b[4:], 0)
	binary.LittleEndian.PutUint32(b[40:], 0)
	b = b[:len(b)-1] // and a torn last sample
	os.WriteFile(p, b, 0o600)
	src, err = OpenWAV(p, WAVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n, err = src.Read(got)
	src.Close()
	if n != len(x)-1 || !errors.Is(err, io.EOF) {
		t.Errorf("zero-size header: Read = %d, %v; want %d, EOF", n, err, len(x)-1)
	}
}

func TestWAVAtEOFAndResample(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.wav")
	w, _ := CreateWAV(p, 8000)
	w.Write([]int16{1, 2, 3})
	w.Close()

	loop, _ := OpenWAV(p, WAVOptions{AtEOF: LoopAtEOF})
	got := make([]int16, 7)
	if n, err := loop.Read(got); n != 7 || err != nil || !slices.Equal(got, []int16{1, 2, 3, 1, 2, 3, 1}) {
		t.Errorf("loop Read = %d, %v, %v", n, err, got)
	}
	loop.Close()
	sil, _ := OpenWAV(p, WAVOptions{AtEOF: SilenceAtEOF})
	if n, err := sil.Read(got); n != 7 || err != nil || !slices.Equal(got, []int16{1, 2, 3, 0, 0, 0, 0}) {
		t.Errorf("silence Read = %d, %v, %v", n, err, got)
	}
	sil.Close()

	p2 := filepath.Join(t.TempDir(), "t.wav")
	w, _ = CreateWAV(p2, 44100)
	w.Write(readN(t, NewTone(44100, 1000, -6), 44100))
	w.Close()
	rs, err := OpenWAV(p2, WAVOptions{Rate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if rs.SampleRate() != 8000 {
		t.Fatalf("resampled SampleRate = %d", rs.SampleRate())
	}
	y := readN(t, rs, 7000)
	if snr := ToneSNR(y[200:], 8000, 1000); snr < 60 {
		t.Errorf("resampled WAV SNR = %.1f dB, want ≥ 60", snr)
	}
}

func TestWAVStereoAndRejects(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "st.wav")
	w, _ := CreateWAVChannels(p, 8000, 2)
	w.Write([]int16{100, 300, -100, -300})
	w.Close()
	src, err := OpenWAV(p, WAVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int16, 2)
	if n, _ := src.Read(got); n != 2 || !slices.Equal(got, []int16{200, -200}) {
		t.Errorf("stereo mixdown = %v, want [200 -200]", got[:n])
	}
	src.Close()

	b, _ := os.ReadFile(p)
	binary.LittleEndian.PutUint16(b[34:], 8) // 8-bit
	bad := filepath.Join(dir, "8bit.wav")
	os.WriteFile(bad, b, 0o600)
	if _, err := OpenWAV(bad, WAVOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("8-bit file: err = %v, want ErrFormat", err)
	}
	os.WriteFile(bad, []byte("not a wav file at all, sorry"), 0o600)
	if _, err := OpenWAV(bad, WAVOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("text file: err = %v, want ErrFormat", err)
	}
	if _, err := OpenWAV(filepath.Join(dir, "missing.wav"), WAVOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want ErrNotExist", err)
	}
}
