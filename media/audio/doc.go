package audio

// What this package owns, beyond the Source/Sink contract in audio.go:
//
//   - synthetic sources and sinks: Silence, Discard, Tone, ToneSequence
//     (ringback, busy and ring-tone presets), WAV file reader and writer,
//     Recorder (both call directions into one WAV), Mixer;
//   - frame plumbing: Meter (dBFS level snapshot for the UI), Mute,
//     Resampler and the ResampleSource/ResampleSink adapters;
//   - analysis helpers for tests in any package: Goertzel, ToneLevel,
//     ToneSNR, RMS/DBFS and XCorr.
//
// The resampler lives here rather than in media/codec because both the WAV
// reader and media/portaudio (which may import only this package) need it,
// and media/codec must not import other media packages.
//
// Standards: WAV is the Microsoft RIFF/WAVE format (PCM, format tag 1 or
// WAVE_FORMAT_EXTENSIBLE with the PCM sub-format). Tone plans follow ITU-T
// E.180 (and its Supplement 2 for national variants).
//
// It imports only the standard library and no teaphone package.
