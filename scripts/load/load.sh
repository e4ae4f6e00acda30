#!/usr/bin/env bash
# Load and footprint, side by side: a teaphone agent and baresip 1.0.0, both
# auto-answering PCMU UASes on loopback, driven by SIPp in the same run.
#
#   scripts/load/load.sh            full mode (~8 min): the figures for the issue
#   QUICK=1 scripts/load/load.sh    smoke test (< 60 s): one 50 calls/s step
#
# For each UAS:
#  1. start-to-OPTIONS: exec the UAS, send OPTIONS every 1 ms (load startup),
#     ms from exec to the first 200; median of 5 runs.
#  2. idle RSS: VmRSS 2 s after that first 200 (no registration), median.
#  3. rate steps: SIPp's built-in uac (INVITE, 200, ACK, 1 s pause, BYE) at
#     RATES calls/s for STEP_S s each (r*STEP_S calls, -l r*3 concurrency cap,
#     5 s receive timeout); the UAS's CPU (utime+stime, /proc/PID/stat) across
#     the step / successful calls = CPU ms per call (1 s of RTP included).
#     Stepping stops after the first step with a failed call.
#  4. established calls: EST_CALLS concurrent calls held EST_S s by SIPp with
#     -rtp_echo (the UAS sends PCMU at 50 packets/s, SIPp echoes every packet
#     back, so RTP flows both ways); the UAS's CPU over a window inside the
#     hold, scaled to CPU-seconds per minute per established call.
#  5. teaphone only: goroutines, live heap after a GC (HeapAlloc; HeapInuse
#     for information), RSS (anonymous and file-backed; also after a forced
#     debug.FreeOSMemory) and open FDs before the load and after it: once
#     every call has ended, the server transactions' Timer J has run out and
#     the agent has had its look for a drained burst (it then gives memory
#     back by itself).
#
# The teaphone agent auto-answers only when no other call is up (ua: call
# waiting); calls that arrive while one is up ring, and the runner (load run
# -answer-waiting) sends `answer ID` on the agent's stdin for them. For the
# goroutine and heap figures (and CPU profiles) the load instance is a
# teaphone built with scripts/load/loadprof.go added through -overlay
# (net/http/pprof on a loopback port); the product has no debug hook. PROF=0
# runs the plain binary instead (goroutines and heap then read n/a).
# Startup time and idle RSS always use the plain binary.
#
# Env: QUICK=1, RATES="50 100 …", STEP_S, HOLD_MS, EST_CALLS, EST_S, PROF=0|1,
#      PROFILE_RATE (full mode, PROF=1: one extra step at this rate with a
#      10 s CPU profile; top functions printed), KEEP=1 (keep the work dir),
#      TEAPHONE_BIN / TEAPHONE_PROF_BIN: use these binaries instead of building
#      (the profiling one must come from this script's -tags loadprof -overlay),
#      TEAPHONE_LOADPROF_MEMRATE (heap profile sampling in the profiling
#      variant, whose live heap profile after the load is then printed; off
#      by default, as in teaphone itself).
# Exit: 0 all teaphone targets met; 1 a target missed (listed); 2 setup error.
# QUICK mode checks only what a smoke test can: no failed call at its step,
# calls cleared, goroutines and FDs back to their start; the performance
# targets are printed for information.
# Needs: go, sipp (sip-tester), baresip. Without sipp or baresip it skips
# (exit 0) unless CI=true.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

quick=${QUICK:-0}
if [[ $quick == 1 ]]; then
	rates=${RATES:-50} step_s=${STEP_S:-3} est_calls=${EST_CALLS:-4} est_s=${EST_S:-8}
	start_runs=2 idle_s=1
else
	rates=${RATES:-50 100 150 200 300 400 500 700 1000} step_s=${STEP_S:-10} est_calls=${EST_CALLS:-20} est_s=${EST_S:-60}
	start_runs=5 idle_s=2
fi
hold_ms=${HOLD_MS:-1000}
prof=${PROF:-1}
profile_rate=${PROFILE_RATE:-300}

