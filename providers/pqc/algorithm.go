package pqc

import (
	"encoding/asn1"
	"fmt"
	"strings"
	"sync"

	"github.com/tinywindow/tinywindow/provider"
)

// DefaultAlgorithm is the algorithm of a key whose URI names none.
const DefaultAlgorithm = provider.MLDSA65

// MaxContextSize is the largest context string FIPS 204 and FIPS 205 allow.
const MaxContextSize = 255

// paramSet describes one parameter set: its name, its object identifier and
// the sizes of its encodings.
type paramSet struct {
	alg           provider.Algorithm
	oid           asn1.ObjectIdentifier
	seedSize      int
	publicKeySize int
	privKeySize   int
	signatureSize int

	prefixOnce sync.Once // fills prefix and prefixErr (see spkiPrefix)
	prefix     []byte
	prefixErr  error
}

// The NIST object identifiers, under 2.16.840.1.101.3.4.3 (sigAlgs), used in
// SubjectPublicKeyInfo with absent parameters (the IETF LAMPS X.509
// profiles of ML-DSA and SLH-DSA).
var (
	oidMLDSA44        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}
	oidMLDSA65        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	oidMLDSA87        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 19}
	oidSLHDSASHA2128s = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 20}
	oidSLHDSASHA2128f = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 21}
)

var paramSets = []*paramSet{
	{alg: provider.MLDSA44, oid: oidMLDSA44, seedSize: 32, publicKeySize: 1312, privKeySize: 2560, signatureSize: 2420},
	{alg: provider.MLDSA65, oid: oidMLDSA65, seedSize: 32, publicKeySize: 1952, privKeySize: 4032, signatureSize: 3309},
	{alg: provider.MLDSA87, oid: oidMLDSA87, seedSize: 32, publicKeySize: 2592, privKeySize: 4896, signatureSize: 4627},
	{alg: provider.SLHDSASHA2128s, oid: oidSLHDSASHA2128s, seedSize: 48, publicKeySize: 32, privKeySize: 64, signatureSize: 7856},
	{alg: provider.SLHDSASHA2128f, oid: oidSLHDSASHA2128f, seedSize: 48, publicKeySize: 32, privKeySize: 64, signatureSize: 17088},
}

// Algorithms returns the algorithms this backend offers.
func Algorithms() []provider.Algorithm {
	out := make([]provider.Algorithm, len(paramSets))
	for i, p := range paramSets {
		out[i] = p.alg
	}
	return out
}

func lookupParams(alg provider.Algorithm) (*paramSet, error) {
	for _, p := range paramSets {
		if p.alg == alg {
			return p, nil
		}
	}
	names := make([]string, len(paramSets))
	for i, p := range paramSets {
		names[i] = string(p.alg)
	}
	return nil, fmt.Errorf("%w: the pqc backend has no algorithm %q; use one of %s", provider.ErrUnsupported, alg, strings.Join(names, ", "))
}

func paramsByOID(oid asn1.ObjectIdentifier) (*paramSet, bool) {
	for _, p := range paramSets {
		if p.oid.Equal(oid) {
			return p, true
		}
	}
	return nil, false
}

// SeedSize returns the size in bytes of the seed of a key of algorithm alg:
// 32 for ML-DSA (FIPS 204's ξ), 3n = 48 for SLH-DSA-SHA2-128s/f (FIPS 205's
// SK.seed ‖ SK.prf ‖ PK.seed).
func SeedSize(alg provider.Algorithm) (int, error) {
	p, err := lookupParams(alg)
	if err != nil {
		return 0, err
	}
	return p.seedSize, nil
}

// SignatureSize returns the size in bytes of a signature of algorithm alg.
func SignatureSize(alg provider.Algorithm) (int, error) {
	p, err := lookupParams(alg)
	if err != nil {
		return 0, err
	}
	return p.signatureSize, nil
}
