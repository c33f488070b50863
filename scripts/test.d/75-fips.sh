# 75-fips.sh runs the conformance suite of the backends that work in FIPS
# 140-3 mode (hmac, pqc's std engine, pkcs11, awskms) and the certificate and
# TLS tests of the command with Go 1.27 ($TW_GO127) in FIPS 140-3 mode:
# first with GODEBUG=fips140=on, then built against the frozen Go
# Cryptographic Module v1.26.0 (GOFIPS140=inprocess), the first with ML-DSA.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN="${TW_GO127:-go1.27.3}"
pkgs=(./providers/hmac ./providers/pqc ./providers/pkcs11 ./providers/awskms ./cmd/tinywindow)
run='Conformance|FIPS|TestCert|TestTLS|TestProviders'
echo "-- GODEBUG=fips140=on"
GODEBUG=fips140=on go test -count=1 -run "$run" "${pkgs[@]}"
echo "-- GOFIPS140=inprocess"
GOFIPS140=inprocess go test -count=1 -run "$run" "${pkgs[@]}"
