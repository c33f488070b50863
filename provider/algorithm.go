package provider

import (
	"crypto"
	"fmt"
	"strings"
)

// Algorithm names a signature or MAC algorithm. The names are fixed strings
// shared by all backends, so that a key's algorithm means the same thing
// whichever backend holds it.
type Algorithm string

// The algorithms known to TinyWindow.
const (
	HMACSHA256      Algorithm = "HMAC-SHA256"
	MLDSA44         Algorithm = "ML-DSA-44"
	MLDSA65         Algorithm = "ML-DSA-65"
	MLDSA87         Algorithm = "ML-DSA-87"
	SLHDSASHA2128s  Algorithm = "SLH-DSA-SHA2-128s"
	SLHDSASHA2128f  Algorithm = "SLH-DSA-SHA2-128f"
	ECDSAP256SHA256 Algorithm = "ECDSA-P256-SHA256"
	ECDSAP384SHA384 Algorithm = "ECDSA-P384-SHA384"
	ECDSAP521SHA512 Algorithm = "ECDSA-P521-SHA512"
	Ed25519         Algorithm = "Ed25519"
	RSAPSSSHA256    Algorithm = "RSA-PSS-SHA256"
	RSAPKCS1SHA256  Algorithm = "RSA-PKCS1-SHA256"
)

var knownAlgorithms = []Algorithm{
	HMACSHA256, MLDSA44, MLDSA65, MLDSA87, SLHDSASHA2128s, SLHDSASHA2128f,
	ECDSAP256SHA256, ECDSAP384SHA384, ECDSAP521SHA512, Ed25519, RSAPSSSHA256, RSAPKCS1SHA256,
}

// Algorithms returns every algorithm name known to TinyWindow.
func Algorithms() []Algorithm {
	return append([]Algorithm(nil), knownAlgorithms...)
}

// ParseAlgorithm returns the Algorithm named s, one of the fixed names in
// any case: "ml-dsa-65" is [MLDSA65]. The Algorithm returned is always
// spelled as the constant is.
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range knownAlgorithms {
		if strings.EqualFold(string(a), s) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: unknown algorithm %q; use one of %v", ErrUnsupported, s, knownAlgorithms)
}

// Symmetric reports whether a is a MAC, whose key both signs and verifies.
func (a Algorithm) Symmetric() bool { return a == HMACSHA256 }

// Hash returns the hash the algorithm applies to the message before it signs
// or MACs: SHA-256 for HMAC-SHA256, ECDSA-P256-SHA256, RSA-PSS-SHA256 and
// RSA-PKCS1-SHA256, SHA-384 for ECDSA-P384-SHA384, SHA-512 for
// ECDSA-P521-SHA512. It returns zero for the
// algorithms that take the message itself (Ed25519, ML-DSA, SLH-DSA, the
// composite algorithms, whose pre-hash is part of the composite scheme) and for
// names TinyWindow does not know.
//
// For RSA-PSS-SHA256 the hash is also MGF1's, and the salt is as long as the
// hash (32 bytes), as AWS KMS, Azure Key Vault and RFC 7518's PS256 specify.
func (a Algorithm) Hash() crypto.Hash {
	switch a {
	case HMACSHA256, ECDSAP256SHA256, RSAPSSSHA256, RSAPKCS1SHA256:
		return crypto.SHA256
	case ECDSAP384SHA384:
		return crypto.SHA384
	case ECDSAP521SHA512:
		return crypto.SHA512
	}
	return 0
}

// String returns the algorithm's name.
func (a Algorithm) String() string { return string(a) }

// The composite ML-DSA algorithms of draft-ietf-lamps-pq-composite-sigs-15
// (an ML-DSA signature and a classical signature made as one; see package
// providers/composite), named as in the draft without its "id-".
const (
	MLDSA44RSA2048PSSSHA256    Algorithm = "MLDSA44-RSA2048-PSS-SHA256"
	MLDSA44RSA2048PKCS15SHA256 Algorithm = "MLDSA44-RSA2048-PKCS15-SHA256"
	MLDSA44Ed25519SHA512       Algorithm = "MLDSA44-Ed25519-SHA512"
	MLDSA44ECDSAP256SHA256     Algorithm = "MLDSA44-ECDSA-P256-SHA256"
	MLDSA65RSA3072PSSSHA512    Algorithm = "MLDSA65-RSA3072-PSS-SHA512"
	MLDSA65RSA3072PKCS15SHA512 Algorithm = "MLDSA65-RSA3072-PKCS15-SHA512"
	MLDSA65ECDSAP256SHA512     Algorithm = "MLDSA65-ECDSA-P256-SHA512"
	MLDSA65ECDSAP384SHA512     Algorithm = "MLDSA65-ECDSA-P384-SHA512"
	MLDSA65Ed25519SHA512       Algorithm = "MLDSA65-Ed25519-SHA512"
	MLDSA87ECDSAP384SHA512     Algorithm = "MLDSA87-ECDSA-P384-SHA512"
	MLDSA87RSA3072PSSSHA512    Algorithm = "MLDSA87-RSA3072-PSS-SHA512"
)

func init() {
	knownAlgorithms = append(knownAlgorithms,
		MLDSA44RSA2048PSSSHA256, MLDSA44RSA2048PKCS15SHA256, MLDSA44Ed25519SHA512, MLDSA44ECDSAP256SHA256,
		MLDSA65RSA3072PSSSHA512, MLDSA65RSA3072PKCS15SHA512, MLDSA65ECDSAP256SHA512, MLDSA65ECDSAP384SHA512,
		MLDSA65Ed25519SHA512, MLDSA87ECDSAP384SHA512, MLDSA87RSA3072PSSSHA512)
}
