// Package vaulttransit is TinyWindow's HashiCorp Vault Transit backend,
// scheme "vault". A key never leaves Vault: signing and HMAC calls go to the
// Transit secrets engine, while signatures of asymmetric keys are verified
// locally with the public key of the key version, read from Vault and
// cached, or by Vault with verify=remote.
//
// Key URIs name the server, the mount and the key:
//
//	vault:addr=https://vault.example.com:8200;mount=transit;key=orders
//	vault:addr=https://vault.example.com:8200;key=orders;version=2?token=file:/run/secrets/vault-token
//	vault:addr=https://vault.example.com:8200;namespace=trading/;key=orders?verify=remote
//
// The token comes from a secret source, token=env:NAME or token=file:PATH,
// or from VAULT_TOKEN; it never stands in the URI. The algorithm comes from
// the key's type, never from the URI:
//
//	ecdsa-p256, ecdsa-p384        ECDSA-P256-SHA256, ECDSA-P384-SHA384 (digest signed, ASN.1 DER)
//	ed25519                       Ed25519
//	rsa-2048, rsa-3072, rsa-4096  RSA-PSS-SHA256 (salt as long as the hash), or with
//	                              signature-algorithm=pkcs1v15 RSA-PKCS1-SHA256
//	hmac                          HMAC-SHA256 (the hmac and verify endpoints)
//
// Signatures are the bare signature bytes, comparable with every other
// backend's: the "vault:vN:" prefix and base64 of Vault's answer are
// removed on signing and put back, with the handle's version, for
// verify=remote. A handle signs with one key version (the latest when
// opened, or version=N), and KeyInfo.Version is its number; after a
// rotation a handle opened with version=N keeps verifying that version's
// signatures.
package vaulttransit
