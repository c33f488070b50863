package provider

import "fmt"

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

// ParseAlgorithm returns the Algorithm named s, which must match one of the
// fixed names exactly.
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range knownAlgorithms {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: unknown algorithm %q; use one of %v", ErrUnsupported, s, knownAlgorithms)
}

// Symmetric reports whether a is a MAC, whose key both signs and verifies.
func (a Algorithm) Symmetric() bool { return a == HMACSHA256 }

// String returns the algorithm's name.
func (a Algorithm) String() string { return string(a) }
