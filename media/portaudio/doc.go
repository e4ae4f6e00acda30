// Package portaudio is teaphone's only cgo audio package: it adapts the
// PortAudio library (github.com/gordonklaus/portaudio, Debian
// portaudio19-dev) to audio.Source (a microphone) and audio.Sink (a
// speaker).
//
// A Host owns one Pa_Initialize/Pa_Terminate pair. Open it once in main,
// before the TUI takes the terminal: Open silences the C libraries' stderr
// chatter (a no-op ALSA error handler via snd_lib_error_set_handler, no-op
// JACK error and info functions, and fd 2 pointed at /dev/null or a log
// file while Pa_Initialize probes the host APIs).
//
// Input and output are separate blocking streams, opened at the rate the
// codec wants (8000, 16000, 48000 Hz) when the device supports it, or at
// the device's own rate with audio.Resampler in between.
//
// Process-wide state this package cannot avoid, all forced by the C
// libraries: PortAudio's initialisation count and device table (and the Go
// binding's cache of them), ALSA's error handler and parsed configuration
// (read from ALSA_CONFIG_PATH at first use), JACK's error/info hooks, and
// the brief redirection of fd 2 during Open, which also hides anything
// another goroutine writes to stderr in that window. Two Hosts may coexist
// (PortAudio counts Initialize calls); the handlers are installed once and
// stay installed.
//
// It may import media/audio and nothing else from teaphone; only main
// imports it, so `go test ./...` elsewhere never links libportaudio.
package portaudio
