# 70-go127.sh runs the test suite a second time with the Go 1.27 toolchain
# ($TW_GO127, from setup.d/70-openssl-go127.sh): go vet, then every test
# with the race detector. Built with Go 1.27, the //go:build go1.27 files
# replace their Go 1.26 counterparts: the pqc std engine (crypto/mldsa),
# ML-DSA public keys as *mldsa.PublicKey, ML-DSA certificates and TLS.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN="${TW_GO127:-go1.27.3}"
go version
go vet ./...
go test -race -count=1 -timeout 20m ./...
