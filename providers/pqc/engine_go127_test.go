//go:build go1.27

package pqc_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/mldsa"
	"crypto/sha3"
	"errors"
	"fmt"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

const stdAvailable = true

var mldsaAlgorithms = []provider.Algorithm{provider.MLDSA44, provider.MLDSA65, provider.MLDSA87}

// TestEnginesAgree checks that the circl and std engines are interchangeable
// for ML-DSA: from one seed file they open the same key (same public key,
// same key ID), make byte-identical deterministic signatures with and
// without a context string, and verify each other's hedged signatures.
func TestEnginesAgree(t *testing.T) {
	ctx := context.Background()
	for _, alg := range mldsaAlgorithms {
		for _, sctx := range []string{"", "orders-v1"} {
			t.Run(fmt.Sprintf("%s/ctx=%q", alg, sctx), func(t *testing.T) {
				seed := writeSecretFile(t, "seed", testSeed(32, 0x21))
				open := func(engine, mode string) provider.Key {
					uri := fmt.Sprintf("pqc:alg=%s;seed-source=file:%s;mode=%s;engine=%s", alg, seed, mode, engine)
					if sctx != "" {
						uri += ";ctx=" + sctx
					}
					k, err := provider.Open(ctx, uri)
					if err != nil {
						t.Fatalf("Open(%s): %v", uri, err)
					}
					t.Cleanup(func() { k.Close() })
					return k
				}
				circl, std := open("circl", "deterministic"), open("std", "deterministic")
				if got := std.(*pqc.Key).Engine(); got != pqc.EngineStd {
					t.Fatalf("engine=std opened engine %q", got)
				}
				if circl.Info() != std.Info() {
					t.Fatalf("same seed, different keys: circl %+v, std %+v", circl.Info(), std.Info())
				}
				if !bytes.Equal(circl.(*pqc.Key).PublicKeyBytes(), std.(*pqc.Key).PublicKeyBytes()) {
					t.Fatal("same seed, different public keys")
				}
				if !circl.(*pqc.Key).Public().(*mldsa.PublicKey).Equal(std.(*pqc.Key).Public()) {
					t.Fatal("Public() differs between engines")
				}
				for _, n := range []int{0, 1, 100, 5000} {
					msg := bytes.Repeat([]byte{byte(n)}, n)
					a, err := circl.Sign(ctx, msg)
					if err != nil {
						t.Fatal(err)
					}
					b, err := std.Sign(ctx, msg)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(a, b) {
						t.Fatalf("%d-byte message: deterministic signatures differ between engines", n)
					}
				}
				hc, hs := open("circl", "hedged"), open("std", "hedged")
				msg := []byte("order 7: SELL 10 XYZ")
				for _, pair := range []struct {
					name         string
					signer, veri provider.Key
				}{{"circl->std", hc, hs}, {"std->circl", hs, hc}} {
					sig, err := pair.signer.Sign(ctx, msg)
					if err != nil {
						t.Fatal(err)
					}
					if err := pair.veri.Verify(ctx, msg, sig); err != nil {
						t.Errorf("%s: hedged signature rejected: %v", pair.name, err)
					}
					sig[10] ^= 1
					if err := pair.veri.Verify(ctx, msg, sig); !errors.Is(err, provider.ErrInvalidSignature) {
						t.Errorf("%s: tampered signature: %v, want ErrInvalidSignature", pair.name, err)
					}
				}
			})
		}
	}
}

// mu computes FIPS 204's external μ = SHAKE256(SHAKE256(pk, 64) ‖ 0 ‖
// len(ctx) ‖ ctx ‖ msg, 64).
func mu(pk []byte, ctxString string, msg []byte) []byte {
	tr := sha3.SumSHAKE256(pk, 64)
	h := sha3.NewSHAKE256()
	h.Write(tr)
	h.Write([]byte{0, byte(len(ctxString))})
	h.Write([]byte(ctxString))
	h.Write(msg)
	out := make([]byte, 64)
	h.Read(out)
	return out
}

// TestCryptoSignerExternalMu signs an external μ through the crypto.Signer
// of a std key (crypto.MLDSAMu) and checks the signature verifies for the
// message; circl cannot, and says to use engine=std.
func TestCryptoSignerExternalMu(t *testing.T) {
	ctx := context.Background()
	msg := []byte("a message too long for the signer to see whole")
	for _, engine := range []string{pqc.EngineStd, pqc.EngineCircl} {
		t.Run(engine, func(t *testing.T) {
			k, err := pqc.NewFromSeed(testSeed(32, 5), pqc.Options{Engine: engine, Context: []byte("orders-v1")})
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			cs, err := provider.CryptoSigner(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			m := mu(k.PublicKeyBytes(), "orders-v1", msg)
			sig, err := cs.Sign(nil, m, crypto.MLDSAMu)
			if engine == pqc.EngineCircl {
				if !errors.Is(err, provider.ErrUnsupported) {
					t.Fatalf("circl signing μ: %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Verify(ctx, msg, sig); err != nil {
				t.Fatalf("signature of μ does not verify for the message: %v", err)
			}
			if _, err := cs.Sign(nil, m[:63], crypto.MLDSAMu); !errors.Is(err, provider.ErrInvalidConfig) {
				t.Errorf("63-byte μ: %v, want ErrInvalidConfig", err)
			}
			if _, err := cs.Sign(nil, msg, &mldsa.Options{Context: "other"}); !errors.Is(err, provider.ErrInvalidConfig) {
				t.Errorf("another context: %v, want ErrInvalidConfig", err)
			}
			sig, err = cs.Sign(nil, msg, &mldsa.Options{Context: "orders-v1"})
			if err != nil {
				t.Fatal(err)
			}
			if err := mldsa.Verify(cs.Public().(*mldsa.PublicKey), msg, sig, &mldsa.Options{Context: "orders-v1"}); err != nil {
				t.Errorf("crypto/mldsa rejects the crypto.Signer signature: %v", err)
			}
		})
	}
}
