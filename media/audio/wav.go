package audio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// ErrFormat reports a WAV file this package cannot read.
var ErrFormat = errors.New("unsupported wav format")

// AtEOF says what a WAV source does when the file ends.
type AtEOF int

const (
	// StopAtEOF returns io.EOF (after any final partial frame).
	StopAtEOF AtEOF = iota
	// LoopAtEOF starts again from the first sample.
	LoopAtEOF
	// SilenceAtEOF returns silence forever (a call keeps its media flowing).
	SilenceAtEOF
)

// WAVOptions tune OpenWAV.
type WAVOptions struct {
	// Rate, when non-zero and different from the file's rate, resamples
	// the file to Rate.
	Rate int
	// AtEOF is what happens at the end of the data.
	AtEOF AtEOF
}

// WAVReader is a Source reading 16-bit PCM from a RIFF/WAVE file. Stereo
// files are mixed down to mono; other sample formats are refused with
// ErrFormat.
type WAVReader struct {
	f        *os.File
	r        *bufio.Reader
	rate     int
	channels int
	start    int64 // offset of the first data byte
	size     int64 // data bytes
	left     int64 // data bytes not yet read
	atEOF    AtEOF
	done     bool
	raw      []byte
}

// OpenWAV opens path as a Source. The data chunk's size is trusted only as
// far as the file goes: a file left behind by a killed writer (size fields
// stale or zero) plays to its last complete sample.
func OpenWAV(path string, o WAVOptions) (Source, error) {
	w, err := openWAV(path, o.AtEOF)
	if err != nil {
		return nil, err
	}
	if o.Rate == 0 || o.Rate == w.rate {
		return w, nil
	}
	rs, err := NewResampleSource(w, o.Rate)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("wav %s: %w", path, err)
	}
	return rs, nil
}

func openWAV(path string, atEOF AtEOF) (*WAVReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	w := &WAVReader{f: f, atEOF: atEOF}
	if err := w.parseHeader(); err != nil {
		f.Close()
		return nil, fmt.Errorf("wav %s: %w", path, err)
	}
	w.r = bufio.NewReaderSize(f, 8192)
	return w, nil
}

func (w *WAVReader) parseHeader() error {
	st, err := w.f.Stat()
	if err != nil {
		return err
	}
	fileSize := st.Size()
	var hdr [12]byte
	if _, err := io.ReadFull(w.f, hdr[:]); err != nil {
		return fmt.Errorf("short header: %w", ErrFormat)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return fmt.Errorf("not a RIFF/WAVE file: %w", ErrFormat)
	}
	off := int64(12)
	gotFmt := false
	for {
		var ch [8]byte
		if _, err := w.f.ReadAt(ch[:], off); err != nil {
			return fmt.Errorf("no data chunk: %w", ErrFormat)
		}
		id := string(ch[0:4])
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		body := off + 8
		switch id {
		case "fmt ":
			if n < 16 {
				return fmt.Errorf("fmt chunk of %d bytes: %w", n, ErrFormat)
			}
			b := make([]byte, min(n, 40))
			if _, err := w.f.ReadAt(b, body); err != nil {
				return fmt.Errorf("short fmt chunk: %w", ErrFormat)
			}
			tag := binary.LittleEndian.Uint16(b[0:])
			w.channels = int(binary.LittleEndian.Uint16(b[2:]))
			w.rate = int(binary.LittleEndian.Uint32(b[4:]))
			bits := binary.LittleEndian.Uint16(b[14:])
			if tag == 0xFFFE && len(b) >= 26 { // WAVE_FORMAT_EXTENSIBLE: sub-format GUID starts with the tag
				tag = binary.LittleEndian.Uint16(b[24:])
			}
			if tag != 1 || bits != 16 {
				return fmt.Errorf("format tag %d with %d bits, need 16-bit PCM: %w", tag, bits, ErrFormat)
			}
			if w.channels < 1 || w.channels > 2 {
				return fmt.Errorf("%d channels, need mono or stereo: %w", w.channels, ErrFormat)
			}
			if w.rate <= 0 {
				return fmt.Errorf("sample rate %d: %w", w.rate, ErrFormat)
			}
			gotFmt = true
		case "data":
			if !gotFmt {
				return fmt.Errorf("data before fmt chunk: %w", ErrFormat)
			}
			if n == 0 || body+n > fileSize {
				n = fileSize - body // stale header from an interrupted writer
			}
			frame := int64(2 * w.channels)
			w.start, w.size = body, n-n%frame
			w.left = w.size
			_, err := w.f.Seek(body, io.SeekStart)
			return err
		}
		off = body + n + n&1
	}
}

