# modproxy.sh holds the shell helpers that scripts/tidy.sh, scripts/release.sh
# and scripts/test.d/80-release.sh share for trying the tree's modules as
# published versions through a file-based module proxy (scripts/modproxy).
# Source it from the repository root.
#
# The go command takes a module version, once in its module cache, to be
# immutable (it even indexes it in the build cache by path and version), so
# a version published from a work tree must never reach the shared module
# cache under a version that may be published again with other contents:
# either the go command runs with a module cache of its own
# (tw_private_modcache), or the version is used once and removed afterwards
# (tw_unique_version, tw_purge_modcache).

# tw_modproxy runs scripts/modproxy outside the workspace (go.work names the
# version the tree is at, which it may be about to change).
tw_modproxy() {
	GOWORK=off go run ./scripts/modproxy "$@"
}

# tw_publish DIR VERSION copies the files git tracks (staged ones included),
# as they are in the work tree, into DIR/src, sets every sibling requirement
# there to VERSION, and publishes every released module at VERSION into the
# proxy DIR/proxy.
tw_publish() {
	local dir=$1 version=$2
	mkdir -p "$dir/src" "$dir/proxy"
	git ls-files -z | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$dir/src"
	tw_modproxy set-version -root "$dir/src" -version "$version"
	tw_modproxy publish -root "$dir/src" -version "$version" -dir "$dir/proxy"
}

# tw_proxy_env DIR exports what makes the go command take the tree's modules
# from the proxy DIR/proxy and everything else from the usual proxy, outside
# the workspace, without asking the checksum database about modules it has
# never seen. GOPRIVATE is left alone: it would send the tree's modules past
# the proxy.
tw_proxy_env() {
	export GOWORK=off
	export GOPROXY="file://$1/proxy,$(go env GOPROXY)"
	export GONOSUMDB=github.com/tinywindow/tinywindow
}

# tw_private_modcache DIR (after tw_proxy_env) gives the go command the module
# cache DIR/modcache, filled from the shared one's download cache where it
# can (no network for what is already there).
tw_private_modcache() {
	local shared
	shared=$(go env GOMODCACHE)
	export GOPROXY="file://$1/proxy,file://$shared/cache/download,${GOPROXY#"file://$1/proxy,"}"
	export GOMODCACHE="$1/modcache"
	export GOFLAGS="$(go env GOFLAGS) -modcacherw"
}

# tw_unique_version BASE prints a prerelease of BASE that no other run uses,
# such as v0.1.0-local.1765127000.4242.
tw_unique_version() {
	echo "$1-local.$(date +%s).$$"
}

# tw_purge_modcache VERSION removes the tree's modules at VERSION from the
# shared module cache.
tw_purge_modcache() {
	local cache ext dl
	cache=$(go env GOMODCACHE)
	ext="$cache/github.com/tinywindow"
	dl="$cache/cache/download/github.com/tinywindow"
	if [ -d "$ext" ]; then
		find "$ext" -maxdepth 4 -type d -name "*@$1" -prune \
			-exec sh -c 'chmod -R u+w "$@" && rm -rf "$@"' sh {} +
		find "$ext" -empty -delete
	fi
	if [ -d "$dl" ]; then
		find "$dl" -path "*/@v/$1.*" -exec rm -f {} +
		find "$dl" -path "*/@v/list" -exec sed -i "\#^$1\$#d" {} +
		find "$dl" -empty -delete
	fi
}
