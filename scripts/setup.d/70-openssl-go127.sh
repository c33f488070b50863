# 70-openssl-go127.sh installs OpenSSL (Debian openssl), whose command line
# checks the certificates that tinywindow cert and csr make, and fetches the
# Go 1.27 toolchain that scripts/test.d/70-go127.sh and 75-fips.sh test with
# (GOTOOLCHAIN downloads it through the Go module proxy into the module
# cache). It exports TW_GO127, the toolchain's name.
# Sourced by scripts/test.sh with set -euo pipefail; idempotent.
#
# The Go 1.27 version is pinned here, and only here.
export TW_GO127="go1.27.3"

if ! command -v openssl >/dev/null 2>&1; then
	echo "installing openssl"
	tw_sudo=""
	[ "$(id -u)" -eq 0 ] || tw_sudo="sudo"
	$tw_sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $tw_sudo apt-get install -y -qq --no-install-recommends openssl
	unset tw_sudo
fi
echo "openssl: $(openssl version)"
echo "Go 1.27 toolchain: $(GOTOOLCHAIN="$TW_GO127" go version)"
