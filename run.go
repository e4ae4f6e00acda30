package main

// Wiring: configuration → engine (ua) + media (internal/callmedia) + front
// end (the TUI or the headless agent). Nothing here is clever; it only
// connects the parts and owns their lifetimes.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/teaphone/teaphone/internal/callmedia"
	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/portaudio"
	"github.com/teaphone/teaphone/ua"
)

// audioSpec is how the user chose audio: "portaudio", "null",
// "file:IN.wav,OUT.wav" or "tone:HZ[,OUT.wav]"; "" is portaudio when the
// machine has a sound device and null when it has none.
type audioSpec string

// open opens what the spec names and says in a few words what it opened.
// For portaudio it returns the host too, which the caller closes after the
// engine.
func (s audioSpec) open(input, output, stderrLog string) (callmedia.AudioDevices, io.Closer, string, error) {
	kind, arg, _ := strings.Cut(string(s), ":")
	switch kind {
	case "", "portaudio":
		host, err := portaudio.Open(portaudio.Options{StderrLog: stderrLog})
		if err != nil {
			return nil, nil, "", fmt.Errorf("audio: %w", err)
		}
		if kind == "" { // automatic: no sound card at all means no audio, not no teaphone
			if devs, err := host.Devices(); err != nil || len(devs) == 0 {
				host.Close()
				return callmedia.Null{}, nil, "no sound device", nil
			}
		}
		return callmedia.DeviceFuncs{
			Input: func(rate int) (audio.Source, error) {
				return host.OpenInput(portaudio.StreamOptions{Device: input, Rate: rate, Frame: 20 * time.Millisecond})
			},
			Output: func(rate int) (audio.Sink, error) {
				return host.OpenOutput(portaudio.StreamOptions{Device: output, Rate: rate, Frame: 20 * time.Millisecond})
			},
		}, host, "portaudio " + orDefault(input, "default") + " → " + orDefault(output, "default"), nil
	case "null":
		return callmedia.Null{}, nil, "none (-audio null)", nil
	case "file":
		in, out, _ := strings.Cut(arg, ",")
		return callmedia.Files{In: in, Out: out}, nil, "files", nil
	case "tone":
		hz, out, _ := strings.Cut(arg, ",")
		var f float64
		if _, err := fmt.Sscan(hz, &f); err != nil || f <= 0 || f > 20000 {
			return nil, nil, "", fmt.Errorf("audio: tone frequency %q is not a number of Hz", hz)
		}
		return callmedia.Tone{Hz: f, Out: out}, nil, "test tone", nil
	}
	return nil, nil, "", fmt.Errorf("audio: %q is not one of portaudio, null, file:IN.wav,OUT.wav, tone:HZ[,OUT.wav]", string(s))
}

// engineParts is a running engine and what must be closed after it.
type engineParts struct {
	agent   *ua.Agent
	media   *callmedia.Factory
	closers []io.Closer
	audio   string // what the audio devices are, for the TUI header
}

// close shuts the engine down (hang up, un-register) within d, then media
// and devices.
func (p *engineParts) close(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := p.agent.Close(ctx)
	if p.media != nil {
		err = errors.Join(err, p.media.Close())
	}
	for _, c := range p.closers {
		err = errors.Join(err, c.Close())
	}
	return err
}

// startEngine builds media and the agent from cfg and starts it.
func startEngine(ctx context.Context, cfg ua.Config, mcfg callmedia.Config, spec audioSpec, in, out, stderrLog string, listenSpecs []string) (*engineParts, error) {
	devs, host, desc, err := spec.open(in, out, stderrLog)
	if err != nil {
		return nil, err
	}
	p := &engineParts{audio: desc}
	if host != nil {
		p.closers = append(p.closers, host)
	}
	mcfg.Devices = devs
	if _, silent := devs.(callmedia.Null); silent && mcfg.DeviceRate == 0 {
		// Nothing is heard or played: run the hub at the narrowband rate so
		// PCMU calls (the headless agent under load) need no resampling.
		mcfg.DeviceRate = 8000
	}
	if mcfg.Logger == nil {
		mcfg.Logger = cfg.Logger
	}
	if p.media, err = callmedia.New(mcfg); err != nil {
		p.closeDevices()
		return nil, fmt.Errorf("media: %w", err)
	}
	cfg.Media = p.media
	if len(listenSpecs) > 0 {
		cfg.Listen = listenSpecs
	}
	if p.agent, err = ua.New(cfg); err != nil {
		p.media.Close()
		p.closeDevices()
		return nil, err
	}
	if err := p.agent.Start(ctx); err != nil {
		_ = p.close(5 * time.Second)
		return nil, err
	}
	return p, nil
}

func (p *engineParts) closeDevices() {
	for _, c := range p.closers {
		c.Close()
	}
}

// tones drives ring and ringback from call events.
func tones(f *callmedia.Factory) func(ua.Event) {
	ringing := map[string]bool{}
	return func(ev ua.Event) {
		ce, ok := ev.(ua.CallEvent)
		if !ok || f == nil {
			return
		}
		c := ce.Call
		switch {
		case c.State == ua.CallIncoming:
			ringing[c.ID] = true
		case c.State == ua.CallRinging:
			f.Ringback(c.ID, true)
		default:
			delete(ringing, c.ID)
			f.Ringback(c.ID, false)
		}
		f.Ring(len(ringing) > 0)
	}
}

// newLogger opens the log file (0600) at level; "" or "-" logs to stderr
// (the agent), which the TUI never uses.
func newLogger(path, level string) (*slog.Logger, io.Closer, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(orDefault(level, "info"))); err != nil {
		return nil, nil, fmt.Errorf("log level %q: %w", level, err)
	}
	if path == "" || path == "-" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv})), nil, nil
	}
	if err := ensureParentDir(path); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: lv})), f, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cmdDevices lists the sound devices portaudio sees.
func cmdDevices(stdout, stderr io.Writer) int {
	host, err := portaudio.Open(portaudio.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "teaphone devices:", err)
		return 1
	}
	defer host.Close()
	devs, err := host.Devices()
	if err != nil {
		fmt.Fprintln(stderr, "teaphone devices:", err)
		return 1
	}
	if len(devs) == 0 {
		fmt.Fprintln(stdout, "no sound devices found (teaphone runs, but calls have no audio)")
		return 0
	}
	for _, d := range devs {
		fmt.Fprintln(stdout, d.String())
	}
	return 0
}
