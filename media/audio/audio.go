// Package audio defines the PCM frame interfaces every audio device and
// synthetic source implements, and the synthetic devices themselves: tone,
// silence, WAV file in and out, recorder, level meters.
//
// Frames are mono, signed 16-bit linear PCM at the device's sample rate.
// This package does no I/O besides files and must not import any other
// teaphone package; the cgo portaudio adapter lives in media/portaudio.
package audio

// Source produces PCM frames (a microphone, a WAV file, a tone).
type Source interface {
	// Read fills frame with the next len(frame) samples and returns how
	// many it wrote. Real devices block until samples are available;
	// synthetic sources return at once. io.EOF ends the stream.
	Read(frame []int16) (int, error)
	// SampleRate is the rate of the samples Read returns, in Hz.
	SampleRate() int
	Close() error
}

// Sink consumes PCM frames (a speaker, a WAV writer, a recorder).
type Sink interface {
	// Write plays or stores frame; it returns how many samples it took.
	Write(frame []int16) (int, error)
	// SampleRate is the rate Write expects, in Hz.
	SampleRate() int
	Close() error
}
