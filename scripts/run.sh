#!/usr/bin/env bash
# run.sh [ARGS...] — the README's first command: install what is missing,
# build teaphone, and start it with ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh run
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
bash scripts/build.sh teaphone -ldflags "-X main.version=$version"
exec ./teaphone "$@"
