# 70-composite-interop.sh runs the composite ML-DSA interoperability tests
# against tink-go v2.9.0. They live in a module of their own
# (providers/composite/interop), which `go test ./...` at the root does not
# enter, so that tink-go never becomes a dependency of the library.
set -euo pipefail
cd "$(dirname "$0")/../../providers/composite/interop"
export GOWORK=off # its own module, replace-d onto the repository root
go vet ./...
go test -race -count=1 ./...
