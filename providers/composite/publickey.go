package composite

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/tinywindow/tinywindow/internal/spki"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// MaxPublicKeyPEMSize bounds the size of a PEM public key accepted by
// [ParsePublicKeyPEM] and read from a pub-source.
const MaxPublicKeyPEMSize = 32 << 10

// PublicKey is a composite public key: an ML-DSA public key and a classical
// one, bound to one composite algorithm.
type PublicKey struct {
	// Algorithm is the composite algorithm, such as MLDSA65-ECDSA-P256-SHA512.
	Algorithm provider.Algorithm
	// MLDSA is the raw FIPS 204 encoding of the ML-DSA public key.
	MLDSA []byte
	// Classical is *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey.
	Classical crypto.PublicKey
}

// Equal reports whether x is a *PublicKey equal to pub.
func (pub *PublicKey) Equal(x crypto.PublicKey) bool {
	o, ok := x.(*PublicKey)
	if !ok || o.Algorithm != pub.Algorithm || !bytes.Equal(o.MLDSA, pub.MLDSA) {
		return false
	}
	eq, ok := pub.Classical.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(o.Classical)
}

// Bytes returns the draft's raw composite public key: the ML-DSA public key
// followed by the classical one, an uncompressed SEC 1 point for ECDSA, the
// 32 bytes of RFC 8032 for Ed25519, a DER RSAPublicKey for RSA.
func (pub *PublicKey) Bytes() ([]byte, error) {
	c, err := lookup(string(pub.Algorithm))
	if err != nil {
		return nil, err
	}
	if len(pub.MLDSA) != c.mldsaPublicKeySize {
		return nil, fmt.Errorf("%w: %s: ML-DSA public key is %d bytes, want %d", provider.ErrInvalidConfig, c.name, len(pub.MLDSA), c.mldsaPublicKeySize)
	}
	trad, err := c.encodeClassical(pub.Classical)
	if err != nil {
		return nil, err
	}
	return append(bytes.Clone(pub.MLDSA), trad...), nil
}

// MarshalPKIX returns the DER SubjectPublicKeyInfo of pub: the draft's OID
// with absent parameters, and the raw composite public key as the BIT STRING.
func (pub *PublicKey) MarshalPKIX() ([]byte, error) {
	raw, err := pub.Bytes()
	if err != nil {
		return nil, err
	}
	c, _ := lookup(string(pub.Algorithm))
	return spki.Marshal(c.oid, raw)
}

