# 25-interop-tools.sh installs the outside tools that the interoperability
# tests run against TinyWindow when they are missing: openssl (makes and
# verifies PEM keys and signatures), ssh-keygen from openssh-client (makes
# OpenSSH keys) and p11tool from gnutls-bin (prints the RFC 7512 URIs of a
# SoftHSM2 token's keys).
# Sourced by scripts/test.sh with set -euo pipefail; idempotent.

tw_interop_missing=()
command -v openssl >/dev/null 2>&1 || tw_interop_missing+=(openssl)
command -v ssh-keygen >/dev/null 2>&1 || tw_interop_missing+=(openssh-client)
command -v p11tool >/dev/null 2>&1 || tw_interop_missing+=(gnutls-bin)
if [ "${#tw_interop_missing[@]}" -gt 0 ]; then
	echo "installing ${tw_interop_missing[*]}"
	tw_sudo=""
	[ "$(id -u)" -eq 0 ] || tw_sudo="sudo"
	$tw_sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $tw_sudo apt-get install -y -qq --no-install-recommends "${tw_interop_missing[@]}"
fi
unset tw_interop_missing tw_sudo
echo "$(openssl version); $(ssh -V 2>&1); $(p11tool --version | head -1)"
