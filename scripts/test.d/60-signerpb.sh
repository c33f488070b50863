# 60-signerpb.sh checks that the committed Go code of service/signerpb is
# what go generate makes from signer.proto (generators from setup.d/60-protoc.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TW_TOOLS:=$PWD/.tools}"
export TW_TOOLS
go generate ./service/signerpb
if ! git diff --exit-code -- service/signerpb; then
	echo "service/signerpb is stale: run go generate ./service/signerpb and commit the result" >&2
	exit 1
fi
echo "service/signerpb is up to date"
