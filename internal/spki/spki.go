// Package spki is TinyWindow's one reader of public keys: a PEM "PUBLIC
// KEY" block holding a DER SubjectPublicKeyInfo (RFC 5280, section
// 4.1.2.7). The pem, pqc and composite backends all frame their public keys
// with it, so that one file gets one verdict whichever backend reads it;
// each backend then reads the key bytes of the algorithms it knows.
//
// The reading is strict:
//
//   - the text holds exactly one PEM block, of type "PUBLIC KEY", with
//     nothing but white space before or after it, and is at most a given
//     size;
//   - a private key, a certificate, a PKCS#1 "RSA PUBLIC KEY" or any other
//     block is refused with a message that says what it is and how to get
//     the public key out of it;
//   - the DER is one SubjectPublicKeyInfo with nothing after it, whose BIT
//     STRING holds whole bytes.
package spki

import (
	"bytes"
	"encoding/asn1"
	"encoding/pem"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// PEMType is the type of the PEM block of a public key.
const PEMType = "PUBLIC KEY"

// Info is a parsed SubjectPublicKeyInfo.
type Info struct {
	// Algorithm is the OID of the algorithm identifier.
	Algorithm asn1.ObjectIdentifier
	// Parameters is the DER of the algorithm identifier's parameters, empty
	// when they are absent.
	Parameters []byte
	// PublicKey is the content of the subjectPublicKey BIT STRING.
	PublicKey []byte
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

// Marshal returns the DER SubjectPublicKeyInfo of a key of algorithm oid,
// with absent parameters and key as the BIT STRING.
func Marshal(oid asn1.ObjectIdentifier, key []byte) ([]byte, error) {
	return asn1.Marshal(subjectPublicKeyInfo{
		Algorithm: algorithmIdentifier{Algorithm: oid},
		PublicKey: asn1.BitString{Bytes: key, BitLength: 8 * len(key)},
	})
}

// Parse parses der as one SubjectPublicKeyInfo. It refuses data that is
// not DER of that shape, trailing bytes, and a BIT STRING with unused bits.
// Its errors wrap provider.ErrInvalidConfig. Info's slices alias der.
func Parse(der []byte) (*Info, error) {
	var s subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &s)
	if err != nil {
		return nil, fmt.Errorf("%w: public key is not a DER SubjectPublicKeyInfo: %w", provider.ErrInvalidConfig, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: public key has %d bytes of trailing data after its SubjectPublicKeyInfo", provider.ErrInvalidConfig, len(rest))
	}
	if s.PublicKey.BitLength != 8*len(s.PublicKey.Bytes) {
		return nil, fmt.Errorf("%w: public key of algorithm %v: the BIT STRING does not hold whole bytes", provider.ErrInvalidConfig, s.Algorithm.Algorithm)
	}
	return &Info{Algorithm: s.Algorithm.Algorithm, Parameters: s.Algorithm.Parameters.FullBytes, PublicKey: s.PublicKey.Bytes}, nil
}

// DecodePEM returns the DER of the one PEM "PUBLIC KEY" block that data
// holds. data must be at most limit bytes and hold nothing but white space
// around the block. Its errors wrap provider.ErrInvalidConfig, name what
// data holds instead (a private key, a certificate, two blocks, a
// truncated block) and never quote it.
func DecodePEM(data []byte, limit int) ([]byte, error) {
	if len(data) > limit {
		return nil, fmt.Errorf("%w: PEM public key is %d bytes, more than the %d-byte limit", provider.ErrInvalidConfig, len(data), limit)
	}
	trimmed := bytes.TrimSpace(data)
	block, rest := pem.Decode(trimmed)
	if block == nil {
		if bytes.Contains(data, []byte("-----BEGIN")) {
			return nil, fmt.Errorf("%w: the PEM block is truncated or damaged (no matching -----END line, or bad base64); copy the whole public key again", provider.ErrInvalidConfig)
		}
		return nil, fmt.Errorf("%w: no PEM block found; a public key is a PEM %q block, as `tinywindow pubkey` and `openssl pkey -pubout` write (for env:NAME, export NAME=\"$(cat pub.pem)\")", provider.ErrInvalidConfig, PEMType)
	}
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		return nil, fmt.Errorf("%w: data before the PEM %q block; give the public key alone", provider.ErrInvalidConfig, block.Type)
	}
	if err := checkType(block.Type); err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		if next, _ := pem.Decode(rest); next != nil {
			return nil, fmt.Errorf("%w: more than one PEM block (a %q after the %q); keep one public key in each source", provider.ErrInvalidConfig, next.Type, block.Type)
		}
		return nil, fmt.Errorf("%w: %d bytes of data after the PEM %q block; give the public key alone", provider.ErrInvalidConfig, len(rest), PEMType)
	}
	return block.Bytes, nil
}

// checkType refuses a PEM block that is not a public key, saying what it is.
func checkType(t string) error {
	switch t {
	case PEMType:
		return nil
	case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return fmt.Errorf("%w: PEM block %q is a private key where a public key is expected; give its public key (openssl pkey -pubout, or tinywindow pubkey) and keep the private key secret", provider.ErrInvalidConfig, t)
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
		return fmt.Errorf("%w: PEM block %q is a certificate, not a public key; give the public key it holds (openssl x509 -pubkey -noout -in CERT)", provider.ErrInvalidConfig, t)
	case "RSA PUBLIC KEY":
		return fmt.Errorf("%w: PEM block %q is a PKCS#1 RSA key; give it as a SubjectPublicKeyInfo (openssl rsa -RSAPublicKey_in -pubout)", provider.ErrInvalidConfig, t)
	}
	return fmt.Errorf("%w: PEM block is %q; want %q (a SubjectPublicKeyInfo)", provider.ErrInvalidConfig, t, PEMType)
}
