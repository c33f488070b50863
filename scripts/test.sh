#!/usr/bin/env bash
# test.sh runs everything CI runs: it installs and starts what the tests need
# (each scripts/setup.d/*.sh, in order), then checks formatting, go vet and
# staticcheck, runs every test with the race detector, and fuzzes each fuzz
# target briefly. Set FUZZTIME (default 20000x: executions) for longer runs.
# The repository is several modules tied together by go.work; the pattern
# $TW_ALL (every package of every module in the workspace) covers them all.
set -euo pipefail
cd "$(dirname "$0")/.."

export TW_ROOT="$PWD"
export TW_TOOLS="$TW_ROOT/.tools"
mkdir -p "$TW_TOOLS/bin"
export PATH="$TW_TOOLS/bin:$(go env GOPATH)/bin:$PATH"

TW_ALL="github.com/tinywindow/tinywindow/..."

step() { printf '\n== %s\n' "$*"; }

step "set-up"
for setup in scripts/setup.d/*.sh; do
	[ -e "$setup" ] || continue
	echo "-- $setup"
	# shellcheck source=/dev/null
	source "$setup"
done

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt wants to change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet "$TW_ALL"

step "staticcheck"
if ! command -v staticcheck >/dev/null; then
	GOBIN="$TW_TOOLS/bin" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
staticcheck "$TW_ALL"

step "go test -race"
go test -race -count=1 -timeout 20m "$TW_ALL"

step "fuzz (${FUZZTIME:-20000x} each)"
scripts/fuzz.sh "${FUZZTIME:-20000x}"

for extra in scripts/test.d/*.sh; do
	[ -e "$extra" ] || continue
	step "$extra"
	bash "$extra"
done

step "all checks passed"
