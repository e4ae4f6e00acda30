#!/usr/bin/env bash
# test.sh — teaphone's full test suite: the README's test command runs this.
#
# Installs what the tests need (scripts/deps.sh test), then: gofmt, go vet,
# staticcheck, `go test -race` over every package, each fuzz target for a
# bounded time, and the end-to-end scripts. Prints the go test summary and a
# closing "N passed, N failed" line; exits non-zero when anything failed.
#
# Environment: FUZZTIME (default 60s for the SIP parser targets, 20s for the
# others; FUZZTIME=0 skips fuzzing on a developer machine), CI=true makes
# tests that need a missing external program fail instead of skip.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh test || exit 1

export GOFLAGS=${GOFLAGS:-}
staticcheck_version=v0.8.2 # staticcheck 2026.2.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

extra_pass=0
extra_fail=0
step() { # step NAME CMD...: run a check, count it
	local name=$1
	shift
	echo "== $name"
	if "$@"; then
		extra_pass=$((extra_pass + 1))
	else
		echo "FAIL: $name"
		extra_fail=$((extra_fail + 1))
	fi
}

gofmt_clean() {
	local out
	out=$(gofmt -l $(git ls-files -co --exclude-standard '*.go'))
	[ -z "$out" ] || { echo "gofmt would change: $out"; return 1; }
}
step gofmt gofmt_clean
step "go vet" go vet ./...
step staticcheck go run "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version" ./...

echo "== go test -race ./..."
go test -race -count=1 -timeout 30m -json ./... 2>&1 | go run ./scripts/testsum -counts "$work/counts"
read -r passed failed skipped <"$work/counts" 2>/dev/null || { passed=0; failed=1; skipped=0; }

# Fuzz every Fuzz target in the tree for a bounded time.
fuzz_one() { # on success the last lines; on failure everything but the progress lines
	local out rc
	out=$(go test -run '^$' -fuzz "^$2\$" -fuzztime "$3" "./$1" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		printf '%s\n' "$out" | tail -n 3
	else
		printf '%s\n' "$out" | grep -v '^fuzz: elapsed' | tail -n 40
	fi
	return $rc
}
if [ "${FUZZTIME:-}" != "0" ]; then
	while IFS=: read -r file name; do
		pkg=$(dirname "$file")
		t=${FUZZTIME:-20s}
		[ -z "${FUZZTIME:-}" ] && [ "$pkg" = sipcore/sip ] && t=60s
		step "fuzz $pkg $name ($t)" fuzz_one "$pkg" "$name" "$t"
	done < <(git ls-files -co --exclude-standard '*_test.go' | xargs grep -Ho '^func Fuzz[A-Za-z0-9_]*' | sed 's/func //' | sort)
fi

# End-to-end scripts (each exits non-zero on failure).
for s in scripts/*/e2e*.sh; do
	[ -f "$s" ] || continue
	step "$s" bash "$s"
done

echo
echo "go test: $passed passed, $failed failed, $skipped skipped; other checks: $extra_pass passed, $extra_fail failed"
total_pass=$((passed + extra_pass))
total_fail=$((failed + extra_fail))
echo "$total_pass passed, $total_fail failed, $skipped skipped"
[ "$total_fail" -eq 0 ]
