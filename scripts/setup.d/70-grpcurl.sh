# 70-grpcurl.sh: builds grpcurl, the gRPC command-line client the tests of
# `tinywindow serve` use to list and call the service through server
# reflection (without its proto files), into $TW_TOOLS/bin (if it is not
# there yet) and exports TW_GRPCURL with its path. Sourced by scripts/test.sh
# with set -euo pipefail; idempotent.
#
# The version is pinned here, and only here.
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