# Targets (the issue's, measured on the lead's machine).
t_rate=300 t_cpu_call=3.0 t_start_ms=20 t_rss_kb=$((15 * 1024))
t_est_baresip=0.95 # baresip's CPU-s per minute per call when not measured here

missing=()
for tool in go sipp baresip; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
	echo "load: missing ${missing[*]} (apt-get install sip-tester baresip)"
	if [[ ${CI:-} == true ]]; then
		echo "FAIL: CI=true and prerequisites are missing"
		exit 2
	fi
	echo "SKIP"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/teaphone-load.XXXXXX")
pids=() # runners and background SIPps started here; stopped by PID
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [[ ${KEEP:-} == 1 ]]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

say() { printf '%s\n' "$*" >&2; }
t_begin=$(date +%s)
load1() { cut -d' ' -f1 /proc/loadavg; }
load_seen=("$(cut -d' ' -f1-3 /proc/loadavg)")

# ---- build -------------------------------------------------------------
say "== building teaphone, the profiling variant and the helper in $work"
(cd "$root" && go build -o "$work/load" ./scripts/load) || exit 2
if [[ -n ${TEAPHONE_BIN:-} ]]; then
	cp "$TEAPHONE_BIN" "$work/teaphone"
else
	bash "$root/scripts/build.sh" "$work/teaphone" || exit 2
fi
if [[ $prof == 1 && -n ${TEAPHONE_PROF_BIN:-} ]]; then
	cp "$TEAPHONE_PROF_BIN" "$work/teaphone-prof"
elif [[ $prof == 1 ]]; then
	printf '{"Replace":{"%s/zz_loadprof.go":"%s/loadprof.go"}}\n' "$root" "$here" >"$work/overlay.json"
	bash "$root/scripts/build.sh" "$work/teaphone-prof" -tags loadprof -overlay "$work/overlay.json" || exit 2
fi
L=$work/load

# ---- helpers -----------------------------------------------------------
# stop_runner PID: the runner stops its UAS by PID on SIGTERM.
stop_runner() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# wait_pidfile FILE: bounded wait (10 s) for a runner's PID file.
wait_pidfile() {
	local i
	for i in $(seq 1 100); do
		[[ -s $1 ]] && {
			cat "$1"
			return 0
		}
		sleep 0.1
	done
	say "no PID in $1"
	return 1
}

# wait_options PORT: bounded wait (10 s) until the UAS answers OPTIONS.
wait_options() {
	"$L" ping -port "$1" -timeout 10s
}

# make_baresip DIR SIP_PORT WAV: the harness's headless config, changed for
# load: no recording (sndfile), call_max_calls 4000, a wide RTP port range.
make_baresip() {
	local dir=$1 sip=$2 wav=$3 ctrl base
	ctrl=$("$L" freeport)
	base=$((30000 + RANDOM % 25000))
	RTP_PORTS="$base-$((base + 4000))" bash "$root/scripts/interop/baresip/make-baresip.sh" \
		"$dir" bob unused "$sip" "$ctrl" "$wav" none >/dev/null
	sed -i -e 's/^call_max_calls.*/call_max_calls\t\t4000/' -e '/^module[[:space:]]*sndfile.so/d' "$dir/config"
}

# sample PID -> "cpu_ms rss_kb fds threads"
sample() { "$L" sample "$1"; }
# rss_split PID -> "anon_kb file_kb" (RssAnon; RssFile + RssShmem)
rss_split() { awk '/^RssAnon:/{a=$2} /^Rss(File|Shmem):/{f+=$2} END{print a, f}' "/proc/$1/status"; }

