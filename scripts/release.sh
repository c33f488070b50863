#!/usr/bin/env bash
# release.sh VERSION prepares a release of every module of the tree at
# VERSION (such as v0.2.0). By default it changes nothing in the work tree
# (a dry run): on a copy of the files git tracks it sets every sibling
# requirement to VERSION (scripts/modproxy set-version), publishes every
# module at VERSION into a file-based module proxy, builds each module alone
# (GOWORK=off) against the others at VERSION from that proxy, resolving its
# tests' imports too, and prints the tags the release creates.
#
#   scripts/release.sh [--apply] [--proxy DIR] [--shared-modcache] VERSION
#
# The builds use a module cache of their own (see scripts/modproxy.sh) and
# -trimpath, so that their compiled packages are reused from one run to the
# next. --proxy DIR keeps the proxy in DIR (GOPROXY=file://DIR) instead of a
# temporary directory, for trying the release as a user would
# (scripts/test.d/80-release.sh). --shared-modcache builds with the usual
# module cache instead and removes VERSION from it afterwards: only for a
# version used once, such as CI's. --apply then sets the versions in the work
# tree too, commits them and creates the tags (it never pushes; it prints the
# command that does).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/modproxy.sh

apply=false
keep=""
shared=false
while [ $# -gt 1 ]; do
	case $1 in
	--apply) apply=true ;;
	--proxy) keep=$2; shift ;;
	--shared-modcache) shared=true ;;
	*) echo "release.sh: unknown flag $1; usage: scripts/release.sh [--apply] [--proxy DIR] [--shared-modcache] VERSION" >&2; exit 2 ;;
	esac
	shift
done
if [ $# -ne 1 ]; then
	echo "usage: scripts/release.sh [--apply] [--proxy DIR] [--shared-modcache] VERSION" >&2
	exit 2
fi
version=$1
if $apply && [ -n "$(git status --porcelain)" ]; then
	echo "release.sh: the work tree has uncommitted changes; commit or stash them before --apply" >&2
	exit 2
fi

tmp=$(mktemp -d)
cleanup() {
	if $shared; then
		tw_purge_modcache "$version"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
tw_publish "$tmp" "$version"
if [ -n "$keep" ]; then
	mkdir -p "$keep"
	cp -R "$tmp/proxy/." "$keep/"
fi

mods=$(tw_modproxy modules -root "$tmp/src")
(
	tw_proxy_env "$tmp"
	if ! $shared; then
		tw_private_modcache "$tmp"
		export GOFLAGS="$GOFLAGS -trimpath"
	fi
	export GOFLAGS="${GOFLAGS:-$(go env GOFLAGS)} -mod=mod"
	for dir in $mods; do
		echo "-- $dir: build and test imports alone against the others at $version"
		(cd "$tmp/src/$dir" && go build -o /dev/null ./... && go list -test -deps ./... >/dev/null)
	done
)

tags=$(tw_modproxy tags -root "$tmp/src" -version "$version")
if ! $apply; then
	echo "dry run: every module builds at $version; a release (--apply) creates these tags:"
	echo "$tags"
	exit 0
fi
tw_modproxy set-version -root . -version "$version"
git commit -q -am "release $version: the modules require each other at $version"
for tag in $tags; do
	git tag -a "$tag" -m "release $version"
done
echo "committed and tagged:"
echo "$tags"
echo "push with: git push origin HEAD $(echo $tags | tr '\n' ' ')"
