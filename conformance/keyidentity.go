package conformance

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"

	"github.com/tinywindow/tinywindow/internal/spki"
	"github.com/tinywindow/tinywindow/provider"
)

// maxPublicKeyPEM bounds the PEM public key a key under test may export; the
// largest the suite knows (SLH-DSA, RSA-16384) are far below it.
const maxPublicKeyPEM = 64 << 10

// publicKeySPKI returns the DER SubjectPublicKeyInfo of k's public key: the
// key's own PEM where it exports one (provider.PublicKeyPEMer), else
// x509.MarshalPKIXPublicKey of provider.PublicKeyer's value. ok is false
// for a key with no public key (a MAC).
func publicKeySPKI(k provider.Signer) (der []byte, ok bool, err error) {
	if p, isP := k.(provider.PublicKeyPEMer); isP {
		data, err := p.PublicKeyPEM()
		if err != nil {
			return nil, true, fmt.Errorf("exporting the public key as PEM: %w", err)
		}
		der, err := spki.DecodePEM(data, maxPublicKeyPEM)
		if err != nil {
			return nil, true, fmt.Errorf("reading the public key's PEM: %w", err)
		}
		return der, true, nil
	}
	if p, isP := k.(provider.PublicKeyer); isP {
		der, err := x509.MarshalPKIXPublicKey(p.Public())
		if err != nil {
			return nil, true, fmt.Errorf("encoding the %T public key as a SubjectPublicKeyInfo: %w", p.Public(), err)
		}
		return der, true, nil
	}
	return nil, false, nil
}

// setPublicKey records k's public key in the report: its PEM and the
// SHA-256 of its DER SubjectPublicKeyInfo, in lowercase hex. It returns the
// public key parsed by crypto/x509 where that knows the algorithm (nil for
// ML-DSA and SLH-DSA), for the findings.
func (r *Report) setPublicKey(k provider.Signer) crypto.PublicKey {
	der, ok, err := publicKeySPKI(k)
	if !ok {
		return nil
	}
	if err != nil {
		r.PublicKeyError = err.Error()
		return nil
	}
	sum := sha256.Sum256(der)
	r.PublicKeySHA256 = hex.EncodeToString(sum[:])
	r.PublicKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: spki.PEMType, Bytes: der}))
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil
	}
	return pub
}
