# 30-node-liboqs.sh installs what the pqc backend's interoperability tests
# need: Node.js and npm (from Debian when missing) and the npm package
# @oqs/liboqs-js pinned in providers/pqc/testdata/liboqs/package-lock.json
# (npm ci). It is sourced by scripts/test.sh with set -euo pipefail, is quick
# when everything is there, and exports TW_LIBOQS_DIR for the tests.

tw_liboqs_dir="${TW_ROOT:-$PWD}/providers/pqc/testdata/liboqs"
tw_liboqs_version="0.15.1"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "installing Node.js and npm from Debian"
	apt-get update -qq
	missing=()
	command -v node >/dev/null || missing+=(nodejs)
	command -v npm >/dev/null || missing+=(npm)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

tw_installed_version() {
	local pkg="$tw_liboqs_dir/node_modules/@oqs/liboqs-js/package.json"
	[ -f "$pkg" ] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$pkg" 2>/dev/null || true
}

if [ "$(tw_installed_version)" != "$tw_liboqs_version" ]; then
	echo "npm ci in $tw_liboqs_dir (@oqs/liboqs-js $tw_liboqs_version)"
	(cd "$tw_liboqs_dir" && npm ci --no-audit --no-fund --loglevel=error)
	if [ "$(tw_installed_version)" != "$tw_liboqs_version" ]; then
		echo "30-node-liboqs.sh: npm ci did not install @oqs/liboqs-js $tw_liboqs_version" >&2
		return 1
	fi
fi
echo "node $(node --version), @oqs/liboqs-js $(tw_installed_version)"

export TW_LIBOQS_DIR="$tw_liboqs_dir"
unset -f tw_installed_version
unset tw_liboqs_dir tw_liboqs_version
