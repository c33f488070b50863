package composite_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// TestConformanceSoftware runs the shared suite on MLDSA44-Ed25519-SHA512
// with both components in software: ML-DSA in pqc, Ed25519 in memory.
func TestConformanceSoftware(t *testing.T) {
	alg := composite.MLDSA44Ed25519SHA512
	conformance.Test(t, conformance.Subject{
		Open:  conformance.OpenURI(softURI(t, alg, 1)),
		Other: conformance.OpenURI(softURI(t, alg, 2)),
	})
}

// TestRoundTripEveryCombination signs and verifies with every offered
// combination, through a handle and through a verify-only key made from the
// exported PEM public key.
func TestRoundTripEveryCombination(t *testing.T) {
	for _, alg := range composite.Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			ctx := t.Context()
			k, err := openComposite(ctx, softURI(t, alg, 3))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			if k.Info().Algorithm != alg || k.Info().Backend != "composite" {
				t.Fatalf("Info = %+v", k.Info())
			}
			msg := []byte("order 42: buy 100 XYZ @ 10.00")
			sig, err := k.Sign(ctx, msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Verify(ctx, msg, sig); err != nil {
				t.Fatal(err)
			}
			pemBytes, err := k.PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			pub, err := composite.ParsePublicKeyPEM(pemBytes)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.Equal(k.Public()) {
				t.Fatal("parsed PEM public key differs from Public()")
			}
			v, err := composite.NewVerifier(pub)
			if err != nil {
				t.Fatal(err)
			}
			if v.Info().ID != k.Info().ID {
				t.Fatalf("verifier ID %s, key ID %s", v.Info().ID, k.Info().ID)
			}
			if err := v.Verify(ctx, msg, sig); err != nil {
				t.Fatalf("verify-only key: %v", err)
			}
			bad := bytes.Clone(msg)
			bad[0] ^= 1
			if err := v.Verify(ctx, bad, sig); !errors.Is(err, provider.ErrInvalidSignature) {
				t.Fatalf("verify-only key, other message: %v", err)
			}
			if _, err := v.Sign(ctx, msg); !errors.Is(err, provider.ErrUnsupported) {
				t.Fatalf("verify-only Sign: %v", err)
			}
		})
	}
}
