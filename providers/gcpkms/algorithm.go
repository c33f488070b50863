package gcpkms

import (
	"crypto"
	"fmt"
	"slices"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/provider"
)

// DataLimit is the largest message Cloud KMS accepts in the data field of
// AsymmetricSign, MacSign and MacVerify.
const DataLimit = 64 << 10

// algSpec ties a Cloud KMS key version algorithm to the algorithm this
// backend offers for it.
type algSpec struct {
	kms        kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm
	purpose    kmspb.CryptoKey_CryptoKeyPurpose
	alg        provider.Algorithm
	hash       crypto.Hash // the digest sent; 0 when the data itself is sent
	sigSize    int         // exact signature size; for ECDSA the largest DER size
	externalMu bool        // ML-DSA: the 64-byte mu is sent as data
}

const (
	asym = kmspb.CryptoKey_ASYMMETRIC_SIGN
	mac  = kmspb.CryptoKey_MAC
)

var algSpecs = []algSpec{
	{kms: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256, purpose: asym, alg: provider.ECDSAP256SHA256, hash: crypto.SHA256, sigSize: 72},
	{kms: kmspb.CryptoKeyVersion_EC_SIGN_P384_SHA384, purpose: asym, alg: provider.ECDSAP384SHA384, hash: crypto.SHA384, sigSize: 104},
	{kms: kmspb.CryptoKeyVersion_RSA_SIGN_PSS_2048_SHA256, purpose: asym, alg: provider.RSAPSSSHA256, hash: crypto.SHA256, sigSize: 256},
	{kms: kmspb.CryptoKeyVersion_RSA_SIGN_PSS_3072_SHA256, purpose: asym, alg: provider.RSAPSSSHA256, hash: crypto.SHA256, sigSize: 384},
	{kms: kmspb.CryptoKeyVersion_RSA_SIGN_PSS_4096_SHA256, purpose: asym, alg: provider.RSAPSSSHA256, hash: crypto.SHA256, sigSize: 512},
	{kms: kmspb.CryptoKeyVersion_RSA_SIGN_PKCS1_2048_SHA256, purpose: asym, alg: provider.RSAPKCS1SHA256, hash: crypto.SHA256, sigSize: 256},
	{kms: kmspb.CryptoKeyVersion_RSA_SIGN_PKCS1_3072_SHA256, purpose: asym, alg: provider.RSAPKCS1SHA256, hash: crypto.SHA256, sigSize: 384},
	{kms: kmspb.CryptoKeyVersion_RSA_SIGN_PKCS1_4096_SHA256, purpose: asym, alg: provider.RSAPKCS1SHA256, hash: crypto.SHA256, sigSize: 512},
	{kms: kmspb.CryptoKeyVersion_EC_SIGN_ED25519, purpose: asym, alg: provider.Ed25519, sigSize: 64},
	{kms: kmspb.CryptoKeyVersion_HMAC_SHA256, purpose: mac, alg: provider.HMACSHA256, sigSize: 32},
	{kms: kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_44, purpose: asym, alg: provider.MLDSA44, sigSize: 2420},
	{kms: kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_65, purpose: asym, alg: provider.MLDSA65, sigSize: 3309},
	{kms: kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_87, purpose: asym, alg: provider.MLDSA87, sigSize: 4627},
	{kms: kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_44_EXTERNAL_MU, purpose: asym, alg: provider.MLDSA44, sigSize: 2420, externalMu: true},
	{kms: kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_65_EXTERNAL_MU, purpose: asym, alg: provider.MLDSA65, sigSize: 3309, externalMu: true},
	{kms: kmspb.CryptoKeyVersion_PQ_SIGN_ML_DSA_87_EXTERNAL_MU, purpose: asym, alg: provider.MLDSA87, sigSize: 4627, externalMu: true},
}

// Algorithms lists the algorithms this backend offers.
func Algorithms() []provider.Algorithm {
	var out []provider.Algorithm
	for _, s := range algSpecs {
		if !slices.Contains(out, s.alg) {
			out = append(out, s.alg)
		}
	}
	return out
}

func (s *algSpec) mldsa() bool {
	return s.alg == provider.MLDSA44 || s.alg == provider.MLDSA65 || s.alg == provider.MLDSA87
}

// specFor returns what the backend does with a key version of algorithm a.
func specFor(name string, a kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm) (*algSpec, error) {
	for i := range algSpecs {
		if algSpecs[i].kms == a {
			return &algSpecs[i], nil
		}
	}
	return nil, fmt.Errorf("%w: gcpkms key version %s has algorithm %s; TinyWindow signs with EC_SIGN_P256_SHA256, EC_SIGN_P384_SHA384, EC_SIGN_ED25519, RSA_SIGN_PSS_*_SHA256, RSA_SIGN_PKCS1_*_SHA256, PQ_SIGN_ML_DSA_* and HMAC_SHA256 versions",
		provider.ErrUnsupported, name, a)
}

// specForAlgorithm returns the Cloud KMS algorithm that Generate creates for
// alg: RSA keys are 3072 bits, ML-DSA keys sign the message (not mu).
func specForAlgorithm(alg provider.Algorithm) (*algSpec, error) {
	if alg == "" {
		alg = provider.ECDSAP256SHA256
	}
	for i := range algSpecs {
		s := &algSpecs[i]
		if s.alg != alg || s.externalMu {
			continue
		}
		if (alg == provider.RSAPSSSHA256 || alg == provider.RSAPKCS1SHA256) && s.sigSize != 384 {
			continue
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w: gcpkms cannot create a %s key; it creates %v", provider.ErrUnsupported, alg, Algorithms())
}
