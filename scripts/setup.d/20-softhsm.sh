# 20-softhsm.sh installs SoftHSM2 (Debian softhsm2) and a C compiler for the
# cgo PKCS#11 backend when they are missing, and exports TW_PKCS11_MODULE, the
# path of the SoftHSM2 module that providers/pkcs11's tests load. Each test run
# makes its own token in a temporary directory (SOFTHSM2_CONF).
# Sourced by scripts/test.sh with set -euo pipefail; idempotent.

tw_softhsm_missing=()
command -v softhsm2-util >/dev/null 2>&1 || tw_softhsm_missing+=(softhsm2)
command -v gcc >/dev/null 2>&1 || tw_softhsm_missing+=(gcc libc6-dev)
if [ "${#tw_softhsm_missing[@]}" -gt 0 ]; then
	echo "installing ${tw_softhsm_missing[*]}"
	tw_sudo=""
	[ "$(id -u)" -eq 0 ] || tw_sudo="sudo"
	$tw_sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $tw_sudo apt-get install -y -qq --no-install-recommends "${tw_softhsm_missing[@]}"
fi
unset tw_softhsm_missing tw_sudo

TW_PKCS11_MODULE=""
for tw_candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
	/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
	if [ -f "$tw_candidate" ]; then
		TW_PKCS11_MODULE="$tw_candidate"
		break
	fi
done
if [ -z "$TW_PKCS11_MODULE" ]; then
	TW_PKCS11_MODULE="$(dpkg -L libsofthsm2 softhsm2-common softhsm2 2>/dev/null | grep -m1 '/libsofthsm2\.so$' || true)"
fi
if [ -z "$TW_PKCS11_MODULE" ]; then
	echo "20-softhsm.sh: softhsm2 is installed but libsofthsm2.so was not found" >&2
	return 1
fi
unset tw_candidate
export TW_PKCS11_MODULE
echo "TW_PKCS11_MODULE=$TW_PKCS11_MODULE ($(softhsm2-util --version))"
