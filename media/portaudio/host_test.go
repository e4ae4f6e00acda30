package portaudio

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// These tests run on any machine, with or without a sound card.

func TestOpenListClose(t *testing.T) {
	h, err := Open(Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ds, err := h.Devices()
	if err != nil {
		t.Fatalf("Devices: %v", err)
	}
	for _, d := range ds {
		t.Logf("device %d: %v", d.Index, d)
	}
	_, err = h.OpenInput(StreamOptions{Device: "no-such-device-xyzzy", Rate: 8000})
	if !errors.Is(err, ErrDeviceNotFound) || !strings.Contains(err.Error(), "available:") {
		t.Errorf("unknown device: err = %v, want ErrDeviceNotFound listing devices", err)
	}
	hasIn := false
	for _, d := range ds {
		hasIn = hasIn || d.DefaultInput
	}
	if !hasIn {
		if _, err := h.OpenInput(StreamOptions{Rate: 8000}); !errors.Is(err, ErrNoDevice) {
			t.Errorf("no input device: err = %v, want ErrNoDevice", err)
		}
	}
	if _, err := h.OpenOutput(StreamOptions{Rate: 0}); err == nil {
		t.Error("rate 0 accepted")
	}
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := h.Devices(); !errors.Is(err, ErrClosed) {
		t.Errorf("Devices after Close: err = %v, want ErrClosed", err)
	}
}

// TestOpenIsQuiet runs Open in a child process and checks that nothing
// reaches stderr: the ALSA and JACK probes on a machine without a sound
// card print dozens of lines unless silenced.
func TestOpenIsQuiet(t *testing.T) {
	if os.Getenv("TEAPHONE_PA_CHILD") == "1" {
		h, err := Open(Options{})
		if err != nil {
			os.Stdout.WriteString("open failed: " + err.Error())
			os.Exit(3)
		}
		h.OpenInput(StreamOptions{Rate: 8000}) // may fail; must stay quiet either way
		h.Close()
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenIsQuiet$")
	cmd.Env = append(os.Environ(), "TEAPHONE_PA_CHILD=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	if s := stderr.String(); s != "" {
		t.Errorf("Open wrote %d bytes to stderr, want none:\n%s", len(s), s)
	}
}
