#!/usr/bin/env bash
# make-linphonerc.sh — write a headless linphonec (linphone-cli 5.1) config.
#
#   ./make-linphonerc.sh DIR USER PASS SIP_PORT RTP_PORT [REGISTRAR]
#
#   REGISTRAR  "127.0.0.1:PORT" (UDP) or "none" (no proxy: direct IP calls)
#   RTP_PORT   audio RTP port (RTCP uses RTP_PORT+1; video is disabled)
# Writes DIR/linphonerc and creates DIR/home/.local/share/linphone: linphonec
# needs a WRITABLE $HOME/.local/share/linphone, otherwise "Unable to open
# linphone database" and the core never starts (no socket, no error).
# Run it as:  HOME=DIR/home linphonec -c DIR/linphonerc   (see start-linphonec.sh)
set -euo pipefail
dir=$1 user=$2 pass=$3 sip_port=$4 rtp_port=$5 reg=${6:-none}
mkdir -p "$dir/home/.local/share/linphone"
{
	cat <<CFG
[sip]
sip_port=$sip_port
sip_tcp_port=0
sip_tls_port=0
use_ipv6=0
inc_timeout=30
CFG
	if [ "$reg" != none ]; then
		cat <<CFG
default_proxy=0

[proxy_0]
reg_proxy=<sip:$reg;transport=udp>
reg_identity="$user" <sip:$user@127.0.0.1>
reg_expires=300
reg_sendregister=1
publish=0

[auth_info_0]
username=$user
passwd=$pass
realm=127.0.0.1
domain=127.0.0.1
CFG
	else
		cat <<CFG
default_proxy=-1
contact="$user" <sip:$user@127.0.0.1:$sip_port>
CFG
	fi
	cat <<CFG

[rtp]
audio_rtp_port=$rtp_port
video_rtp_port=$((rtp_port + 2))

[net]
stun_server=
firewall_policy=0
auto_net_state_mon=0

[video]
capture=0
display=0
automatically_initiate=0
automatically_accept=0

[sound]
echocancellation=0

[misc]
version_check_url_root=
CFG
} >"$dir/linphonerc"
