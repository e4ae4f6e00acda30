package portaudio

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	pa "github.com/gordonklaus/portaudio"

	"github.com/teaphone/teaphone/media/audio"
)

// Errors callers may branch on.
var (
	// ErrNoDevice: no input (or output) device at all, typically no sound
	// card and no sound server.
	ErrNoDevice = errors.New("no audio device")
	// ErrDeviceNotFound: a device name matched nothing, or more than one.
	ErrDeviceNotFound = errors.New("audio device not found")
	// ErrClosed: the Host or stream was closed.
	ErrClosed = errors.New("audio host closed")
)

// Options configure Open.
type Options struct {
	// StderrLog is a file that receives what the C libraries print on fd 2
	// during initialisation; "" discards it.
	StderrLog string
}

// Host is an initialised PortAudio. It owns the streams it opens: Close
// closes them and terminates PortAudio.
type Host struct {
	mu      sync.Mutex
	closed  bool
	streams []closer
}

type closer interface{ close() error }

// Open initialises PortAudio quietly. It succeeds on a machine with no
// sound card (Devices is then empty and opening a stream fails with
// ErrNoDevice).
func Open(o Options) (*Host, error) {
	quietLibraries()
	err := withStderr(o.StderrLog, pa.Initialize)
	if err != nil {
		return nil, fmt.Errorf("portaudio initialize: %w", err)
	}
	return &Host{}, nil
}

// Close closes every stream still open and terminates PortAudio. It is
// idempotent.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	streams := h.streams
	h.streams = nil
	h.mu.Unlock()
	var errs error
	for _, s := range streams {
		errs = errors.Join(errs, s.close())
	}
	if err := pa.Terminate(); err != nil {
		errs = errors.Join(errs, fmt.Errorf("portaudio terminate: %w", err))
	}
	return errs
}

// Device describes one PortAudio device.
type Device struct {
	Index             int
	Name              string
	HostAPI           string
	MaxInputChannels  int
	MaxOutputChannels int
	DefaultSampleRate float64
	DefaultInput      bool // the default input of the default host API
	DefaultOutput     bool
}

func (d Device) String() string {
	var tags []string
	if d.MaxInputChannels > 0 {
		tags = append(tags, fmt.Sprintf("in %d", d.MaxInputChannels))
	}
	if d.MaxOutputChannels > 0 {
		tags = append(tags, fmt.Sprintf("out %d", d.MaxOutputChannels))
	}
	if d.DefaultInput {
		tags = append(tags, "default input")
	}
	if d.DefaultOutput {
		tags = append(tags, "default output")
	}
	return fmt.Sprintf("%q (%s, %.0f Hz, %s)", d.Name, d.HostAPI, d.DefaultSampleRate, strings.Join(tags, ", "))
}

// Devices lists every device PortAudio found.
func (h *Host) Devices() ([]Device, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	ds, err := pa.Devices()
	if err != nil {
		return nil, fmt.Errorf("portaudio devices: %w", err)
	}
	defIn, _ := pa.DefaultInputDevice()
	defOut, _ := pa.DefaultOutputDevice()
	out := make([]Device, 0, len(ds))
	for _, d := range ds {
		api := ""
		if d.HostApi != nil {
			api = d.HostApi.Name
		}
		out = append(out, Device{
			Index: d.Index, Name: d.Name, HostAPI: api,
			MaxInputChannels: d.MaxInputChannels, MaxOutputChannels: d.MaxOutputChannels,
			DefaultSampleRate: d.DefaultSampleRate,
			DefaultInput:      defIn != nil && defIn.Index == d.Index,
			DefaultOutput:     defOut != nil && defOut.Index == d.Index,
		})
	}
	return out, nil
}

func (h *Host) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	return nil
}

