// Package pqc is TinyWindow's post-quantum signature backend, scheme "pqc":
// ML-DSA-44, ML-DSA-65 and ML-DSA-87 (FIPS 204, pure mode) and
// SLH-DSA-SHA2-128s and SLH-DSA-SHA2-128f (FIPS 205, pure mode), in pure Go
// on one of two engines: github.com/cloudflare/circl (engine=circl, every
// parameter set, the default) or, built with Go 1.27 or later, the standard
// library's crypto/mldsa (engine=std, ML-DSA only, inside the FIPS 140-3 Go
// Cryptographic Module). In FIPS 140-3 mode std is the default, and SLH-DSA
// and engine=circl are refused. Both engines derive the same keys from a seed
// and make the same deterministic signatures.
//
// A key is named by a URI:
//
//	pqc:alg=ML-DSA-65;seed-source=file:/etc/tw/seed      key from its seed (what keygen writes)
//	pqc:alg=ML-DSA-65;key-source=env:TW_MLDSA_SK         expanded private key, validated on load
//	pqc:pub-source=file:/etc/tw/orders.pub.pem            verify-only key from a PEM public key
//
// with the optional attributes mode=hedged (the default, FIPS 204's
// recommendation) or mode=deterministic, ctx=STRING, a context string of at
// most 255 bytes bound into every signature and checked by every verify, and
// engine=circl|std.
//
// An ML-DSA seed is FIPS 204's 32-byte ξ; an SLH-DSA seed is FIPS 205's
// SK.seed ‖ SK.prf ‖ PK.seed (48 bytes for the 128-bit parameter sets). Both
// are hex text in their source. Public keys are exported as PEM
// SubjectPublicKeyInfo with the NIST algorithm identifiers (see
// MarshalPublicKey). Signatures are the raw FIPS 204 / FIPS 205 encodings and
// interoperate with liboqs byte for byte.
package pqc
