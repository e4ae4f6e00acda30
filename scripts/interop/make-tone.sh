#!/usr/bin/env bash
# make-tone.sh OUT.wav FREQ_HZ [SECONDS] — a sine test tone as WAV: S16LE,
# mono, 8000 Hz (the format baresip's aufile source and PCMU need), -6 dBFS.
set -euo pipefail
out=${1:?usage: make-tone.sh OUT.wav FREQ_HZ [SECONDS]} freq=${2:?frequency} secs=${3:-30}
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$out" synth "$secs" sine "$freq" vol 0.5