# run_step NAME RATE PORT PID -> sets step_* globals
run_step() {
	local name=$1 r=$2 port=$3 pid=$4 n lim cpu0 cpu1 t0 t1 rc stf st
	n=$((r * step_s)) lim=$((r * 3))
	stf=$work/$name-step$r.csv
	read -r cpu0 _ < <(sample "$pid")
	t0=$(date +%s%N)
	rc=0
	timeout $((step_s + hold_ms / 1000 + 40)) sipp -sn uac -i 127.0.0.1 -p "$("$L" freeport)" -mp "$("$L" freeport -pair)" \
		-r "$r" -m "$n" -l "$lim" -d "$hold_ms" -nostdin -timeout $((step_s + hold_ms / 1000 + 30))s -timeout_error \
		-recv_timeout 5000 -trace_stat -stf "$stf" -fd 1 -s bob "127.0.0.1:$port" \
		>"$work/$name-step$r.sipp" 2>&1 || rc=$?
	t1=$(date +%s%N)
	sleep 1 # media teardown after the last BYE
	read -r cpu1 _ < <(sample "$pid")
	if [[ -s $stf ]]; then st=$("$L" sippstat "$stf"); else st="0 0 $n 0 0"; fi
	read -r step_created step_ok step_failed step_retrans _ <<<"$st"
	step_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", (b-a)/1e9}')
	step_cpu_ms=$((cpu1 - cpu0))
	step_cpu_call=$(awk -v c="$step_cpu_ms" -v k="$step_ok" 'BEGIN{ if (k>0) printf "%.2f", c/k; else print "n/a"}')
	if ((rc != 0 && step_failed == 0)); then step_failed=$((n - step_ok)); fi
	if ((step_created < n)); then step_failed=$((step_failed + n - step_created)); fi
	load_seen+=("$(cut -d' ' -f1-3 /proc/loadavg)")
	say "$(printf '  %-8s %4d calls/s: %5d ok %5d failed %5d retrans, %6d ms CPU = %6s ms/call, %5ss wall, load %s' \
		"$name" "$r" "$step_ok" "$step_failed" "$step_retrans" "$step_cpu_ms" "$step_cpu_call" "$step_wall" "$(load1)")"
}

# steps NAME PORT PID: step the rate; sets R_best R_cpu_call R_steps
steps() {
	local name=$1 port=$2 pid=$3 r tot_cpu=0 tot_ok=0
	R_best=0 R_steps=""
	for r in $rates; do
		run_step "$name" "$r" "$port" "$pid"
		R_steps+="$r:$step_ok/$step_failed/${step_cpu_call} "
		if ((step_failed > 0)); then break; fi
		R_best=$r
		tot_cpu=$((tot_cpu + step_cpu_ms)) tot_ok=$((tot_ok + step_ok))
		sleep 1
	done
	R_cpu_call=$(awk -v c="$tot_cpu" -v k="$tot_ok" 'BEGIN{ if (k>0) printf "%.2f", c/k; else print "n/a"}')
}

# established NAME PORT PID: sets E_cpu_min (CPU-s per minute per call)
established() {
	local name=$1 port=$2 pid=$3 spid win settle cpu0 cpu1 rc=0
	settle=2
	win=$((est_s - settle - 3))
	sipp -sn uac -i 127.0.0.1 -p "$("$L" freeport)" -mp "$("$L" freeport -pair)" -rtp_echo \
		-r "$est_calls" -m "$est_calls" -l "$est_calls" -d $((est_s * 1000)) -nostdin \
		-timeout $((est_s + 30))s -timeout_error -recv_timeout 10000 -trace_stat -stf "$work/$name-est.csv" -fd 1 \
		-s bob "127.0.0.1:$port" >"$work/$name-est.sipp" 2>&1 &
	spid=$!
	pids+=("$spid")
	sleep $((settle + 1)) # all calls set up (they start within 1 s)
	read -r cpu0 _ < <(sample "$pid")
	sleep "$win"
	read -r cpu1 _ < <(sample "$pid")
	wait "$spid" || rc=$?
	local st
	st=$("$L" sippstat "$work/$name-est.csv" 2>/dev/null || echo "0 0 $est_calls 0 0")
	read -r E_created E_ok E_failed _ <<<"$st"
	E_cpu_min=$(awk -v c="$((cpu1 - cpu0))" -v w="$win" -v n="$est_calls" 'BEGIN{printf "%.3f", c/1000/w*60/n}')
	if ((rc != 0 || E_ok != est_calls)); then
		say "  $name established calls: SIPp exit $rc, $E_ok of $est_calls calls completed"
		E_cpu_min="$E_cpu_min(!)"
	fi
	say "  $name: $est_calls calls with RTP both ways, $((cpu1 - cpu0)) ms CPU over ${win}s = $E_cpu_min CPU-s/min/call"
}

