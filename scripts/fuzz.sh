#!/usr/bin/env bash
# fuzz.sh runs every Fuzz target of the module for the given budget: a number
# of executions (default 20000x) or a duration:
#   scripts/fuzz.sh 10m
# CI uses an execution count: with a duration, Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" at the deadline on a loaded
# machine (go.dev/issue/75804, fixed in Go 1.27).
# New inputs that fail are written by go test to the package's testdata/fuzz/,
# where they stay as regression cases.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-20000x}"
grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . | grep -v node_modules | sort | while read -r file; do
	pkg="./$(dirname "${file#./}")"
	grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r target; do
		echo "-- $pkg $target"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
	done
done
