#!/usr/bin/env bash
# run-kamailio.sh — prepare a private runtime dir and start kamailio on
# 127.0.0.1 (registrar + proxy + presence, db_text, see kamailio.cfg).
#
#   RUNDIR=/tmp/kam SIP_PORT=25060 TLS=1 ./run-kamailio.sh [extra kamailio args]
#   extra args e.g.  -A NO_PROXY_AUTH   -A AUTH_QOP=1   -A WITH_DEBUG
#
# Env:
#   RUNDIR    runtime dir (db_text tables, ctl socket, pid, tls cert); required
#   SIP_PORT  udp+tcp port (default 5060 — tests must pick a free port)
#   TLS_PORT  tls port (default SIP_PORT+1)
#   LISTEN_IP address to listen on (default 127.0.0.1; e.g. a netns veth address)
#   USERS     "user:password ..."  default "alice:alicepw bob:bobpw carol:carolpw"
#   DOMAIN    domain written into subscriber rows (not checked, use_domain=0)
#   TLS=1     also listen on tls:127.0.0.1:TLS_PORT with a fresh self-signed
#             certificate in RUNDIR/tls/server.pem (also the clients' CA file)
#   FG=1      exec kamailio in the foreground (the process keeps this PID; the
#             Go harness uses this); otherwise start it in the background, wait
#             (bounded, 10 s) until it answers OPTIONS and print its PID.
#
# Stop: kill "$(cat "$RUNDIR/kamailio.pid")"  (SIGTERM; children follow)
# Registrations: kamcmd -s "unix:$RUNDIR/kamailio_ctl" ul.dump
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
RUNDIR=${RUNDIR:?set RUNDIR to a private directory}
SIP_PORT=${SIP_PORT:-5060}
TLS_PORT=${TLS_PORT:-$((SIP_PORT + 1))}
LISTEN_IP=${LISTEN_IP:-127.0.0.1}
USERS=${USERS:-alice:alicepw bob:bobpw carol:carolpw}
DOMAIN=${DOMAIN:-$LISTEN_IP}
LOG=${LOG:-$RUNDIR/kamailio.log}

mkdir -p "$RUNDIR/dbtext"
# db_text needs the 'version' table plus every table a module opens.
for t in version subscriber presentity active_watchers watchers xcap pua location; do
	cp /usr/share/kamailio/dbtext/kamailio/$t "$RUNDIR/dbtext/$t"
done
# subscriber rows: id:username:domain:password:ha1:ha1b — ha1/ha1b must not be
# empty (dummy 'x'); calculate_ha1=yes uses the plain password. db_mode=1
# re-reads the file when it changes, so rows may be appended while running.
i=1
for up in $USERS; do
	echo "$i:${up%%:*}:$DOMAIN:${up#*:}:x:x" >>"$RUNDIR/dbtext/subscriber"
	i=$((i + 1))
done

args=(-f "$here/kamailio.cfg" -DD -E -n 2 -m 64 -M 8
	-P "$RUNDIR/kamailio.pid" -Y "$RUNDIR" -w "$RUNDIR"
	-A "SIP_PORT=$SIP_PORT" -A "TLS_PORT=$TLS_PORT"
	-A "LISTEN_IP=\"$LISTEN_IP\""
	-A "PRES_ADDR=\"sip:$LISTEN_IP:$SIP_PORT\""
	-A "DBURL=\"text://$RUNDIR/dbtext\""
	-A "CTLSOCK=\"unix:$RUNDIR/kamailio_ctl\""
	-A "TLS_CERT=\"$RUNDIR/tls/server.pem\""
	-A "TLS_KEY=\"$RUNDIR/tls/server.key\"")

if [ "${TLS:-0}" = 1 ]; then
	"$here/make-tls-cert.sh" "$RUNDIR/tls" "$LISTEN_IP"
	args+=(-A WITH_TLS)
fi

# syntax check first (fails fast with a readable error)
kamailio "${args[@]}" "$@" -c >"$RUNDIR/check.log" 2>&1 || {
	cat "$RUNDIR/check.log" >&2
	exit 1
}

if [ "${FG:-0}" = 1 ]; then
	exec kamailio "${args[@]}" "$@"
fi

kamailio "${args[@]}" "$@" >"$LOG" 2>&1 &
kpid=$!
# Wait (bounded, 10 s) until it answers OPTIONS over UDP; sipp exits 0 on 200.
for _ in $(seq 1 50); do
	if sipp -sf "$here/../sipp/options.xml" -i "$LISTEN_IP" -m 1 -nostdin \
		-timeout 1s -timeout_error "$LISTEN_IP:$SIP_PORT" >/dev/null 2>&1; then
		echo "$kpid"
		exit 0
	fi
	kill -0 "$kpid" 2>/dev/null || {
		echo "kamailio died:" >&2
		tail -30 "$LOG" >&2
		exit 1
	}
	sleep 0.2
done
echo "kamailio did not answer in 10 s" >&2
tail -30 "$LOG" >&2
kill "$kpid"
exit 1
