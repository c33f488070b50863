# 40-local-kms.sh: builds local-kms, the AWS KMS emulator the awskms backend's
# tests run against, into $TW_TOOLS/bin (if it is not there yet) and exports
# TW_LOCAL_KMS with its path. Sourced by scripts/test.sh with set -euo pipefail.
#
# The version is pinned here, and only here.
TW_LOCAL_KMS_MODULE="github.com/nsmithuk/local-kms@v0.0.0-20260228092603-2a5e92d09ab6"

: "${TW_TOOLS:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools}"
mkdir -p "$TW_TOOLS/bin"
tw_local_kms_bin="$TW_TOOLS/bin/local-kms"
tw_local_kms_stamp="$TW_TOOLS/bin/local-kms.version"
if [ ! -x "$tw_local_kms_bin" ] || [ "$(cat "$tw_local_kms_stamp" 2>/dev/null)" != "$TW_LOCAL_KMS_MODULE" ]; then
	echo "building $TW_LOCAL_KMS_MODULE into $TW_TOOLS/bin"
	# Built outside the repository's module, so its dependencies do not touch go.mod.
	(cd "$TW_TOOLS" && GOFLAGS=-buildvcs=false GOBIN="$TW_TOOLS/bin" go install "$TW_LOCAL_KMS_MODULE")
	echo "$TW_LOCAL_KMS_MODULE" >"$tw_local_kms_stamp"
fi
export TW_LOCAL_KMS="$tw_local_kms_bin"
echo "local-kms: $TW_LOCAL_KMS ($TW_LOCAL_KMS_MODULE)"
unset tw_local_kms_bin tw_local_kms_stamp