// Read implements Source.
func (w *WAVReader) Read(frame []int16) (int, error) {
	i := 0
	for i < len(frame) {
		if w.left == 0 || w.done {
			switch {
			case w.atEOF == LoopAtEOF && w.size > 0:
				if _, err := w.f.Seek(w.start, io.SeekStart); err != nil {
					return i, fmt.Errorf("wav: %w", err)
				}
				w.r.Reset(w.f)
				w.left = w.size
				continue
			case w.atEOF == SilenceAtEOF:
				clear(frame[i:])
				return len(frame), nil
			}
			return i, io.EOF
		}
		fb := 2 * w.channels
		want := min(int64(len(frame)-i)*int64(fb), w.left)
		if cap(w.raw) < int(want) {
			w.raw = make([]byte, want)
		}
		raw := w.raw[:want]
		n, err := io.ReadFull(w.r, raw)
		n -= n % fb
		w.left -= int64(n)
		for j := 0; j < n; j += fb {
			s := int32(int16(binary.LittleEndian.Uint16(raw[j:])))
			if w.channels == 2 {
				s = (s + int32(int16(binary.LittleEndian.Uint16(raw[j+2:])))) / 2
			}
			frame[i] = int16(s)
			i++
		}
		if err != nil {
			w.done = true // truncated file: treat as the end of the data
		}
	}
	return i, nil
}

// SampleRate implements Source (the file's rate).
func (w *WAVReader) SampleRate() int { return w.rate }

// Close implements Source.
func (w *WAVReader) Close() error { return w.f.Close() }

// WAVWriter is a Sink writing 16-bit PCM to a RIFF/WAVE file as it goes.
// The RIFF and data sizes in the header are rewritten every syncEvery of
// audio and on Close, so a process killed mid-call leaves a playable file
// missing at most the last half second. It is safe for concurrent use.
type WAVWriter struct {
	mu        sync.Mutex
	f         *os.File
	w         *bufio.Writer
	rate      int
	channels  int
	data      int64 // data bytes written
	sinceSync int64 // bytes since the header was last fixed up
	syncBytes int64
	closed    bool
	buf       []byte
}

const wavHeaderSize = 44

// CreateWAV creates (or truncates) path for mono 16-bit PCM at rate Hz.
func CreateWAV(path string, rate int) (*WAVWriter, error) {
	return CreateWAVChannels(path, rate, 1)
}

// CreateWAVChannels is CreateWAV for 1 or 2 interleaved channels; Write then
// takes interleaved samples.
func CreateWAVChannels(path string, rate, channels int) (*WAVWriter, error) {
	if rate <= 0 || channels < 1 || channels > 2 {
		return nil, fmt.Errorf("wav %s: %d Hz %d channels: %w", path, rate, channels, ErrFormat)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	w := &WAVWriter{f: f, w: bufio.NewWriterSize(f, 16384), rate: rate, channels: channels,
		syncBytes: int64(rate * channels), // 2 bytes per sample: every 0.5 s
	}
	if _, err := f.Write(w.header()); err != nil {
		f.Close()
		return nil, fmt.Errorf("wav %s: %w", path, err)
	}
	return w, nil
}

// header builds the canonical 44-byte PCM header for the current size.
func (w *WAVWriter) header() []byte {
	h := make([]byte, wavHeaderSize)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+w.data))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], uint16(w.channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(w.rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(w.rate*w.channels*2))
	binary.LittleEndian.PutUint16(h[32:], uint16(w.channels*2))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(w.data))
	return h
}

// Write implements Sink.
func (w *WAVWriter) Write(frame []int16) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, os.ErrClosed
	}
	if cap(w.buf) < 2*len(frame) {
		w.buf = make([]byte, 2*len(frame))
	}
	b := w.buf[:2*len(frame)]
	for i, s := range frame {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	if _, err := w.w.Write(b); err != nil {
		return 0, fmt.Errorf("wav: %w", err)
	}
	w.data += int64(len(b))
	w.sinceSync += int64(len(b))
	if w.sinceSync >= w.syncBytes {
		if err := w.fixHeader(); err != nil {
			return len(frame), err
		}
	}
	return len(frame), nil
}

// fixHeader flushes buffered samples and rewrites the size fields.
func (w *WAVWriter) fixHeader() error {
	w.sinceSync = 0
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("wav: %w", err)
	}
	if _, err := w.f.WriteAt(w.header()[:wavHeaderSize], 0); err != nil {
		return fmt.Errorf("wav: %w", err)
	}
	return nil
}

// Samples is how many samples (per channel) were written.
func (w *WAVWriter) Samples() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.data / int64(2*w.channels)
}

// SampleRate implements Sink.
func (w *WAVWriter) SampleRate() int { return w.rate }

// Close writes the final header and closes the file. It is idempotent.
func (w *WAVWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.fixHeader()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("wav: %w", cerr)
	}
	return err
}
