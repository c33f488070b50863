#!/usr/bin/env bash
# tidy.sh runs go mod tidy in every module of the workspace, each alone as a
# user's build would see it (GOWORK=off), then go work sync. The modules
# require each other at the version go.work names, which need not be
# published yet: the tree is first published at that version into a
# file-based module proxy (scripts/modproxy.sh), and the go.sum lines of the
# tree's own modules, whose hashes are those of this work tree and not of a
# release, are left out (go.work needs none).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/modproxy.sh
version=$(tw_modproxy version)
tmp=$(mktemp -d)
trap 'tw_purge_modcache; rm -rf "$tmp"' EXIT
tw_purge_modcache
tw_publish "$tmp" "$version"
mods=$(go list -m -f '{{.Dir}}')
(
	tw_proxy_env "$tmp"
	for mod in $mods; do
		echo "-- ${mod#"$PWD"/}"
		(cd "$mod" && GOFLAGS=-mod=mod go mod tidy)
		if [ -f "$mod/go.sum" ]; then
			sed -i '\#^github.com/tinywindow/tinywindow[/ ]#d' "$mod/go.sum"
		fi
	done
)
go work sync