# startup NAME PORT CMD... -> sets S_ms S_rss
startup() {
	local name=$1 port=$2
	shift 2
	say "  $name start-to-OPTIONS ($start_runs runs):"
	read -r S_ms S_rss < <("$L" startup -port "$port" -runs "$start_runs" -idle "${idle_s}s" \
		-log "$work/$name-startup.log" -- "$@")
}

# Calls whose UAC gave up without a BYE (SIPp abandons calls that fail in
# an overloaded step) stay up: the agent has no RTP timeout by default.
# hangup_leftovers lists them, hangs them up and adds them to tp_abandoned,
# so later phases and the after-load figures are not skewed by them.
tp_abandoned=0 cleared=0
tp_calls() { # prints the call IDs of a fresh `calls` reply; 1 if none came
	local n0 i line
	n0=$(grep -c '"cmd":"calls"' "$work/tp.out" || true)
	echo calls >"$work/tp.ctl"
	for i in $(seq 1 100); do
		if (($(grep -c '"cmd":"calls"' "$work/tp.out" || true) > n0)); then
			line=$(grep '"cmd":"calls"' "$work/tp.out" | tail -n 1)
			grep -o '"call":"[^"]*"' <<<"$line" | cut -d'"' -f4 || true
			return 0
		fi
		sleep 0.1
	done
	return 1
}
hangup_leftovers() {
	local ids id left _i
	sleep 2 # the last calls' BYEs
	ids=$(tp_calls || true)
	for id in $ids; do echo "hangup $id" >"$work/tp.ctl"; done
	tp_abandoned=$((tp_abandoned + $(wc -w <<<"$ids")))
	cleared=0
	for _i in $(seq 1 30); do
		if left=$(tp_calls) && [[ -z $left ]]; then
			cleared=1
			break
		fi
		sleep 0.5
	done
	say "  calls left up by their UAC (no BYE): $(wc -w <<<"$ids"), hung up; no call left: $cleared"
}

# ---- teaphone ------------------------------------------------------------
say "== teaphone agent (load: $(cut -d' ' -f1-3 /proc/loadavg))"
tp_port=$("$L" freeport)
tp_args=(agent -user bob -domain 127.0.0.1 -no-register -listen "udp:127.0.0.1:$tp_port" -auto-answer -audio null -codecs PCMU)
startup teaphone "$tp_port" "$work/teaphone" "${tp_args[@]}"
tp_start_ms=$S_ms tp_rss_idle=$S_rss

tp_bin=$work/teaphone prof_addr=""
if [[ $prof == 1 ]]; then
	tp_bin=$work/teaphone-prof
	prof_addr=127.0.0.1:$("$L" freeport)
fi
mkfifo "$work/tp.ctl"
TEAPHONE_LOADPROF_ADDR=$prof_addr "$L" run -pidfile "$work/tp.pid" -out "$work/tp.out" -ctl "$work/tp.ctl" \
	-answer-waiting -- "$tp_bin" "${tp_args[@]}" &
tp_runner=$!
pids+=("$tp_runner")
tp_pid=$(wait_pidfile "$work/tp.pid") || exit 2
wait_options "$tp_port" || {
	say "teaphone does not answer OPTIONS"
	exit 2
}
sleep "$idle_s"
read -r _ tp_rss0 tp_fd0 _ < <(sample "$tp_pid")
read -r tp_anon0 tp_file0 < <(rss_split "$tp_pid")
tp_gor0=n/a tp_heap0=n/a tp_inuse0=n/a
if [[ $prof == 1 ]]; then
	tp_gor0=$("$L" goroutines "$prof_addr")
	read -r tp_heap0 tp_inuse0 < <("$L" heap "$prof_addr")
