# 70-service-tools.sh installs what the tests of `tinywindow serve` drive it
# with, and exports their paths:
#   - grpcurl, a gRPC command-line client, which lists and calls the service
#     through server reflection: built into $TW_TOOLS/bin (TW_GRPCURL);
#   - dnsmasq (Debian dnsmasq-base), a DNS server that puts a fleet of
#     services behind one name on loopback (TW_DNSMASQ).
# Sourced by scripts/test.sh with set -euo pipefail; idempotent.
#
# The grpcurl version is pinned here, and only here.
TW_GRPCURL_MODULE="github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4"

: "${TW_TOOLS:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools}"
mkdir -p "$TW_TOOLS/bin"
tw_grpcurl_bin="$TW_TOOLS/bin/grpcurl"
tw_grpcurl_stamp="$TW_TOOLS/bin/grpcurl.version"
if [ ! -x "$tw_grpcurl_bin" ] || [ "$(cat "$tw_grpcurl_stamp" 2>/dev/null)" != "$TW_GRPCURL_MODULE" ]; then
	echo "building $TW_GRPCURL_MODULE into $TW_TOOLS/bin"
	# Built outside the repository's modules (GOWORK=off), so its
	# dependencies touch neither go.mod nor go.work.
	(cd "$TW_TOOLS" && GOWORK=off GOFLAGS=-buildvcs=false GOBIN="$TW_TOOLS/bin" go install "$TW_GRPCURL_MODULE")
	echo "$TW_GRPCURL_MODULE" >"$tw_grpcurl_stamp"
fi
export TW_GRPCURL="$tw_grpcurl_bin"
echo "grpcurl: $TW_GRPCURL ($TW_GRPCURL_MODULE)"
unset tw_grpcurl_bin tw_grpcurl_stamp

if [ ! -x /usr/sbin/dnsmasq ]; then
	echo "installing dnsmasq-base"
	tw_sudo=""
	[ "$(id -u)" -eq 0 ] || tw_sudo="sudo"
	$tw_sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $tw_sudo apt-get install -y -qq --no-install-recommends dnsmasq-base
	unset tw_sudo
fi
export TW_DNSMASQ=/usr/sbin/dnsmasq
echo "dnsmasq: $("$TW_DNSMASQ" --version | head -n 1)"
