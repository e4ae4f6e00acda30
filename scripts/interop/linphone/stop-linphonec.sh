#!/usr/bin/env bash
# stop-linphonec.sh DIR — "quit" through the FIFO, SIGTERM after 5 s, then end
# the stdin holder.
dir=$1
lpid=$(cat "$dir/linphonec.pid" 2>/dev/null || true)
hpid=$(cat "$dir/holder.pid" 2>/dev/null || true)
if [ -p "$dir/stdin.fifo" ] && [ -n "$lpid" ] && kill -0 "$lpid" 2>/dev/null; then
	echo quit >"$dir/stdin.fifo"
fi
for _ in $(seq 1 50); do
	[ -n "$lpid" ] && kill -0 "$lpid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
[ -n "$hpid" ] && kill "$hpid" 2>/dev/null
rm -f "$dir/linphonec.pid" "$dir/holder.pid"
true
