#!/usr/bin/env bash
# stop-baresip.sh DIR — SIGTERM baresip (it un-registers, ~2-3 s), SIGKILL
# after 5 s, then end the stdin holder.
dir=$1
bpid=$(cat "$dir/baresip.pid" 2>/dev/null || true)
hpid=$(cat "$dir/holder.pid" 2>/dev/null || true)
if [ -n "$bpid" ] && kill -0 "$bpid" 2>/dev/null; then
	kill "$bpid"
	for _ in $(seq 1 50); do
		kill -0 "$bpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$bpid" 2>/dev/null && kill -9 "$bpid"
fi
[ -n "$hpid" ] && kill "$hpid" 2>/dev/null
rm -f "$dir/baresip.pid" "$dir/holder.pid"
true
