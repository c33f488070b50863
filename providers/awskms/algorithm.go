package awskms

import (
	"crypto"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/provider"
)

// RawMessageLimit is the largest message KMS accepts with MessageType RAW,
// and the largest message GenerateMac and VerifyMac accept.
const RawMessageLimit = 4096

// keySpec ties a KMS key spec to the algorithm this backend offers for it.
type keySpec struct {
	spec    types.KeySpec
	usage   types.KeyUsageType
	alg     provider.Algorithm
	signing types.SigningAlgorithmSpec // SIGN_VERIFY keys
	mac     types.MacAlgorithmSpec     // GENERATE_VERIFY_MAC keys
	hash    crypto.Hash                // the digest sent as DIGEST; 0 for ML-DSA and HMAC
	sigSize int                        // exact signature size; for ECDSA the largest DER size
	mldsa   *mldsaParams
}

var keySpecs = []keySpec{
	{spec: types.KeySpecEccNistP256, usage: types.KeyUsageTypeSignVerify, alg: provider.ECDSAP256SHA256,
		signing: types.SigningAlgorithmSpecEcdsaSha256, hash: crypto.SHA256, sigSize: 72},
	{spec: types.KeySpecEccNistP384, usage: types.KeyUsageTypeSignVerify, alg: provider.ECDSAP384SHA384,
		signing: types.SigningAlgorithmSpecEcdsaSha384, hash: crypto.SHA384, sigSize: 104},
	{spec: types.KeySpecRsa2048, usage: types.KeyUsageTypeSignVerify, alg: provider.RSAPSSSHA256,
		signing: types.SigningAlgorithmSpecRsassaPssSha256, hash: crypto.SHA256, sigSize: 256},
	{spec: types.KeySpecRsa3072, usage: types.KeyUsageTypeSignVerify, alg: provider.RSAPSSSHA256,
		signing: types.SigningAlgorithmSpecRsassaPssSha256, hash: crypto.SHA256, sigSize: 384},
	{spec: types.KeySpecRsa4096, usage: types.KeyUsageTypeSignVerify, alg: provider.RSAPSSSHA256,
		signing: types.SigningAlgorithmSpecRsassaPssSha256, hash: crypto.SHA256, sigSize: 512},
	{spec: types.KeySpecHmac256, usage: types.KeyUsageTypeGenerateVerifyMac, alg: provider.HMACSHA256,
		mac: types.MacAlgorithmSpecHmacSha256, sigSize: 32},
	{spec: types.KeySpecMlDsa44, usage: types.KeyUsageTypeSignVerify, alg: provider.MLDSA44,
		signing: types.SigningAlgorithmSpecMlDsaShake256, sigSize: paramsMLDSA44.sigSize, mldsa: &paramsMLDSA44},
	{spec: types.KeySpecMlDsa65, usage: types.KeyUsageTypeSignVerify, alg: provider.MLDSA65,
		signing: types.SigningAlgorithmSpecMlDsaShake256, sigSize: paramsMLDSA65.sigSize, mldsa: &paramsMLDSA65},
	{spec: types.KeySpecMlDsa87, usage: types.KeyUsageTypeSignVerify, alg: provider.MLDSA87,
		signing: types.SigningAlgorithmSpecMlDsaShake256, sigSize: paramsMLDSA87.sigSize, mldsa: &paramsMLDSA87},
}

// Algorithms lists the algorithms this backend offers.
func Algorithms() []provider.Algorithm {
	var out []provider.Algorithm
	for _, s := range keySpecs {
		if !slices.Contains(out, s.alg) {
			out = append(out, s.alg)
		}
	}
	return out
}

// specFor checks a key's usage and spec and returns what the backend does
// with it.
func specFor(keyID string, md *types.KeyMetadata) (*keySpec, error) {
	switch md.KeyUsage {
	case types.KeyUsageTypeSignVerify, types.KeyUsageTypeGenerateVerifyMac:
	default:
		return nil, fmt.Errorf("%w: awskms key %s has key usage %s; TinyWindow signs with SIGN_VERIFY keys (ECC_NIST_P256/P384, RSA, ML-DSA) or GENERATE_VERIFY_MAC keys (HMAC_256)",
			provider.ErrUnsupported, keyID, md.KeyUsage)
	}
	for i := range keySpecs {
		s := &keySpecs[i]
		if s.spec != md.KeySpec {
			continue
		}
		if s.usage != md.KeyUsage {
			break
		}
		if s.signing != "" && len(md.SigningAlgorithms) > 0 && !slices.Contains(md.SigningAlgorithms, s.signing) {
			return nil, fmt.Errorf("%w: awskms key %s (%s) does not offer signing algorithm %s (it offers %v)",
				provider.ErrUnsupported, keyID, md.KeySpec, s.signing, md.SigningAlgorithms)
		}
		if s.mac != "" && len(md.MacAlgorithms) > 0 && !slices.Contains(md.MacAlgorithms, s.mac) {
			return nil, fmt.Errorf("%w: awskms key %s (%s) does not offer MAC algorithm %s (it offers %v)",
				provider.ErrUnsupported, keyID, md.KeySpec, s.mac, md.MacAlgorithms)
		}
		return s, nil
	}
	return nil, fmt.Errorf("%w: awskms key %s is a %s key with usage %s; TinyWindow supports ECC_NIST_P256, ECC_NIST_P384, RSA_2048/3072/4096 and ML_DSA_44/65/87 (SIGN_VERIFY) and HMAC_256 (GENERATE_VERIFY_MAC)",
		provider.ErrUnsupported, keyID, md.KeySpec, md.KeyUsage)
}

// specForAlgorithm returns the key spec that keygen creates for alg.
func specForAlgorithm(alg provider.Algorithm) (*keySpec, error) {
	if alg == "" {
		alg = provider.ECDSAP256SHA256
	}
	if alg == provider.RSAPSSSHA256 {
		for i := range keySpecs {
			if keySpecs[i].spec == types.KeySpecRsa3072 {
				return &keySpecs[i], nil
			}
		}
	}
	for i := range keySpecs {
		if keySpecs[i].alg == alg {
			return &keySpecs[i], nil
		}
	}
	return nil, fmt.Errorf("%w: awskms cannot create a %s key; it creates %v", provider.ErrUnsupported, alg, Algorithms())
}
