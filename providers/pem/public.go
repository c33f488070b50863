package pem

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"

	"github.com/tinywindow/tinywindow/internal/spki"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// MaxPublicKeyPEMSize bounds the size of a PEM public key accepted by
// [NewVerifier] and read from a pub-source.
const MaxPublicKeyPEMSize = pqc.MaxPublicKeyPEMSize

// The algorithm identifiers of the classical public keys (RFC 5480, RFC
// 8410, RFC 8017).
var (
	oidECPublicKey  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidEd25519      = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidRSA          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	classicalByName = []struct {
		oid  asn1.ObjectIdentifier
		name string
	}{{oidECPublicKey, "ECDSA"}, {oidEd25519, "Ed25519"}, {oidRSA, "RSA"}}
)

// NewVerifier returns a verify-only key for a public key given as one PEM
// "PUBLIC KEY" block (a SubjectPublicKeyInfo), read as internal/spki reads
// it: an Ed25519, ECDSA (P-256, P-384, P-521) or RSA (at least MinRSABits)
// key gives a *Key whose signatures stdverify judges; an ML-DSA or SLH-DSA
// key gives the pqc backend's verify-only *pqc.Key. alg is the algorithm the
// key must have; empty means the key's own (RSA-PSS-SHA256 for an RSA key,
// whose only other algorithm is RSA-PKCS1-SHA256). Signing with the key
// fails with an error matching provider.ErrUnsupported.
func NewVerifier(data []byte, alg provider.Algorithm) (provider.Key, error) {
	der, err := spki.DecodePEM(data, MaxPublicKeyPEMSize)
	if err != nil {
		return nil, err
	}
	info, err := spki.Parse(der)
	if err != nil {
		return nil, err
	}
	if pqc.Knows(info.Algorithm) {
		return pqc.NewVerifier(der, pqc.Options{Algorithm: alg})
	}
	pub, err := parseClassical(info, der)
	if err != nil {
		return nil, err
	}
	return newPublic(pub, alg)
}

// parseClassical parses the SubjectPublicKeyInfo der of a classical key,
// whose parsed form is info, and checks that this backend verifies it.
func parseClassical(info *spki.Info, der []byte) (crypto.PublicKey, error) {
	name := ""
	for _, c := range classicalByName {
		if info.Algorithm.Equal(c.oid) {
			name = c.name
		}
	}
	switch {
	case info.Algorithm.Equal(oidRSAPSS):
		return nil, fmt.Errorf("%w: an RSA-PSS-restricted public key (OID %v) is not supported; give the key as rsaEncryption (openssl genpkey -algorithm RSA makes one)", provider.ErrUnsupported, info.Algorithm)
	case name == "":
		return nil, fmt.Errorf("%w: public key algorithm %v is none that TinyWindow verifies from a pem public key (Ed25519, ECDSA P-256/P-384/P-521, RSA, ML-DSA, SLH-DSA); a composite key opens with composite:pub-source=", provider.ErrUnsupported, info.Algorithm)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		if name == "ECDSA" {
			return nil, fmt.Errorf("%w: ECDSA public key: the key is not a point on its named curve, or the curve is not named: %w", provider.ErrInvalidConfig, err)
		}
		return nil, fmt.Errorf("%w: the SubjectPublicKeyInfo names an %s key (OID %v) but holds no valid one (the OID and the key do not match, or the key is damaged): %w", provider.ErrInvalidConfig, name, info.Algorithm, err)
	}
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if curveAlgorithm(p) == "" {
			return nil, fmt.Errorf("%w: ECDSA public key on curve %s; this backend verifies on P-256, P-384 and P-521", provider.ErrUnsupported, p.Curve.Params().Name)
		}
	case *rsa.PublicKey:
		if n := p.N.BitLen(); n < MinRSABits {
			return nil, fmt.Errorf("%w: RSA public key of %d bits; at least %d are required", provider.ErrUnsupported, n, MinRSABits)
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("%w: a %T public key; this backend verifies Ed25519, ECDSA and RSA keys", provider.ErrUnsupported, pub)
	}
	return pub, nil
}

// curveAlgorithm names the ECDSA algorithm of a key's curve, or "" for a
// curve this backend does not use.
func curveAlgorithm(p *ecdsa.PublicKey) provider.Algorithm {
	for _, a := range []provider.Algorithm{provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512} {
		if p.Curve == stdverify.Curve(a) {
			return a
		}
	}
	return ""
}

// publicAlgorithm names the algorithm of a public key this backend verifies:
// the key's own, or RSA-PSS-SHA256 for an RSA key.
func publicAlgorithm(pub crypto.PublicKey) provider.Algorithm {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		return provider.Ed25519
	case *ecdsa.PublicKey:
		return curveAlgorithm(p)
	case *rsa.PublicKey:
		return provider.RSAPSSSHA256
	}
	return ""
}

// newPublic returns the verify-only Key of a checked public key.
func newPublic(pub crypto.PublicKey, alg provider.Algorithm) (*Key, error) {
	alg, err := chooseAlgorithm(publicAlgorithm(pub), alg)
	if err != nil {
		return nil, err
	}
	// The key's own encoding, as New makes it, so that the verify-only key
	// has the ID of the signing key.
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the public key: %w", provider.ErrInvalidConfig, err)
	}
	return &Key{
		info:   provider.KeyInfo{ID: provider.KeyIDFromPublic(der), Algorithm: alg, Backend: Scheme},
		hash:   alg.Hash(),
		pub:    pub,
		spki:   der,
		public: true,
	}, nil
}
