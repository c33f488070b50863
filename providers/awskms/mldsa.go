package awskms

import (
	"context"
	"crypto"
	"crypto/fips140"
	"crypto/sha3"
	"encoding/asn1"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/tinywindow/tinywindow/provider"
)

// MuSize is the size of the ML-DSA message representative mu that KMS signs
// with MessageType EXTERNAL_MU.
const MuSize = 64

// mldsaParams holds what the backend needs of one ML-DSA parameter set: the
// OID of its SubjectPublicKeyInfo, its sizes, and circl's parser and verifier
// for local verification.
type mldsaParams struct {
	oid     asn1.ObjectIdentifier
	pkSize  int
	sigSize int
	parse   func(raw []byte) (crypto.PublicKey, error)
	verify  func(pub crypto.PublicKey, msg, sig []byte) bool
}

var (
	paramsMLDSA44 = mldsaParams{
		oid: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}, pkSize: mldsa44.PublicKeySize, sigSize: mldsa44.SignatureSize,
		parse: func(raw []byte) (crypto.PublicKey, error) {
			pk := new(mldsa44.PublicKey)
			return pk, pk.UnmarshalBinary(raw)
		},
		verify: func(pub crypto.PublicKey, msg, sig []byte) bool {
			return mldsa44.Verify(pub.(*mldsa44.PublicKey), msg, nil, sig)
		},
	}
	paramsMLDSA65 = mldsaParams{
		oid: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}, pkSize: mldsa65.PublicKeySize, sigSize: mldsa65.SignatureSize,
		parse: func(raw []byte) (crypto.PublicKey, error) {
			pk := new(mldsa65.PublicKey)
			return pk, pk.UnmarshalBinary(raw)
		},
		verify: func(pub crypto.PublicKey, msg, sig []byte) bool {
			return mldsa65.Verify(pub.(*mldsa65.PublicKey), msg, nil, sig)
		},
	}
	paramsMLDSA87 = mldsaParams{
		oid: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 19}, pkSize: mldsa87.PublicKeySize, sigSize: mldsa87.SignatureSize,
		parse: func(raw []byte) (crypto.PublicKey, error) {
			pk := new(mldsa87.PublicKey)
			return pk, pk.UnmarshalBinary(raw)
		},
		verify: func(pub crypto.PublicKey, msg, sig []byte) bool {
			return mldsa87.Verify(pub.(*mldsa87.PublicKey), msg, nil, sig)
		},
	}
)

// subjectPublicKeyInfo is the ASN.1 shape of a DER SubjectPublicKeyInfo.
type subjectPublicKeyInfo struct {
	Algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	PublicKey asn1.BitString
}

// parseMLDSAPublicKey extracts the raw ML-DSA public key from a DER
// SubjectPublicKeyInfo, as GetPublicKey returns it (FIPS 204 encoding inside
// a BIT STRING, algorithm parameters absent), and parses it with circl.
func (p *mldsaParams) parseSPKI(der []byte) (raw []byte, pub crypto.PublicKey, err error) {
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &spki)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("%w: awskms: ML-DSA public key is not a DER SubjectPublicKeyInfo: %w", provider.ErrUnsupported, err)
	case len(rest) != 0:
		return nil, nil, fmt.Errorf("%w: awskms: ML-DSA public key has %d bytes after its SubjectPublicKeyInfo", provider.ErrUnsupported, len(rest))
	case !spki.Algorithm.Algorithm.Equal(p.oid):
		return nil, nil, fmt.Errorf("%w: awskms: public key algorithm %v, want ML-DSA %v", provider.ErrUnsupported, spki.Algorithm.Algorithm, p.oid)
	case len(spki.Algorithm.Parameters.FullBytes) != 0:
		return nil, nil, fmt.Errorf("%w: awskms: ML-DSA public key has algorithm parameters; FIPS 204 keys have none", provider.ErrUnsupported)
	case spki.PublicKey.BitLength != 8*p.pkSize:
		return nil, nil, fmt.Errorf("%w: awskms: ML-DSA public key is %d bits, want %d", provider.ErrUnsupported, spki.PublicKey.BitLength, 8*p.pkSize)
	}
	raw = spki.PublicKey.Bytes
	if pub, err = p.parse(raw); err != nil {
		return nil, nil, fmt.Errorf("%w: awskms: ML-DSA public key: %w", provider.ErrUnsupported, err)
	}
	return raw, pub, nil
}

// MLDSATr returns tr = SHAKE256(pk, 64), the hash of an ML-DSA public key in
// its FIPS 204 encoding.
func MLDSATr(pk []byte) [64]byte {
	var tr [64]byte
	h := sha3.NewSHAKE256()
	h.Write(pk)
	h.Read(tr[:])
	return tr
}

// MLDSAMu returns the message representative mu that ML-DSA signs for msg
// with an empty context string (FIPS 204, Algorithms 2 and 7):
//
//	mu = SHAKE256(tr || 0x00 || 0x00 || msg, 64),  tr = SHAKE256(pk, 64)
//
// The first 0x00 marks pure ML-DSA (not HashML-DSA), the second is the
// length of the empty context. KMS signs mu with MessageType EXTERNAL_MU.
func MLDSAMu(tr *[64]byte, msg []byte) [MuSize]byte {
	var mu [MuSize]byte
	h := sha3.NewSHAKE256()
	h.Write(tr[:])
	h.Write([]byte{0, 0})
	h.Write(msg)
	h.Read(mu[:])
	return mu
}

// signDigestMLDSA is SignDigest for an ML-DSA key: opts names no hash and
// digest is the message, or opts names crypto.MLDSAMu (Go 1.27) and digest is
// an external μ, sent to KMS as EXTERNAL_MU. KMS signs with the empty
// context string, so an *mldsa.Options with another is refused.
func (k *SignatureKey) signDigestMLDSA(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if provider.ExternalMu(opts) {
		if len(digest) != MuSize {
			return nil, fmt.Errorf("%w: awskms: an external ML-DSA μ is %d bytes, not %d", provider.ErrInvalidConfig, MuSize, len(digest))
		}
		if !k.opts.externalMu {
			return nil, fmt.Errorf("%w: awskms: signing an external μ needs MessageType EXTERNAL_MU, which external-mu=false forbids", provider.ErrUnsupported)
		}
		return k.kmsSign(ctx, digest, types.MessageTypeExternalMu)
	}
	if c, ok := provider.SignerContext(opts); ok && c != "" {
		return nil, fmt.Errorf("%w: awskms: KMS signs %s with the empty context string, not %q", provider.ErrUnsupported, k.spec.alg, c)
	}
	if opts.HashFunc() != 0 {
		return nil, fmt.Errorf("%w: awskms: %s signs the message itself; SignerOpts must name no hash, not %v", provider.ErrUnsupported, k.spec.alg, opts.HashFunc())
	}
	return k.signMLDSA(ctx, digest)
}

// verifyMLDSA verifies an ML-DSA signature locally: with circl, or in FIPS
// 140-3 mode with the standard library's crypto/mldsa (Go 1.27), which lies
// inside the FIPS module.
func (k *SignatureKey) verifyMLDSA(pub *publicKey, msg, sig []byte) bool {
	if fips140.Enabled() && pub.std != nil {
		return stdMLDSAVerify(pub.std, msg, sig)
	}
	return k.spec.mldsa.verify(pub.key, msg, sig)
}
