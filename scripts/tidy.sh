#!/usr/bin/env bash
# tidy.sh runs go mod tidy in every module of the workspace (each alone, as a
# user's build would see it), then go work sync.
set -euo pipefail
cd "$(dirname "$0")/.."
for mod in $(go list -m -f '{{.Dir}}'); do
	echo "-- ${mod#"$PWD"/}"
	(cd "$mod" && GOWORK=off GOFLAGS=-mod=mod go mod tidy)
done
go work sync
