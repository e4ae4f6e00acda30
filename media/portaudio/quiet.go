package portaudio

/*
#cgo pkg-config: alsa jack
#include <stdio.h>
#include <unistd.h>
#include <alsa/asoundlib.h>
#include <jack/jack.h>

static void tp_alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
static void tp_jack_quiet(const char *msg) {}

// tp_quiet replaces the printers ALSA and libjack use for errors and
// notices (both write to fd 2 directly, which would garble a TUI).
static void tp_quiet(void) {
	snd_lib_error_set_handler(tp_alsa_quiet);
	jack_set_error_function(tp_jack_quiet);
	jack_set_info_function(tp_jack_quiet);
}

// tp_redirect_stderr points fd 2 at fd and returns a duplicate of the old
// fd 2 for tp_restore_stderr, or -1.
static int tp_redirect_stderr(int fd) {
	fflush(stderr);
	int saved = dup(2);
	if (saved < 0) return -1;
	if (dup2(fd, 2) < 0) { close(saved); return -1; }
	return saved;
}

static int tp_restore_stderr(int saved) {
	fflush(stderr);
	int r = dup2(saved, 2);
	close(saved);
	return r;
}
*/
import "C"

import (
	"fmt"
	"os"
)

// quietLibraries installs the no-op ALSA and JACK printers.
func quietLibraries() { C.tp_quiet() }

// withStderr runs f with fd 2 pointed at path (created or appended to; ""
// means /dev/null) and restores it afterwards.
func withStderr(path string, f func() error) error {
	if path == "" {
		path = os.DevNull
	}
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("portaudio: stderr log: %w", err)
	}
	defer dst.Close()
	saved := C.tp_redirect_stderr(C.int(dst.Fd()))
	if saved < 0 {
		return f() // could not redirect: run anyway, noise and all
	}
	defer C.tp_restore_stderr(saved)
	return f()
}
