package gcpkms_test

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"testing"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestLocalVerifyWycheproof publishes each Wycheproof public key in the
// double, opens it through the client as any key is opened, and judges the
// shared table with the handle's Verify. The double holds no private key
// for them, so only local verification can answer.
func TestLocalVerifyWycheproof(t *testing.T) {
	d, stop := startDouble()
	defer stop()
	algs := map[provider.Algorithm]kmspb.CryptoKeyVersion_CryptoKeyVersionAlgorithm{
		provider.ECDSAP256SHA256: kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256,
		provider.ECDSAP384SHA384: kmspb.CryptoKeyVersion_EC_SIGN_P384_SHA384,
		provider.Ed25519:         kmspb.CryptoKeyVersion_EC_SIGN_ED25519,
		provider.RSAPSSSHA256:    kmspb.CryptoKeyVersion_RSA_SIGN_PSS_2048_SHA256,
		provider.RSAPKCS1SHA256:  kmspb.CryptoKeyVersion_RSA_SIGN_PKCS1_2048_SHA256,
	}
	keys := map[string]provider.Key{}
	defer func() {
		for _, k := range keys {
			k.Close()
		}
	}()
	stdverifytest.Run(t, func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
		spki, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		k := keys[string(spki)+string(alg)]
		if k == nil {
			name := d.addPublicKey(fmt.Sprintf("wycheproof-%d", len(keys)), algs[alg], pub)
			if k, err = provider.Open(t.Context(), d.uri(name)); err != nil {
				t.Fatalf("opening the %s key: %v", alg, err)
			}
			if got := k.Info().Algorithm; got != alg {
				t.Fatalf("key opened as %s, want %s", got, alg)
			}
			keys[string(spki)+string(alg)] = k
		}
		return k.Verify(t.Context(), msg, sig)
	}, provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.Ed25519, provider.RSAPSSSHA256, provider.RSAPKCS1SHA256)
}