fi
say "  before load: RSS ${tp_rss0} kB, ${tp_fd0} FDs, goroutines $tp_gor0, live heap $tp_heap0 kB (spans in use $tp_inuse0 kB)"
# Established calls first, on the fresh agent: calls abandoned by SIPp in a
# failing step would otherwise still send RTP during the window.
established teaphone "$tp_port" "$tp_pid"
tp_est=$E_cpu_min
steps teaphone "$tp_port" "$tp_pid"
tp_best=$R_best tp_cpu_call=$R_cpu_call tp_steps=$R_steps
hangup_leftovers

# CPU profile at PROFILE_RATE (full mode): where the time goes.
if [[ $prof == 1 && $quick != 1 && -n $profile_rate ]]; then
	# at the target rate, or at the highest rate that passed when lower
	((tp_best > 0 && tp_best < profile_rate)) && profile_rate=$tp_best
	say "  profiling one extra step at $profile_rate calls/s (not counted above)"
	"$L" fetch "http://$prof_addr/debug/pprof/profile?seconds=10" "$work/teaphone-cpu.pprof" &
	fpid=$!
	pids+=("$fpid")
	run_step teaphone-prof "$profile_rate" "$tp_port" "$tp_pid"
	wait "$fpid" || true
	hangup_leftovers
fi

tp_load_end=$(date +%s)
# The agent stays up (idle) while baresip is measured: server transactions
# linger for Timer J (64*T1 = 32 s, RFC 3261 §17.2.2) after the last BYE,
# so the after-load figures are read once that has passed (below).

# ---- baresip -------------------------------------------------------------
say "== baresip (load: $(cut -d' ' -f1-3 /proc/loadavg))"
"$L" wav "$work/short.wav" 2       # covers the 1 s calls of the steps
"$L" wav "$work/long.wav" $((est_s + 5)) # aufile loads the whole file per call
read -r bs_port < <("$L" freeport -pair)
make_baresip "$work/bs-start" "$bs_port" "$work/short.wav"
startup baresip "$bs_port" baresip -f "$work/bs-start"
bs_start_ms=$S_ms bs_rss_idle=$S_rss

make_baresip "$work/bs" "$bs_port" "$work/short.wav"
"$L" run -pidfile "$work/bs.pid" -out "$work/bs.out" -- baresip -f "$work/bs" &
bs_runner=$!
pids+=("$bs_runner")
bs_pid=$(wait_pidfile "$work/bs.pid") || exit 2
wait_options "$bs_port" || {
	say "baresip does not answer OPTIONS"
	exit 2
}
read -r _ bs_rss0 bs_fd0 _ < <(sample "$bs_pid")
steps baresip "$bs_port" "$bs_pid"
bs_best=$R_best bs_cpu_call=$R_cpu_call bs_steps=$R_steps
sleep "$idle_s"
read -r _ bs_rss1 bs_fd1 _ < <(sample "$bs_pid")
stop_runner "$bs_runner"

read -r bs_port < <("$L" freeport -pair)
make_baresip "$work/bs-est" "$bs_port" "$work/long.wav"
"$L" run -pidfile "$work/bs-est.pid" -out "$work/bs-est.out" -- baresip -f "$work/bs-est" &
bs_runner=$!
pids+=("$bs_runner")
bs_pid=$(wait_pidfile "$work/bs-est.pid") || exit 2
wait_options "$bs_port" || exit 2
established baresip "$bs_port" "$bs_pid"
bs_est=$E_cpu_min
stop_runner "$bs_runner"

