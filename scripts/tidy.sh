#!/usr/bin/env bash
# tidy.sh runs go mod tidy in every module of the workspace, each alone as a
# user's build would see it (GOWORK=off), then go work sync. The modules
# require each other at the version go.work names, which need not be
# published yet: the tree is first published at that version into a
# file-based module proxy (scripts/modproxy.sh) and tidied against it with a
# module cache of its own; the go.sum lines of the tree's own modules, whose
# hashes are those of this work tree and not of a release, are left out
# (go.work needs none). It reads the files git tracks: git add new ones first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/modproxy.sh
version=$(tw_modproxy version)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tw_publish "$tmp" "$version"
mods=$(go list -m -f '{{.Dir}}')

# strip_tree_sums GOSUM drops the lines of the tree's own modules.
strip_tree_sums() {
	if [ -f "$1" ]; then
		sed -i '\#^github.com/tinywindow/tinywindow[/ ]#d' "$1"
	fi
}

(
	tw_proxy_env "$tmp"
	tw_private_modcache "$tmp"
	for mod in $mods; do
		echo "-- ${mod#"$PWD"/}"
		strip_tree_sums "$mod/go.sum"
		(cd "$mod" && GOFLAGS="$GOFLAGS -mod=mod" go mod tidy)
		strip_tree_sums "$mod/go.sum"
	done
)
go work sync
