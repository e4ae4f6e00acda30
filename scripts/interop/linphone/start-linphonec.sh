#!/usr/bin/env bash
# start-linphonec.sh DIR PLAY_WAV RECORD_WAV — start linphonec headless,
# driven through DIR/stdin.fifo (held open by a 'sleep' writer). Prints
# "LINPHONEC_PID HOLDER_PID"; output in DIR/linphonec.log. It switches to file
# audio ("soundcard use files" — play/record only work in that mode), plays
# PLAY_WAV as the microphone, records received audio to RECORD_WAV and
# enables auto-answer. More commands:
#   echo "call sip:bob@127.0.0.1" > DIR/stdin.fifo ; echo terminate > DIR/stdin.fifo
# NETNS=NAME runs it inside "ip netns exec NAME". Stop: stop-linphonec.sh DIR
set -euo pipefail
dir=$1 play=$2 rec=$3
rm -f "$dir/stdin.fifo"
mkfifo "$dir/stdin.fifo"
pre=()
[ -n "${NETNS:-}" ] && pre=(ip netns exec "$NETNS")
"${pre[@]}" env HOME="$dir/home" linphonec -c "$dir/linphonerc" -d "${LPDEBUG:-0}" \
	<"$dir/stdin.fifo" >"$dir/linphonec.log" 2>&1 &
lpid=$!
sleep 3600 >"$dir/stdin.fifo" &
hpid=$!
echo "$lpid" >"$dir/linphonec.pid"
echo "$hpid" >"$dir/holder.pid"
sleep 1
for c in "soundcard use files" "play $play" "record $rec" "autoanswer enable"; do
	echo "$c" >"$dir/stdin.fifo"
	sleep 0.3
done
echo "$lpid $hpid"
