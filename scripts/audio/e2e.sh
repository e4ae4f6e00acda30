#!/usr/bin/env bash
# End-to-end audio test with no sound card (CI-runnable, deterministic):
#
#   espeak-ng speech → mic file → ALSA file plugin → PortAudio input (8 kHz)
#   → [resampler] → encoder → RTP over loopback UDP → decoder → [resampler]
#   → PortAudio output → ALSA file plugin → speaker file → cross-correlation
#   with the speech (must be ≥ 0.9; 0.85 for the perceptual Opus), once each
#   for Opus, G.722, PCMU, PCMA
#
# Usage: scripts/audio/e2e.sh        (KEEP=1 keeps the work directory;
#        RACE=1 runs the Go test under the race detector)
# Needs: go, espeak-ng, sox, pkg-config, portaudio19-dev (ALSA and JACK
# headers), libopus-dev. Without them it skips (exit 0), unless CI=true,
# where a missing piece is a failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rate=8000

missing=()
for tool in go espeak-ng sox pkg-config; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if command -v pkg-config >/dev/null 2>&1; then
	for lib in portaudio-2.0 alsa jack opus; do
		pkg-config --exists "$lib" || missing+=("lib:$lib")
	done
fi
if ((${#missing[@]})); then
	echo "e2e audio: missing ${missing[*]} (apt-get install espeak-ng sox pkg-config portaudio19-dev libopus-dev)"
	if [[ "${CI:-}" == "true" ]]; then
		echo "FAIL: CI=true and prerequisites are missing"
		exit 1
	fi
	echo "SKIP"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/teaphone-e2e.XXXXXX")
cleanup() { if [[ "${KEEP:-}" == "1" ]]; then echo "artifacts kept in $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

# 1. Speech, 8 kHz mono s16; the mic file gets 200 ms of silence on each side.
espeak-ng -w "$work/speech.wav" \
	"Hello, this is the teaphone audio path test. One, two, three, four, five. The quick brown fox jumps over the lazy dog."
sox "$work/speech.wav" -r "$rate" -c 1 -b 16 -e signed-integer "$work/ref.wav"
sox "$work/ref.wav" -t raw "$work/mic.s16" pad 0.2 0.2
echo "speech: $(sox --i -D "$work/ref.wav") s at $rate Hz"

# 2. Through PortAudio, PCMU and RTP. ALSA reads its configuration from
#    ALSA_CONFIG_PATH when the process first opens a PCM, so it is set here,
#    before the test binary starts.
race=()
if [[ "${RACE:-}" == "1" ]]; then
	# gordonklaus/portaudio passes a stream id through a void* (checkptr
	# rejects it under -race); only that package gets checkptr turned off.
	race=(-race "-gcflags=github.com/gordonklaus/portaudio=-d=checkptr=0")
fi
(
	cd "$root"
	ALSA_CONFIG_PATH="$here/alsa-file.conf" MIC_IN="$work/mic.s16" SPK_OUT="$work/spk.s16" \
		AUDIO_RATE="$rate" TEAPHONE_AUDIO_E2E=1 \
		go test "${race[@]}" -tags audioe2e -count=1 -timeout 120s -run '^TestE2EFilePlugin$' -v ./media/portaudio
)

# 3. Compare what the speaker played with the speech, per codec (the test
#    saved each run's speaker file as spk.s16.<codec>).
(cd "$root" && go build -o "$work/audiocmp" ./scripts/audio/audiocmp)
status=0
for f in "$work"/spk.s16.*; do
	name=${f##*.}
	sox -t raw -r "$rate" -e signed -b 16 -c 1 "$f" "$work/spk-$name.wav"
	echo "== $name: speaker file $(sox --i -D "$work/spk-$name.wav") s"
	min=0.9
	[[ "$name" == opus ]] && min=0.85 # perceptual codec: waveform correlation ≈ 0.9
	"$work/audiocmp" -min "$min" -maxlag 1s "$work/ref.wav" "$work/spk-$name.wav" || status=1
done
exit $status
