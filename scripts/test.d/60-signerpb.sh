# 60-signerpb.sh checks that the committed Go code of api/signerpb is
# what go generate makes from signer.proto (generators from setup.d/60-protoc.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TW_TOOLS:=$PWD/.tools}"
export TW_TOOLS
go generate ./api/signerpb
if ! git diff --exit-code -- api/signerpb; then
	echo "api/signerpb is stale: run go generate ./api/signerpb and commit the result" >&2
	exit 1
fi
echo "api/signerpb is up to date"
