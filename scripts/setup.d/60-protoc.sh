# 60-protoc.sh installs what regenerates api/signerpb from signer.proto:
# protoc (Debian protobuf-compiler) and the Go generators protoc-gen-go
# v1.36.12 and protoc-gen-go-grpc v1.6.2 into $TW_TOOLS/bin, outside go.mod.
# scripts/test.d/60-signerpb.sh then checks that the committed code is what
# they generate. Sourced by scripts/test.sh with set -euo pipefail; idempotent.

if ! command -v protoc >/dev/null 2>&1; then
	echo "installing protobuf-compiler"
	tw_sudo=""
	[ "$(id -u)" -eq 0 ] || tw_sudo="sudo"
	$tw_sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $tw_sudo apt-get install -y -qq --no-install-recommends protobuf-compiler
	unset tw_sudo
fi
if [ "$("$TW_TOOLS/bin/protoc-gen-go" --version 2>/dev/null)" != "protoc-gen-go v1.36.12" ]; then
	GOBIN="$TW_TOOLS/bin" go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
fi
if [ "$("$TW_TOOLS/bin/protoc-gen-go-grpc" --version 2>/dev/null)" != "protoc-gen-go-grpc 1.6.2" ]; then
	GOBIN="$TW_TOOLS/bin" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
fi
echo "$(protoc --version), $("$TW_TOOLS/bin/protoc-gen-go" --version), $("$TW_TOOLS/bin/protoc-gen-go-grpc" --version)"
