#!/usr/bin/env bash
# impaired-link.sh — two network namespaces joined by a veth pair, with loss,
# delay and jitter (root only). The kernel here has no sch_netem ("tc qdisc
# add ... netem" -> "Error: Specified qdisc kind is unknown."), so loss is an
# nftables numgen drop and delay/jitter is the userspace NFQUEUE helper
# nfqdelay.c (through iptables-legacy: nft 'queue' needs CONFIG_NFT_QUEUE).
#
#   ./impaired-link.sh up   [NAME] [LOSS_PCT] [DELAY_MS] [JITTER_MS] [SECONDS]
#   ./impaired-link.sh down [NAME]
#
#   NAME (default sip, at most 11 characters) gives namespaces NAME-a and
#   NAME-b, veths NAME-va / NAME-vb, addresses 10.99.0.1/24 and 10.99.0.2/24.
#   LOSS applies to packets leaving EACH namespace over the veth (a round trip
#   sees about twice that); DELAY (+ uniform 0..JITTER) applies to each
#   direction, so a ping RTT is about 2*DELAY. nfqdelay runs for SECONDS
#   (default 120) then exits; the rule has --queue-bypass, so without it
#   packets pass undelayed.
#   NFQDELAY=path of a built nfqdelay (default: built into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/teaphone-interop/nfqdelay with gcc).
# Run peers with:  ip netns exec NAME-a CMD  /  ip netns exec NAME-b CMD
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
cmd=${1:-}
name=${2:-sip}
a=$name-a b=$name-b
state=/tmp/impaired-link-$name
case "$cmd" in
up)
	loss=${3:-0} delay=${4:-0} jit=${5:-0} secs=${6:-120}
	mkdir -p "$state"
	ip netns add "$a"
	ip netns add "$b"
	ip link add "$name-va" type veth peer name "$name-vb"
	ip link set "$name-va" netns "$a"
	ip link set "$name-vb" netns "$b"
	ip -n "$a" addr add 10.99.0.1/24 dev "$name-va"
	ip -n "$b" addr add 10.99.0.2/24 dev "$name-vb"
	for n in "$a" "$b"; do ip -n "$n" link set lo up; done
	ip -n "$a" link set "$name-va" up
	ip -n "$b" link set "$name-vb" up
	if [ "$loss" != 0 ]; then
		for n in "$a" "$b"; do
			ip netns exec "$n" nft -f - <<NFT
table inet lossy {
  chain out {
    type filter hook output priority 0; policy accept;
    oifname != "lo" numgen random mod 100 < $loss counter drop
  }
}
NFT
		done
	fi
	if [ "$delay" != 0 ] || [ "$jit" != 0 ]; then
		bin=${NFQDELAY:-${XDG_CACHE_HOME:-$HOME/.cache}/teaphone-interop/nfqdelay}
		if [ ! -x "$bin" ]; then
			mkdir -p "$(dirname "$bin")"
			gcc -O2 -o "$bin" "$here/nfqdelay.c" -lnetfilter_queue
		fi
		for n in "$a" "$b"; do
			dev=$name-va
			[ "$n" = "$b" ] && dev=$name-vb
			ip netns exec "$n" iptables-legacy -A OUTPUT -o "$dev" -j NFQUEUE --queue-num 0 --queue-bypass
			ip netns exec "$n" "$bin" 0 "$delay" "$jit" 0 "$secs" >"$state/nfqdelay-$n.log" 2>&1 &
			echo $! >"$state/nfqdelay-$n.pid"
		done
	fi
	echo "up: $a(10.99.0.1) <-> $b(10.99.0.2) loss=${loss}% delay=${delay}ms jitter=${jit}ms"
	;;
down)
	for f in "$state"/nfqdelay-*.pid; do
		[ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; }
	done
	rm -rf "$state"
	ip netns del "$a" 2>/dev/null || true # deletes the veth pair too
	ip netns del "$b" 2>/dev/null || true
	echo down
	;;
*)
	echo "usage: $0 up [NAME] [LOSS_PCT] [DELAY_MS] [JITTER_MS] [SECONDS] | down [NAME]" >&2
	exit 2
	;;
esac
