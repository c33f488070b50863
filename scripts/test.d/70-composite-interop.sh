# 70-composite-interop.sh runs the composite ML-DSA interoperability tests
# against tink-go v2.9.0. They live in a module of their own
# (providers/composite/interop), which the workspace (go.work) does not use,
# so that tink-go never becomes a dependency of the library; a workspace of
# their own ties them to the root module of this tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/modproxy.sh
root=$PWD
version=$(tw_modproxy version)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/go.work" <<WORK
go 1.26.0

use (
	$root
	$root/providers/composite/interop
)

replace github.com/tinywindow/tinywindow $version => $root
WORK
export GOWORK="$work/go.work"
cd providers/composite/interop
go vet ./...
go test -race -count=1 ./...
