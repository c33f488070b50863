# 80-release.sh tries a release the way a user meets it. scripts/release.sh
# publishes every module of the tree at a test version into a file-based
# module proxy (and builds each alone against the others from it); then,
# outside the tree and outside the workspace, a consumer module with no
# replace line go-gets providers/hmac, providers/remote and providers/pkcs11
# at that version and signs with hmac:seed=42, and go install builds the CLI
# at that version, which must sign the same bytes alike and report the
# version. It also checks that a program using remote: keys links no
# Prometheus and no OpenTelemetry, that its module graph holds neither the
# service module nor Prometheus nor an OpenTelemetry exporter, and prints its
# module count (README, Modules).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/modproxy.sh
start=$(date +%s)
# A version used once (such as v0.1.0-local.1765127000.4242), so that the
# shared module cache, which the go command takes as immutable, can serve the
# builds and lose it afterwards.
version=$(tw_unique_version "$(tw_modproxy version)")
tmp=$(mktemp -d)
trap 'tw_purge_modcache "$version"; rm -rf "$tmp"' EXIT

bash scripts/release.sh --shared-modcache --proxy "$tmp/pub/proxy" "$version"

mkdir -p "$tmp/consumer" "$tmp/bin"
cd "$tmp/consumer"
cat >go.mod <<'MOD'
module example.com/consumer

go 1.26.0
MOD
cat >main.go <<'GO'
// Command consumer signs standard input with the key URI in its argument.
package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	_ "github.com/tinywindow/tinywindow/providers/pkcs11"
	_ "github.com/tinywindow/tinywindow/providers/remote"
)

func main() {
	ctx := context.Background()
	key, err := provider.Open(ctx, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer key.Close()
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sig, err := key.Sign(ctx, msg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(hex.EncodeToString(sig))
}
GO
tw_proxy_env "$tmp/pub"
go get "github.com/tinywindow/tinywindow/providers/hmac@$version" \
	"github.com/tinywindow/tinywindow/providers/remote@$version" \
	"github.com/tinywindow/tinywindow/providers/pkcs11@$version"
if grep -n replace go.mod; then
	echo "the consumer's go.mod has a replace line" >&2
	exit 1
fi
go build -o "$tmp/bin/consumer" .
got=$(printf 'order 1' | "$tmp/bin/consumer" hmac:seed=42)

linked=$(go version -m "$tmp/bin/consumer")
if grep -Ei 'prometheus|opentelemetry|tinywindow/service|tinywindow/telemetry|tinywindow/trail|tessera' <<<"$linked"; then
	echo "a program using remote: keys links the modules above" >&2
	exit 1
fi
graph=$(go list -m all)
if grep -E 'tinywindow/(service|telemetry|trail)|transparency-dev/tessera|prometheus|otel/exporters' <<<"$graph"; then
	echo "the module graph of a program using remote: keys holds the server's modules (above)" >&2
	exit 1
fi
echo "a consumer of providers/remote: $(wc -l <<<"$graph") modules in go list -m all, $(grep -c $'^\tdep' <<<"$linked") linked"

GOBIN="$tmp/bin" go install "github.com/tinywindow/tinywindow/cmd/tinywindow@$version"
want=$(printf 'order 1' | "$tmp/bin/tinywindow" sign --signer hmac:seed=42)
if [ "$got" != "$want" ]; then
	echo "the consumer signed $got, tinywindow sign $want" >&2
	exit 1
fi
if ! "$tmp/bin/tinywindow" version | grep -F "$version"; then
	echo "tinywindow version does not report $version:" >&2
	"$tmp/bin/tinywindow" version >&2
	exit 1
fi
echo "release $version: go get and go install through the module proxy in $(($(date +%s) - start))s"
