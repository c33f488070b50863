package awskms

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestLocalVerifyWycheproof judges the shared table with the Verify of a
// SignatureKey holding each Wycheproof public key as its cached public key,
// as Open leaves it after GetPublicKey. The handle has no KMS client, so a
// Verify that called KMS would fail the test.
func TestLocalVerifyWycheproof(t *testing.T) {
	stdverifytest.Run(t, func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
		ks := types.KeySpecEccNistP256
		switch alg {
		case provider.ECDSAP384SHA384:
			ks = types.KeySpecEccNistP384
		case provider.RSAPSSSHA256:
			if n := pub.(*rsa.PublicKey).N.BitLen(); n != 2048 {
				t.Fatalf("Wycheproof RSA key of %d bits; the table expects RSA_2048", n)
			}
			ks = types.KeySpecRsa2048
		}
		spec, err := specFor("wycheproof", &types.KeyMetadata{KeySpec: ks, KeyUsage: types.KeyUsageTypeSignVerify})
		if err != nil {
			t.Fatal(err)
		}
		if spec.alg != alg {
			t.Fatalf("%s is a %s key, want %s", ks, spec.alg, alg)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		k := &SignatureKey{
			Handle: cloudkey.NewHandle(Scheme, "wycheproof", provider.KeyInfo{Algorithm: alg, Backend: Scheme}, nil),
			base:   base{opts: &options{keyID: "wycheproof"}, spec: spec},
		}
		k.pub.Init(&publicKey{der: der, key: pub}, 0)
		return k.Verify(t.Context(), msg, sig)
	}, provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.RSAPSSSHA256)
}

// TestSpecHashIsAlgorithmHash: the digest KMS is sent is the one the shared
// verification rule hashes with.
func TestSpecHashIsAlgorithmHash(t *testing.T) {
	for _, s := range keySpecs {
		if s.mldsa != nil || s.usage != types.KeyUsageTypeSignVerify {
			continue
		}
		if s.hash != s.alg.Hash() {
			t.Errorf("%s: digest %v, but %s hashes with %v", s.spec, s.hash, s.alg, s.alg.Hash())
		}
	}
}
