# 10-light-contract.sh checks that importing the contract stays light: a
# module that imports only provider and providers/hmac (outside the
# workspace, as a user's module would, taking the tree published into a
# file-based module proxy: scripts/modproxy.sh) has at most 10 modules in its
# graph, none of them a cloud SDK, gRPC or OpenTelemetry.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/modproxy.sh
version=$(tw_unique_version "$(tw_modproxy version)")
pub="$(mktemp -d)"
dir="$(mktemp -d)"
trap 'tw_purge_modcache "$version"; rm -rf "$dir" "$pub"' EXIT
tw_publish "$pub" "$version"
tw_proxy_env "$pub"
cat >"$dir/go.mod" <<MOD
module example.com/consumer

go 1.26.0

require github.com/tinywindow/tinywindow $version
MOD
cat >"$dir/main.go" <<'GO'
package main

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
)

func main() {
	key, err := provider.Open(context.Background(), "hmac:seed=42")
	if err != nil {
		panic(err)
	}
	defer key.Close()
	fmt.Println(key.Info().Algorithm)
}
GO
cd "$dir"
export GOFLAGS=-mod=mod
go mod tidy
go run . >/dev/null
mods="$(go list -m all)"
count="$(printf '%s\n' "$mods" | wc -l)"
printf '%s\n' "$mods"
if [ "$count" -gt 10 ]; then
	echo "importing provider and providers/hmac pulls in $count modules (at most 10 allowed)" >&2
	exit 1
fi
if printf '%s\n' "$mods" | grep -Ei 'aws|azure|grpc|opentelemetry|prometheus|protobuf|tessera|mysql'; then
	echo "importing provider and providers/hmac pulls in a heavy module (above)" >&2
	exit 1
fi
echo "consumer module graph: $count modules"
