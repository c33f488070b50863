package vaulttransit_test

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestLocalVerifyWycheproof publishes each Wycheproof public key in the
// double, opens it through the client as any key is opened, and judges the
// shared table with the handle's local Verify. The double refuses to sign or
// verify with these keys, so a Verify that asked Vault would fail.
func TestLocalVerifyWycheproof(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	types := map[provider.Algorithm]string{
		provider.ECDSAP256SHA256: "ecdsa-p256",
		provider.ECDSAP384SHA384: "ecdsa-p384",
		provider.Ed25519:         "ed25519",
		provider.RSAPSSSHA256:    "rsa-2048",
		provider.RSAPKCS1SHA256:  "rsa-2048",
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
			name := fmt.Sprintf("wycheproof-%d", len(keys))
			d.addPublicKey("transit", name, types[alg], pub)
			var extra []string
			if alg == provider.RSAPKCS1SHA256 {
				extra = append(extra, "signature-algorithm=pkcs1v15")
			}
			if k, err = provider.Open(t.Context(), d.uri(name, extra...)); err != nil {
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
