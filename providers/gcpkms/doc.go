// Package gcpkms is TinyWindow's Google Cloud KMS backend, scheme "gcpkms". A
// key never leaves Cloud KMS: signing and MAC calls go to the service, while
// signatures of asymmetric keys are verified locally with the public key of
// the key version, fetched with GetPublicKey and cached.
//
// Key URIs name a CryptoKey and, optionally, one of its versions:
//
//	gcpkms:key=projects/P/locations/L/keyRings/R/cryptoKeys/K
//	gcpkms:key=projects/P/locations/L/keyRings/R/cryptoKeys/K;version=3
//	gcpkms:key=projects/P/locations/global/keyRings/R/cryptoKeys/K?endpoint=kms.example.internal:443&pubkey-ttl=10m
//
// Without version= the key's highest enabled version is used, resolved once
// when the key is opened and reported as KeyInfo.Version. Credentials are
// Google's Application Default Credentials; nothing secret stands in the
// URI. The algorithm comes from the version, never from the URI:
//
//	EC_SIGN_P256_SHA256, EC_SIGN_P384_SHA384     ECDSA-P256-SHA256, ECDSA-P384-SHA384 (digest signed)
//	RSA_SIGN_PSS_{2048,3072,4096}_SHA256         RSA-PSS-SHA256 (digest signed, 32-byte salt)
//	RSA_SIGN_PKCS1_{2048,3072,4096}_SHA256       RSA-PKCS1-SHA256 (digest signed)
//	EC_SIGN_ED25519                              Ed25519 (message signed, up to 64 KiB)
//	HMAC_SHA256                                  HMAC-SHA256 (MacSign and MacVerify, up to 64 KiB)
//	PQ_SIGN_ML_DSA_{44,65,87}                    ML-DSA-44/65/87 (message signed, up to 64 KiB)
//	PQ_SIGN_ML_DSA_{44,65,87}_EXTERNAL_MU        ML-DSA-44/65/87 (mu computed here and signed)
//
// Every request carries the CRC32C of what it sends, and every answer's
// checksums are checked, as Google documents for Cloud KMS clients. Errors
// are mapped onto the provider taxonomy and keep the gRPC status as their
// cause; Verify never reports an outage as an invalid signature.
package gcpkms
