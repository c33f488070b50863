#!/bin/sh
# gen.sh regenerates the Go code from signer.proto; go generate runs it.
# The generators are looked for in $TW_TOOLS/bin (default: the repository's
# .tools/bin), then on PATH.
set -eu
root=$(cd ../.. && pwd)
PATH="${TW_TOOLS:-$root/.tools}/bin:$PATH"
export PATH
protoc --go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative signer.proto
