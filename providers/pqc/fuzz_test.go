package pqc_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// FuzzParsePublicKey feeds the public-key parsers (PEM and DER
// SubjectPublicKeyInfo, then the key itself) arbitrary bytes: they must never
// panic, must fail with ErrInvalidConfig or ErrUnsupported, and what they
// accept must re-encode to the same DER.
func FuzzParsePublicKey(f *testing.F) {
	for _, alg := range pqc.Algorithms() {
		n, _ := pqc.SeedSize(alg)
		k, err := pqc.NewFromSeed(testSeed(n, 1), pqc.Options{Algorithm: alg})
		if err != nil {
			f.Fatal(err)
		}
		p, _ := k.PublicKeyPEM()
		f.Add(p)
		f.Add(k.PublicKeyDER())
		k.Close()
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x06})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := pqc.NewVerifier(data, pqc.Options{})
		if err != nil {
			if !errors.Is(err, provider.ErrInvalidConfig) && !errors.Is(err, provider.ErrUnsupported) {
				t.Fatalf("NewVerifier error %v is neither ErrInvalidConfig nor ErrUnsupported", err)
			}
			return
		}
		defer v.Close()
		der := v.PublicKeyDER()
		alg, raw, err := pqc.ParsePublicKey(der)
		if err != nil || alg != v.Info().Algorithm || !bytes.Equal(raw, v.PublicKeyBytes()) {
			t.Fatalf("accepted key does not round-trip: %v", err)
		}
		if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----")) && !bytes.Equal(der, data) {
			t.Fatalf("accepted DER re-encodes differently")
		}
		sig := make([]byte, 16)
		if err := v.Verify(context.Background(), []byte("m"), sig); !errors.Is(err, provider.ErrInvalidSignature) {
			t.Fatalf("Verify of a short signature: %v", err)
		}
	})
}

// FuzzVerify feeds the signature parsers arbitrary signatures, and arbitrary
// edits of a valid one: Verify must never panic, must return nil or
// ErrInvalidSignature, and must accept a signature only if it is the valid one
// (ML-DSA and SLH-DSA have one encoding per signature).
func FuzzVerify(f *testing.F) {
	ctx := context.Background()
	msg := []byte("order 7")
	keys := map[byte]*pqc.Key{}
	valid := map[byte][]byte{}
	for i, alg := range []provider.Algorithm{provider.MLDSA44, provider.MLDSA65, provider.MLDSA87, provider.SLHDSASHA2128f} {
		n, _ := pqc.SeedSize(alg)
		k, err := pqc.NewFromSeed(testSeed(n, 2), pqc.Options{Algorithm: alg, Deterministic: true})
		if err != nil {
			f.Fatal(err)
		}
		sig, err := k.Sign(ctx, msg)
		if err != nil {
			f.Fatal(err)
		}
		keys[byte(i)], valid[byte(i)] = k, sig
		f.Add(byte(i), sig, uint16(0), byte(0))
		f.Add(byte(i), []byte{}, uint16(0), byte(0))
	}
	f.Fuzz(func(t *testing.T, which byte, sig []byte, at uint16, flip byte) {
		which %= byte(len(keys))
		k := keys[which]
		if len(sig) == 0 {
			sig = bytes.Clone(valid[which])
		}
		if len(sig) > 0 {
			sig[int(at)%len(sig)] ^= flip
		}
		err := k.Verify(ctx, msg, sig)
		switch {
		case err == nil && !bytes.Equal(sig, valid[which]):
			t.Fatalf("%s accepted a signature other than the valid one", k.Info().Algorithm)
		case err != nil && !errors.Is(err, provider.ErrInvalidSignature):
			t.Fatalf("Verify returned %v, want nil or ErrInvalidSignature", err)
		case err != nil && bytes.Equal(sig, valid[which]):
			t.Fatalf("Verify rejected the valid signature: %v", err)
		}
	})
}
