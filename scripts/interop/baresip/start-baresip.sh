#!/usr/bin/env bash
# start-baresip.sh DIR [baresip args] — start a baresip made by make-baresip.sh
# in the background, stdin = DIR/stdin.fifo held open by a 'sleep' writer.
# Prints "BARESIP_PID HOLDER_PID"; output in DIR/baresip.log. Commands:
#   echo "/dial sip:bob@127.0.0.1" > DIR/stdin.fifo      (or use ctrl_tcp)
# Stop with stop-baresip.sh DIR (baresip first, then the holder: EOF on stdin
# makes baresip 1.0.0 spin at 100% CPU).
set -euo pipefail
dir=$1
shift
rm -f "$dir/stdin.fifo"
mkfifo "$dir/stdin.fifo"
baresip -f "$dir" "$@" <"$dir/stdin.fifo" >"$dir/baresip.log" 2>&1 &
bpid=$!
sleep 3600 >"$dir/stdin.fifo" &
hpid=$!
echo "$bpid" >"$dir/baresip.pid"
echo "$hpid" >"$dir/holder.pid"
ctrl=$(awk '/^ctrl_tcp_listen/{split($2,a,":"); print a[2]}' "$dir/config")
for _ in $(seq 1 50); do # bounded: 10 s
	(exec 3<>"/dev/tcp/127.0.0.1/$ctrl") 2>/dev/null && break
	kill -0 "$bpid" 2>/dev/null || {
		echo "baresip died" >&2
		cat "$dir/baresip.log" >&2
		exit 1
	}
	sleep 0.2
done
echo "$bpid $hpid"