// find returns the device for name ("" = default) that has input (or
// output) channels. Matching is case-insensitive: an exact name wins,
// otherwise the name must be a substring of exactly one device's name.
func (h *Host) find(name string, input bool) (*pa.DeviceInfo, error) {
	dir := "output"
	if input {
		dir = "input"
	}
	ds, err := pa.Devices()
	if err != nil {
		return nil, fmt.Errorf("portaudio devices: %w", err)
	}
	usable := slices.DeleteFunc(slices.Clone(ds), func(d *pa.DeviceInfo) bool {
		if input {
			return d.MaxInputChannels < 1
		}
		return d.MaxOutputChannels < 1
	})
	if name == "" {
		var d *pa.DeviceInfo
		if input {
			d, err = pa.DefaultInputDevice()
		} else {
			d, err = pa.DefaultOutputDevice()
		}
		if err != nil || d == nil {
			return nil, fmt.Errorf("no default %s device (no sound card or sound server?; %d %s devices found): %w",
				dir, len(usable), dir, ErrNoDevice)
		}
		return d, nil
	}
	var matches []*pa.DeviceInfo
	for _, d := range usable {
		if strings.EqualFold(d.Name, name) {
			return d, nil
		}
		if strings.Contains(strings.ToLower(d.Name), strings.ToLower(name)) {
			matches = append(matches, d)
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	list := func(ds []*pa.DeviceInfo) string {
		if len(ds) == 0 {
			return "none"
		}
		var names []string
		for _, d := range ds {
			names = append(names, fmt.Sprintf("%q", d.Name))
		}
		return strings.Join(names, ", ")
	}
	if len(matches) > 1 {
		return nil, fmt.Errorf("%s device %q is ambiguous, matches %s: %w", dir, name, list(matches), ErrDeviceNotFound)
	}
	return nil, fmt.Errorf("no %s device matches %q; available: %s: %w", dir, name, list(usable), ErrDeviceNotFound)
}

// StreamOptions configure OpenInput and OpenOutput.
type StreamOptions struct {
	// Device is a case-insensitive name or substring; "" is the default.
	Device string
	// Rate is the sample rate the caller reads or writes (the codec's).
	Rate int
	// Frame is the device buffer duration; 0 means 20 ms.
	Frame time.Duration
	// Latency overrides the device's default high latency when non-zero.
	Latency time.Duration
	// DeviceRate forces the rate the device is opened at (0: Rate when the
	// device supports it, else the device's default rate); audio is
	// resampled between DeviceRate and Rate.
	DeviceRate int
}

func (o StreamOptions) frame() time.Duration {
	if o.Frame <= 0 {
		return 20 * time.Millisecond
	}
	return o.Frame
}

// openParams finds the device and a rate it accepts: the caller's when
// supported, else the device's default.
func (h *Host) openParams(o StreamOptions, input bool) (pa.StreamParameters, error) {
	var p pa.StreamParameters
	if o.Rate <= 0 {
		return p, fmt.Errorf("stream rate %d: %w", o.Rate, audio.ErrRate)
	}
	d, err := h.find(o.Device, input)
	if err != nil {
		return p, err
	}
	dp := pa.StreamDeviceParameters{Device: d, Channels: 1}
	if input {
		dp.Latency = d.DefaultHighInputLatency
	} else {
		dp.Latency = d.DefaultHighOutputLatency
	}
	if o.Latency > 0 {
		dp.Latency = o.Latency
	}
	if input {
		p.Input = dp
	} else {
		p.Output = dp
	}
	p.SampleRate = float64(o.Rate)
	if o.DeviceRate > 0 {
		p.SampleRate = float64(o.DeviceRate)
	} else if pa.IsFormatSupported(p, make([]int16, 1)) != nil {
		p.SampleRate = d.DefaultSampleRate
	}
	p.FramesPerBuffer = int(p.SampleRate * o.frame().Seconds())
	return p, nil
}

func (h *Host) track(c closer) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	h.streams = append(h.streams, c)
	return nil
}

func (h *Host) untrack(c closer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.streams = slices.DeleteFunc(h.streams, func(x closer) bool { return x == c })
}