# ---- teaphone after the load ------------------------------------------------
say "== teaphone after the load (Timer J: transactions end 32 s after the last request)"
# Wait out Timer J and L (64*T1 = 32 s after the last request; ended
# transactions hold no goroutine, so the goroutine count cannot tell) and
# the agent's own look for a drained burst (every 5 s, footprint.go: it
# then gives memory back), then until the goroutines are back (bounded: 45 s
# after the load ended). baresip's steps usually took longer than that.
while (($(date +%s) - tp_load_end < 45)); do
	if (($(date +%s) - tp_load_end >= 40)); then
		[[ $prof != 1 ]] && break
		(($("$L" goroutines "$prof_addr") <= tp_gor0 + 1)) && break
	fi
	sleep 1
done
read -r _ tp_rss1 tp_fd1 _ < <(sample "$tp_pid")
read -r tp_anon1 tp_file1 < <(rss_split "$tp_pid")
tp_gor1=n/a tp_heap1=n/a tp_inuse1=n/a tp_rss2=n/a
if [[ $prof == 1 ]]; then
	tp_gor1=$("$L" goroutines "$prof_addr")
	"$L" fetch "http://$prof_addr/debug/pprof/goroutine?debug=1" "$work/teaphone-goroutines.txt"
	read -r tp_heap1 tp_inuse1 < <("$L" heap "$prof_addr")
	"$L" fetch "http://$prof_addr/debug/pprof/heap?gc=1" "$work/teaphone-heap-after.pprof"
	"$L" freeos "$prof_addr"
	read -r _ tp_rss2 _ < <(sample "$tp_pid")
fi
say "  after load: calls cleared=$cleared, RSS ${tp_rss1} kB (${tp_rss2} kB after FreeOSMemory), ${tp_fd1} FDs, goroutines $tp_gor1, live heap $tp_heap1 kB (spans in use $tp_inuse1 kB)"
stop_runner "$tp_runner"
if [[ -s $work/teaphone-cpu.pprof ]]; then
	say "  CPU profile, top functions (flat, then cumulative):"
	(cd "$root" && go tool pprof -top -nodecount=25 "$work/teaphone-prof" "$work/teaphone-cpu.pprof" 2>/dev/null |
		sed -n '1,32p' | sed 's/^/    /') >&2 || true
	(cd "$root" && go tool pprof -top -cum -nodecount=30 "$work/teaphone-prof" "$work/teaphone-cpu.pprof" 2>/dev/null |
		sed -n '6,36p' | sed 's/^/    /') >&2 || true
fi

# teaphone samples no allocations (footprint.go) unless asked to.
if [[ -s $work/teaphone-heap-after.pprof && $quick != 1 && -n ${TEAPHONE_LOADPROF_MEMRATE:-} ]]; then
	say "  live heap after the load (sampled heap profile, inuse_space):"
	(cd "$root" && go tool pprof -sample_index=inuse_space -top -nodecount=8 "$tp_bin" "$work/teaphone-heap-after.pprof" 2>/dev/null |
		sed -n '5,14p' | sed 's/^/    /') >&2 || true
fi

# ---- table -----------------------------------------------------------------
fail=()
num() { [[ $1 =~ ^[0-9.]+$ ]]; }
le() { num "$1" && num "$2" && awk -v a="$1" -v b="$2" 'BEGIN{exit !(a<=b)}'; }
ge() { num "$1" && num "$2" && awk -v a="$1" -v b="$2" 'BEGIN{exit !(a>=b)}'; }
est_ref=${bs_est%(!)}
num "$est_ref" || est_ref=$t_est_baresip
t_est=$(awk -v b="$est_ref" 'BEGIN{printf "%.3f", b/2}')
check() { # NAME PERF(1: performance target) CONDITION...
	local name=$1 perf=$2
	shift 2
	if ! "$@"; then
		if [[ $quick == 1 && $perf == 1 ]]; then
			say "  (quick mode, not enforced) missed: $name"
		else
			fail+=("$name")
		fi
	fi
}
check "highest zero-failure rate >= $t_rate calls/s" 1 ge "$tp_best" "$t_rate"
check "CPU per call <= $t_cpu_call ms" 1 le "$tp_cpu_call" "$t_cpu_call"
check "established call <= $t_est CPU-s/min (half of baresip)" 1 le "${tp_est%(!)}" "$t_est"
check "start-to-OPTIONS <= $t_start_ms ms" 1 le "$tp_start_ms" "$t_start_ms"
check "idle RSS <= $t_rss_kb kB" 1 le "$tp_rss_idle" "$t_rss_kb"
check "no failed call at the quick step" 0 test "$quick" != 1 -o "$tp_best" != 0
check "established calls all completed" 0 test "${tp_est%(!)}" == "$tp_est"
check "no call left after hanging up abandoned ones" 0 test "$cleared" == 1
check "open FDs back to the start ($tp_fd0)" 0 le "$tp_fd1" "$tp_fd0"
if [[ $prof == 1 ]]; then
	check "goroutines back to the start ($tp_gor0)" 0 le "$tp_gor1" "$((tp_gor0 + 1))"
	check "live heap back to the start (+1 MB)" 0 le "$tp_heap1" "$((tp_heap0 + 1024))"
