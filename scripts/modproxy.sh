# modproxy.sh holds the shell helpers that scripts/tidy.sh, scripts/release.sh
# and scripts/test.d/80-release.sh share for trying the tree's modules as
# published versions through a file-based module proxy (scripts/modproxy).
# Source it from the repository root.

# tw_modproxy runs scripts/modproxy outside the workspace (go.work names the
# version the tree is at, which it may be about to change).
tw_modproxy() {
	GOWORK=off go run ./scripts/modproxy "$@"
}

# tw_publish DIR VERSION copies the files git tracks, as they are in the work
# tree, into DIR/src, sets every sibling requirement there to VERSION, and
# publishes every released module at VERSION into the proxy DIR/proxy.
tw_publish() {
	local dir=$1 version=$2
	mkdir -p "$dir/src" "$dir/proxy"
	git ls-files -z | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$dir/src"
	tw_modproxy set-version -root "$dir/src" -version "$version"
	tw_modproxy publish -root "$dir/src" -version "$version" -dir "$dir/proxy"
}

# tw_proxy_env DIR exports what makes the go command take the tree's modules
# from the proxy DIR/proxy and everything else from the usual proxy, without
# asking the checksum database about modules it has never seen. GOPRIVATE is
# left alone: it would send the tree's modules past the proxy.
tw_proxy_env() {
	export GOWORK=off
	export GOPROXY="file://$1/proxy,$(go env GOPROXY)"
	export GONOSUMDB=github.com/tinywindow/tinywindow
}

# tw_purge_modcache removes the tree's modules from the module cache, so that
# a version published from a work tree never stands in for another one (or
# for the real release) later. Call it before and after publishing.
tw_purge_modcache() {
	local cache
	cache=$(go env GOMODCACHE)
	for d in "$cache/github.com/tinywindow" "$cache/cache/download/github.com/tinywindow"; do
		if [ -e "$d" ]; then
			chmod -R u+w "$d"
			rm -rf "$d"
		fi
	done
}
