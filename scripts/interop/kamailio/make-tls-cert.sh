#!/usr/bin/env bash
# make-tls-cert.sh DIR [IP] — write a self-signed TLS certificate for
# 127.0.0.1 (and IP, when given) into
# DIR/server.pem (certificate; it is its own CA, give it to clients as the CA
# file) and DIR/server.key (private key). Valid for 2 days.
set -euo pipefail
dir=${1:?usage: make-tls-cert.sh DIR [IP]}
san="IP:127.0.0.1,DNS:localhost"
[ -n "${2:-}" ] && [ "$2" != 127.0.0.1 ] && san="IP:$2,$san"
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=${2:-127.0.0.1}" \
	-addext "subjectAltName=$san" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-keyout "$dir/server.key" -out "$dir/server.pem" 2>/dev/null
