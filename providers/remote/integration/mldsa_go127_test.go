//go:build go1.27

package remote_test

import (
	"context"
	"crypto"
	"crypto/mldsa"
	"crypto/sha3"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// TestCryptoSignerMLDSA: through remote, an ML-DSA key's crypto.Signer has
// an *mldsa.PublicKey, signs messages under the key's context string (and
// refuses another), and signs an external μ where the service's key can.
func TestCryptoSignerMLDSA(t *testing.T) {
	ctx := context.Background()
	t.Setenv("TW_TEST_PQC_SEED_A", hex.EncodeToString([]byte(strings.Repeat("a", 32))))
	t.Setenv("TW_TEST_PQC_SEED_B", hex.EncodeToString([]byte(strings.Repeat("b", 32))))
	f := start(t, map[string]string{
		"std":   "pqc:alg=ML-DSA-65;engine=std;seed-source=env:TW_TEST_PQC_SEED_A",
		"circl": "pqc:alg=ML-DSA-65;engine=circl;seed-source=env:TW_TEST_PQC_SEED_B;ctx=orders-v1",
	})
	msg := []byte("order 42")
	std := testenv.MustOpen(t, f.uri("std", f.trader))
	cs, err := provider.CryptoSigner(ctx, std)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := cs.Public().(*mldsa.PublicKey)
	if !ok || pub.Parameters() != mldsa.MLDSA65() {
		t.Fatalf("Public() is %T", cs.Public())
	}
	for _, opts := range []crypto.SignerOpts{crypto.Hash(0), &mldsa.Options{}} {
		sig, err := cs.Sign(nil, msg, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := mldsa.Verify(pub, msg, sig, nil); err != nil {
			t.Errorf("crypto/mldsa rejects the signature under %T: %v", opts, err)
		}
	}

	// External μ = SHAKE256(SHAKE256(pk, 64) || 0 || len(ctx) || ctx || msg, 64).
	tr := sha3.SumSHAKE256(pub.Bytes(), 64)
	h := sha3.NewSHAKE256()
	h.Write(tr[:])
	h.Write([]byte{0, 0})
	h.Write(msg)
	mu := make([]byte, 64)
	h.Read(mu)
	sig, err := cs.Sign(nil, mu, crypto.MLDSAMu)
	if err != nil {
		t.Fatalf("sign an external μ: %v", err)
	}
	if err := mldsa.Verify(pub, msg, sig, nil); err != nil {
		t.Errorf("crypto/mldsa rejects the signature of the external μ: %v", err)
	}
	if _, err := cs.Sign(nil, mu[:63], crypto.MLDSAMu); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("a 63-byte μ: %v", err)
	}

	// circl signs no external μ; its key binds a context string.
	circl := testenv.MustOpen(t, f.uri("circl", f.trader))
	if got := string(circl.(interface{ SignatureContext() []byte }).SignatureContext()); got != "orders-v1" {
		t.Errorf("SignatureContext() = %q", got)
	}
	ccs, err := provider.CryptoSigner(ctx, circl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ccs.Sign(nil, mu, crypto.MLDSAMu); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("external μ on circl: %v, want ErrUnsupported", err)
	}
	if _, err := ccs.Sign(nil, msg, &mldsa.Options{Context: "other"}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("another context string: %v, want ErrInvalidConfig", err)
	}
	sig, err = ccs.Sign(nil, msg, &mldsa.Options{Context: "orders-v1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := mldsa.Verify(ccs.Public().(*mldsa.PublicKey), msg, sig, &mldsa.Options{Context: "orders-v1"}); err != nil {
		t.Errorf("crypto/mldsa rejects the signature under the key's context: %v", err)
	}
}
