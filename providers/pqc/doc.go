// Package pqc is TinyWindow's post-quantum signature backend, scheme "pqc":
// ML-DSA-44, ML-DSA-65 and ML-DSA-87 (FIPS 204, pure mode) and
// SLH-DSA-SHA2-128s and SLH-DSA-SHA2-128f (FIPS 205, pure mode), in pure Go
// on github.com/cloudflare/circl.
//
// A key is named by a URI:
//
//	pqc:alg=ML-DSA-65;seed-source=file:/etc/tw/seed      key from its seed (what keygen writes)
//	pqc:alg=ML-DSA-65;key-source=env:TW_MLDSA_SK         expanded private key, validated on load
//	pqc:pub-source=file:/etc/tw/orders.pub.pem            verify-only key from a PEM public key
//
// with the optional attributes mode=hedged (the default, FIPS 204's
// recommendation) or mode=deterministic, and ctx=STRING, a context string of
// at most 255 bytes bound into every signature and checked by every verify.
//
// An ML-DSA seed is FIPS 204's 32-byte ξ; an SLH-DSA seed is FIPS 205's
// SK.seed ‖ SK.prf ‖ PK.seed (48 bytes for the 128-bit parameter sets). Both
// are hex text in their source. Public keys are exported as PEM
// SubjectPublicKeyInfo with the NIST algorithm identifiers (see
// MarshalPublicKey). Signatures are the raw FIPS 204 / FIPS 205 encodings and
// interoperate with liboqs byte for byte.
package pqc
