package pqc

import (
	"bytes"
	"encoding/asn1"
	"encoding/pem"
	"fmt"

	"github.com/tinywindow/tinywindow/internal/spki"
	"github.com/tinywindow/tinywindow/provider"
)

// MaxPublicKeyPEMSize bounds the size of a PEM public key accepted by
// ParsePublicKeyPEM and read from a pub-source.
const MaxPublicKeyPEMSize = 16 << 10

// MarshalPublicKey returns the DER SubjectPublicKeyInfo of a raw FIPS 204 /
// FIPS 205 public key of algorithm alg: the NIST algorithm identifier
// (id-ml-dsa-44/65/87 = 2.16.840.1.101.3.4.3.17/18/19, id-slh-dsa-sha2-128s/f
// = 2.16.840.1.101.3.4.3.20/21) with absent parameters, and the raw key as
// the BIT STRING.
func MarshalPublicKey(alg provider.Algorithm, raw []byte) ([]byte, error) {
	p, err := lookupParams(alg)
	if err != nil {
		return nil, err
	}
	if len(raw) != p.publicKeySize {
		return nil, fmt.Errorf("%w: %s public key is %d bytes, want %d", provider.ErrInvalidConfig, alg, len(raw), p.publicKeySize)
	}
	prefix, err := p.spkiPrefix()
	if err != nil {
		return nil, err
	}
	return append(append(make([]byte, 0, len(prefix)+len(raw)), prefix...), raw...), nil
}

// spkiPrefix returns the DER of a SubjectPublicKeyInfo of this parameter set
// up to the key bytes; every key of a set has the same one, so it is encoded
// once.
func (p *paramSet) spkiPrefix() ([]byte, error) {
	p.prefixOnce.Do(func() {
		raw := make([]byte, p.publicKeySize)
		der, err := spki.Marshal(p.oid, raw)
		if err != nil {
			p.prefixErr = fmt.Errorf("encoding a %s SubjectPublicKeyInfo: %w", p.alg, err)
			return
		}
		p.prefix = der[:len(der)-len(raw)]
	})
	return p.prefix, p.prefixErr
}

// ParsePublicKey parses a DER SubjectPublicKeyInfo holding a public key of
// one of this backend's algorithms and returns the algorithm and the raw key.
// It refuses what internal/spki refuses (trailing data, a BIT STRING with
// unused bits), algorithm parameters (which must be absent), another
// algorithm (an error matching ErrUnsupported), and a key of the wrong size.
func ParsePublicKey(der []byte) (provider.Algorithm, []byte, error) {
	info, err := spki.Parse(der)
	if err != nil {
		return "", nil, err
	}
	p, ok := paramsByOID(info.Algorithm)
	if !ok {
		return "", nil, fmt.Errorf("%w: public key is of algorithm %v, which the pqc backend does not offer (it takes ML-DSA-44/65/87 and SLH-DSA-SHA2-128s/f)",
			provider.ErrUnsupported, info.Algorithm)
	}
	if len(info.Parameters) != 0 {
		return "", nil, fmt.Errorf("%w: %s public key: the algorithm identifier has parameters; they must be absent", provider.ErrInvalidConfig, p.alg)
	}
	if n := len(info.PublicKey); n != p.publicKeySize {
		return "", nil, fmt.Errorf("%w: %s public key is %d bytes, want %d", provider.ErrInvalidConfig, p.alg, n, p.publicKeySize)
	}
	return p.alg, bytes.Clone(info.PublicKey), nil
}

// Knows reports whether oid is the algorithm identifier of one of this
// backend's algorithms.
func Knows(oid asn1.ObjectIdentifier) bool {
	_, ok := paramsByOID(oid)
	return ok
}

// ParsePublicKeyPEM parses one PEM "PUBLIC KEY" block, as PublicKeyPEM
// writes, of at most MaxPublicKeyPEMSize bytes, and returns the algorithm
// and the raw key (see ParsePublicKey).
func ParsePublicKeyPEM(data []byte) (provider.Algorithm, []byte, error) {
	der, err := spki.DecodePEM(data, MaxPublicKeyPEMSize)
	if err != nil {
		return "", nil, err
	}
	return ParsePublicKey(der)
}

func encodePublicKeyPEM(spki []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
}