fi
check "RSS back to the start (+5 MB) after the load" 1 le "$tp_rss1" "$((tp_rss0 + 5120))"

row() { printf '%-44s | %-16s | %-16s | %s\n' "$@"; }
echo
echo "teaphone load and footprint ($([[ $quick == 1 ]] && echo QUICK || echo full) mode, $(date -u +%FT%TZ), $(nproc) CPUs)"
echo "load average seen (1/5/15 min): ${load_seen[0]} at start … $(cut -d' ' -f1-3 /proc/loadavg) at end; max 1-min $(printf '%s\n' "${load_seen[@]}" | cut -d' ' -f1 | sort -g | tail -1)"
row "figure" "teaphone" "baresip" "target (teaphone)"
row "--------------------------------------------" "----------------" "----------------" "-----------------"
row "highest zero-failure rate (calls/s)" "$tp_best" "$bs_best" ">= $t_rate"
row "CPU per call, zero-failure steps (ms)" "$tp_cpu_call" "$bs_cpu_call" "<= $t_cpu_call"
row "established call (CPU-s/min per call)" "$tp_est" "$bs_est" "<= $t_est"
row "start to first OPTIONS 200 (ms, median)" "$tp_start_ms" "$bs_start_ms" "<= $t_start_ms"
row "idle RSS (kB, median)" "$tp_rss_idle" "$bs_rss_idle" "<= $t_rss_kb"
row "calls abandoned by SIPp (hung up by script)" "$tp_abandoned" "-" "info"
row "RSS before / after load (kB)" "$tp_rss0 / $tp_rss1" "$bs_rss0 / $bs_rss1" "<= start + 5 MB"
row "  of it anonymous, before / after (kB)" "$tp_anon0 / $tp_anon1" "-" "info"
row "  of it file-backed, before / after (kB)" "$tp_file0 / $tp_file1" "-" "info (code pages)"
row "RSS after a forced FreeOSMemory (kB)" "$tp_rss2" "-" "info (after heap dumps)"
row "live heap before / after, after GC (kB)" "$tp_heap0 / $tp_heap1" "-" "<= start + 1 MB"
row "heap spans in use before / after (kB)" "$tp_inuse0 / $tp_inuse1" "-" "info"
row "goroutines before / after" "$tp_gor0 / $tp_gor1" "-" "back to start"
row "open FDs before / after" "$tp_fd0 / $tp_fd1" "$bs_fd0 / $bs_fd1" "back to start"
echo "steps rate:ok/failed/ms-per-call  teaphone: $tp_steps"
echo "                                  baresip:  $bs_steps"
echo "method: SIPp uac, ${hold_ms} ms calls, ${step_s} s per step; established: $est_calls calls, RTP echoed by SIPp, ${est_s} s hold; total $(($(date +%s) - t_begin)) s"
if ((${#fail[@]})); then
	echo "FAIL: teaphone missed ${#fail[@]} target(s):"
	printf '  - %s\n' "${fail[@]}"
	exit 1
fi
echo "PASS: teaphone met every target checked in this mode"