// MarshalPEM returns pub as a PEM "PUBLIC KEY" block holding [PublicKey.MarshalPKIX].
func (pub *PublicKey) MarshalPEM() ([]byte, error) {
	der, err := pub.MarshalPKIX()
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey parses a raw composite public key of algorithm alg (see
// [PublicKey.Bytes]).
func ParsePublicKey(alg provider.Algorithm, raw []byte) (*PublicKey, error) {
	c, err := lookup(string(alg))
	if err != nil {
		return nil, err
	}
	if len(raw) <= c.mldsaPublicKeySize {
		return nil, fmt.Errorf("%w: %s public key is %d bytes, shorter than its %d-byte ML-DSA half", provider.ErrInvalidConfig, c.name, len(raw), c.mldsaPublicKeySize)
	}
	trad, err := c.parseClassical(raw[c.mldsaPublicKeySize:])
	if err != nil {
		return nil, err
	}
	return &PublicKey{Algorithm: c.name, MLDSA: bytes.Clone(raw[:c.mldsaPublicKeySize]), Classical: trad}, nil
}

// ParsePKIXPublicKey parses a DER SubjectPublicKeyInfo holding a composite
// public key. It refuses what internal/spki refuses (trailing data, a BIT
// STRING with unused bits), algorithm parameters, an OID of no offered
// combination, and malformed halves.
func ParsePKIXPublicKey(der []byte) (*PublicKey, error) {
	info, err := spki.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("composite public key: %w", err)
	}
	c, ok := lookupOID(info.Algorithm)
	if !ok {
		return nil, fmt.Errorf("%w: public key algorithm %v is not a composite algorithm offered from %s", provider.ErrInvalidConfig, info.Algorithm, Draft)
	}
	if len(info.Parameters) != 0 {
		return nil, fmt.Errorf("%w: %s public key has algorithm parameters; the draft says they are absent", provider.ErrInvalidConfig, c.name)
	}
	return ParsePublicKey(c.name, info.PublicKey)
}

// ParsePublicKeyPEM parses one PEM "PUBLIC KEY" block, of at most
// [MaxPublicKeyPEMSize] bytes, holding a composite SubjectPublicKeyInfo.
func ParsePublicKeyPEM(data []byte) (*PublicKey, error) {
	der, err := spki.DecodePEM(data, MaxPublicKeyPEMSize)
	if err != nil {
		return nil, fmt.Errorf("composite public key: %w", err)
	}
	return ParsePKIXPublicKey(der)
}

// checkClassical checks that a classical public key is of the type, curve
// and size the combination wants.
func (c *combination) checkClassical(pub crypto.PublicKey) error {
	switch c.classical.alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %s wants an ECDSA %s classical key, not %T", provider.ErrInvalidConfig, c.name, c.classical.curve, pub)
		}
		if k.Curve == nil || k.Curve.Params().Name != c.classical.curve {
			name := "unknown"
			if k.Curve != nil {
				name = k.Curve.Params().Name
			}
			return fmt.Errorf("%w: %s wants an ECDSA key on %s, not on %s", provider.ErrInvalidConfig, c.name, c.classical.curve, name)
		}
	case provider.Ed25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: %s wants an Ed25519 classical key, not %T", provider.ErrInvalidConfig, c.name, pub)
		}
	case provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %s wants an RSA-%d classical key, not %T", provider.ErrInvalidConfig, c.name, c.classical.rsaBits, pub)
		}
		if k.N == nil || k.N.BitLen() != c.classical.rsaBits {
			bits := 0
			if k.N != nil {
				bits = k.N.BitLen()
			}
			return fmt.Errorf("%w: %s wants an RSA key of exactly %d bits, not %d", provider.ErrInvalidConfig, c.name, c.classical.rsaBits, bits)
		}
	default:
		return fmt.Errorf("%w: %s: classical algorithm %s", provider.ErrUnsupported, c.name, c.classical.alg)
	}
	return nil
}

func (c *combination) encodeClassical(pub crypto.PublicKey) ([]byte, error) {
	if err := c.checkClassical(pub); err != nil {
		return nil, err
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		//lint:ignore SA1019 the uncompressed point of a checked NIST curve key
		return elliptic.Marshal(k.Curve, k.X, k.Y), nil
	case ed25519.PublicKey:
		return bytes.Clone(k), nil
	case *rsa.PublicKey:
		return x509.MarshalPKCS1PublicKey(k), nil
	}
	return nil, fmt.Errorf("%w: %s: classical key %T", provider.ErrUnsupported, c.name, pub)
}

func (c *combination) parseClassical(raw []byte) (crypto.PublicKey, error) {
	var pub crypto.PublicKey
	var err error
	switch c.classical.alg {
	case provider.ECDSAP256SHA256:
		pub, err = ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	case provider.ECDSAP384SHA384:
		pub, err = ecdsa.ParseUncompressedPublicKey(elliptic.P384(), raw)
	case provider.Ed25519:
		if len(raw) != ed25519.PublicKeySize {
			err = fmt.Errorf("Ed25519 public key is %d bytes, want %d", len(raw), ed25519.PublicKeySize)
		}
		pub = ed25519.PublicKey(bytes.Clone(raw))
	case provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		var k *rsa.PublicKey
		k, err = x509.ParsePKCS1PublicKey(raw)
		if err == nil && !bytes.Equal(x509.MarshalPKCS1PublicKey(k), raw) {
			err = fmt.Errorf("RSAPublicKey is not in DER")
		}
		pub = k
	default:
		err = fmt.Errorf("classical algorithm %s", c.classical.alg)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s classical public key: %w", provider.ErrInvalidConfig, c.name, err)
	}
	if err := c.checkClassical(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// mldsaSPKI returns the DER SubjectPublicKeyInfo of the ML-DSA half.
func (c *combination) mldsaSPKI(raw []byte) ([]byte, error) {
	return pqc.MarshalPublicKey(c.mldsa, raw)
}
