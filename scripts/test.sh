#!/usr/bin/env bash
# test.sh runs everything CI runs: it installs and starts what the tests need
# (each scripts/setup.d/*.sh, in order), then checks formatting, go vet and
# staticcheck, runs every test with the race detector, and fuzzes each fuzz
# target briefly. Set FUZZTIME (default 20000x: executions) for longer runs.
set -euo pipefail
cd "$(dirname "$0")/.."

export TW_ROOT="$PWD"
export TW_TOOLS="$TW_ROOT/.tools"
mkdir -p "$TW_TOOLS/bin"
export PATH="$TW_TOOLS/bin:$(go env GOPATH)/bin:$PATH"

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
go vet ./...

step "staticcheck"
if ! command -v staticcheck >/dev/null; then
	GOBIN="$TW_TOOLS/bin" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
staticcheck ./...

step "go test -race"
go test -race -count=1 -timeout 20m ./...

step "fuzz (${FUZZTIME:-20000x} each)"
scripts/fuzz.sh "${FUZZTIME:-20000x}"

for extra in scripts/test.d/*.sh; do
	[ -e "$extra" ] || continue
	step "$extra"
	bash "$extra"
done

step "all checks passed"
