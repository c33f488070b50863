//go:build go1.27

package provider_test

import (
	"crypto/mldsa"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// TestCryptoSignerMLDSA checks that, built with Go 1.27, an ML-DSA key makes
// a crypto.Signer whose public key is an *mldsa.PublicKey and whose
// signatures crypto/mldsa verifies, with a per-call context.
func TestCryptoSignerMLDSA(t *testing.T) {
	k, err := pqc.NewFromSeed(make([]byte, 32), pqc.Options{Algorithm: provider.MLDSA65})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	cs, err := provider.CryptoSigner(t.Context(), k)
	if err != nil {
		t.Fatalf("CryptoSigner: %v", err)
	}
	msg := []byte("tbs")
	sig, err := cs.Sign(nil, msg, provider.SignerOpts{Opts: &mldsa.Options{}, Context: t.Context()})
	if err != nil {
		t.Fatal(err)
	}
	if err := mldsa.Verify(cs.Public().(*mldsa.PublicKey), msg, sig, nil); err != nil {
		t.Errorf("crypto/mldsa rejects the signature: %v", err)
	}
}
