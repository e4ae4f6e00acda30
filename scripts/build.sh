#!/usr/bin/env bash
# build.sh OUT [GO BUILD FLAGS...] — build teaphone into OUT.
#
# The binary is linked into a temporary file and then copied into place.
# Go's linker writes its output through a shared memory mapping; on recent
# kernels (seen on 6.18, ext4) that leaves the new file in the page cache as
# 2 MB folios, which the kernel then maps whole on every fault, so a
# freshly linked teaphone idles at about 18 MB RSS instead of 9 (it is page
# cache either way, but RSS is what users and top see). A copy is written
# through write(2) in small folios. The rename also lets a running teaphone
# keep its old binary.
set -euo pipefail
out=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp "$out.build.XXXXXX")
trap 'rm -f "$tmp" "$tmp.copy"' EXIT
(cd "$root" && go build "$@" -o "$tmp" github.com/teaphone/teaphone)
cp "$tmp" "$tmp.copy"
chmod 0755 "$tmp.copy"
mv -f "$tmp.copy" "$out"
