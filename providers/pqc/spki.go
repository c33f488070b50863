package pqc

import (
	"bytes"
	"encoding/asn1"
	"encoding/pem"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// MaxPublicKeyPEMSize bounds the size of a PEM public key accepted by
// ParsePublicKeyPEM and read from a pub-source.
const MaxPublicKeyPEMSize = 16 << 10

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

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
		der, err := asn1.Marshal(subjectPublicKeyInfo{
			Algorithm: algorithmIdentifier{Algorithm: p.oid},
			PublicKey: asn1.BitString{Bytes: raw, BitLength: 8 * len(raw)},
		})
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
// It refuses trailing data, algorithm parameters (which must be absent), a
// BIT STRING with unused bits, another algorithm, and a key of the wrong size.
func ParsePublicKey(der []byte) (provider.Algorithm, []byte, error) {
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &spki)
	if err != nil {
		return "", nil, fmt.Errorf("%w: public key is not a DER SubjectPublicKeyInfo: %w", provider.ErrInvalidConfig, err)
	}
	if len(rest) != 0 {
		return "", nil, fmt.Errorf("%w: public key has %d bytes of trailing data after its SubjectPublicKeyInfo", provider.ErrInvalidConfig, len(rest))
	}
	p, ok := paramsByOID(spki.Algorithm.Algorithm)
	if !ok {
		return "", nil, fmt.Errorf("%w: public key is of algorithm %v, which the pqc backend does not offer (it takes ML-DSA-44/65/87 and SLH-DSA-SHA2-128s/f)",
			provider.ErrUnsupported, spki.Algorithm.Algorithm)
	}
	if len(spki.Algorithm.Parameters.FullBytes) != 0 {
		return "", nil, fmt.Errorf("%w: %s public key: the algorithm identifier has parameters; they must be absent", provider.ErrInvalidConfig, p.alg)
	}
	if spki.PublicKey.BitLength != 8*len(spki.PublicKey.Bytes) {
		return "", nil, fmt.Errorf("%w: %s public key: the BIT STRING does not hold whole bytes", provider.ErrInvalidConfig, p.alg)
	}
	if n := len(spki.PublicKey.Bytes); n != p.publicKeySize {
		return "", nil, fmt.Errorf("%w: %s public key is %d bytes, want %d", provider.ErrInvalidConfig, p.alg, n, p.publicKeySize)
	}
	return p.alg, bytes.Clone(spki.PublicKey.Bytes), nil
}

// ParsePublicKeyPEM parses one PEM "PUBLIC KEY" block, as PublicKeyPEM
// writes, and returns the algorithm and the raw key (see ParsePublicKey).
func ParsePublicKeyPEM(data []byte) (provider.Algorithm, []byte, error) {
	if len(data) > MaxPublicKeyPEMSize {
		return "", nil, fmt.Errorf("%w: PEM public key is %d bytes, more than the %d-byte limit", provider.ErrInvalidConfig, len(data), MaxPublicKeyPEMSize)
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return "", nil, fmt.Errorf("%w: no PEM block found; a public key is a PEM \"PUBLIC KEY\" block, as `tinywindow pubkey` writes", provider.ErrInvalidConfig)
	}
	if block.Type != "PUBLIC KEY" {
		return "", nil, fmt.Errorf("%w: PEM block is %q; want \"PUBLIC KEY\" (a SubjectPublicKeyInfo)", provider.ErrInvalidConfig, block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return "", nil, fmt.Errorf("%w: data after the PEM \"PUBLIC KEY\" block; give one public key", provider.ErrInvalidConfig)
	}
	return ParsePublicKey(block.Bytes)
}

func encodePublicKeyPEM(spki []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})
}
