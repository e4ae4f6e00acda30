#!/usr/bin/env bash
# deps.sh run|test — make sure the Debian packages teaphone needs are installed.
#
# As root it installs what is missing with apt-get; otherwise it prints the
# exact apt-get line to run and exits 1. It also checks the Go version.
set -euo pipefail

want_go=1.26
mode=${1:-run}

# Packages to build and run teaphone (cgo: a C compiler, portaudio, opus).
run_pkgs=(gcc libc6-dev pkg-config portaudio19-dev libopus-dev)
# Packages the test suite needs on top: audio end-to-end checks and SIP peers
# (the interop harness, internal/interop + scripts/interop: kamailio, baresip,
# linphonec, SIPp, sipvicious, sox, openssl; the impaired netns link: iproute2,
# nftables, iptables, ping, and libnetfilter-queue-dev for nfqdelay.c).
test_pkgs=(espeak-ng sox alsa-utils sip-tester
	kamailio kamailio-presence-modules kamailio-utils-modules kamailio-tls-modules kamailio-extra-modules
	baresip baresip-core linphone-cli sipvicious libsox-fmt-all openssl
	iproute2 nftables iptables iputils-ping libnetfilter-queue-dev tmux)

case "$mode" in
run) pkgs=("${run_pkgs[@]}") ;;
test) pkgs=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

if ! command -v go >/dev/null 2>&1; then
	echo "teaphone: Go $want_go or newer is needed (https://go.dev/dl/); 'go' is not on PATH" >&2
	exit 1
fi
have_go=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$want_go" "$have_go" | sort -V | head -1)" != "$want_go" ]; then
	echo "teaphone: Go $want_go or newer is needed, found $have_go" >&2
	exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "teaphone: missing Debian packages: ${missing[*]}" >&2
	echo "run as root:  apt-get update && $line" >&2
	exit 1
fi
echo "teaphone: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
