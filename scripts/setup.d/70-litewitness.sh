# 70-litewitness.sh: builds litewitness and witnessctl (filippo.io/torchwood),
# a real C2SP tlog-witness the audit log's witness tests run against, into
# $TW_TOOLS/bin (if they are not there yet), installs ssh-agent (Debian
# openssh-client, which holds the witness's key) when missing, and exports
# TW_LITEWITNESS and TW_WITNESSCTL with their paths. Each test starts its own
# litewitness on a free loopback port with a temporary database.
# Sourced by scripts/test.sh with set -euo pipefail; idempotent.
#
# The version is pinned here, and only here.
TW_TORCHWOOD_VERSION="v0.6.1"

if ! command -v ssh-agent >/dev/null 2>&1 || ! command -v ssh-add >/dev/null 2>&1; then
	echo "installing openssh-client"
	tw_sudo=""
	[ "$(id -u)" -eq 0 ] || tw_sudo="sudo"
	$tw_sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $tw_sudo apt-get install -y -qq --no-install-recommends openssh-client
	unset tw_sudo
fi

: "${TW_TOOLS:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools}"
mkdir -p "$TW_TOOLS/bin"
tw_lw_stamp="$TW_TOOLS/bin/litewitness.version"
if [ ! -x "$TW_TOOLS/bin/litewitness" ] || [ ! -x "$TW_TOOLS/bin/witnessctl" ] ||
	[ "$(cat "$tw_lw_stamp" 2>/dev/null)" != "$TW_TORCHWOOD_VERSION" ]; then
	echo "building litewitness and witnessctl (filippo.io/torchwood@$TW_TORCHWOOD_VERSION) into $TW_TOOLS/bin"
	# Built outside the repository's module, so its dependencies do not touch go.mod.
	(cd "$TW_TOOLS" && GOFLAGS=-buildvcs=false GOBIN="$TW_TOOLS/bin" go install \
		"filippo.io/torchwood/cmd/litewitness@$TW_TORCHWOOD_VERSION" \
		"filippo.io/torchwood/cmd/witnessctl@$TW_TORCHWOOD_VERSION")
	echo "$TW_TORCHWOOD_VERSION" >"$tw_lw_stamp"
fi
export TW_LITEWITNESS="$TW_TOOLS/bin/litewitness"
export TW_WITNESSCTL="$TW_TOOLS/bin/witnessctl"
echo "litewitness: $TW_LITEWITNESS (torchwood $TW_TORCHWOOD_VERSION)"
unset tw_lw_stamp
