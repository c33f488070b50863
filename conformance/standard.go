package conformance

import (
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// Basis says what a check holds the key to: the contract every backend
// keeps, the standard of the key's algorithm, or a set of known answers.
type Basis int

const (
	// BasisContract: the provider.Key contract (the provider package's
	// documentation), the same for every algorithm.
	BasisContract Basis = iota
	// BasisAlgorithm: the standard that defines the key's algorithm
	// (see AlgorithmStandard).
	BasisAlgorithm
	// BasisKnownAnswers: published vectors, named in the check's result.
	BasisKnownAnswers
	// BasisSPKI: the public key's encoding, a SubjectPublicKeyInfo
	// (RFC 5280) in PEM (RFC 7468).
	BasisSPKI
)

// contractStandard names the contract of BasisContract checks.
const contractStandard = "TinyWindow provider.Key contract"

// AlgorithmStandard names the standard that defines alg's signatures, as a
// report gives it beside each check that holds the key to it: FIPS 204 for
// ML-DSA, FIPS 205 for SLH-DSA, RFC 8032 for Ed25519, FIPS 186-5 and SEC 1
// for ECDSA, RFC 8017 for RSA, RFC 2104 and FIPS 198-1 for HMAC, the IETF
// LAMPS composite draft for composite ML-DSA.
func AlgorithmStandard(alg provider.Algorithm) string {
	s := string(alg)
	switch {
	case alg == provider.HMACSHA256:
		return "RFC 2104, FIPS 198-1 (HMAC with SHA-256)"
	case alg == provider.Ed25519:
		return "RFC 8032 (Ed25519)"
	case strings.HasPrefix(s, "ECDSA-"):
		return "FIPS 186-5, SEC 1 v2 (ECDSA); DER signature, RFC 3279"
	case alg == provider.RSAPSSSHA256:
		return "RFC 8017 (RSASSA-PSS, MGF1 with SHA-256, 32-byte salt)"
	case alg == provider.RSAPKCS1SHA256:
		return "RFC 8017 (RSASSA-PKCS1-v1_5)"
	case strings.HasPrefix(s, "ML-DSA-"):
		return "FIPS 204 (ML-DSA)"
	case strings.HasPrefix(s, "SLH-DSA-"):
		return "FIPS 205 (SLH-DSA)"
	case strings.HasPrefix(s, "MLDSA"):
		return "draft-ietf-lamps-pq-composite-sigs (composite ML-DSA); FIPS 204"
	}
	return "unknown: no standard is recorded for " + s
}

// standard names what the check c holds a key of algorithm alg to.
func (c Check) standard(alg provider.Algorithm) string {
	switch c.Basis {
	case BasisAlgorithm:
		return AlgorithmStandard(alg)
	case BasisKnownAnswers:
		return knownAnswerSet(c.Name, alg)
	case BasisSPKI:
		return "RFC 5280 SubjectPublicKeyInfo, RFC 7468 PEM"
	}
	return contractStandard
}
