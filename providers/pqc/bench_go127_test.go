//go:build go1.27

package pqc_test

import (
	"context"
	"crypto/mldsa"
	"testing"

	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// BenchmarkPairedStd times the std engine against the raw crypto/mldsa call
// ("std/raw": the backend's overhead on the standard library) and against
// the circl engine ("std/circl": what choosing std costs), each pair
// alternately in one loop like BenchmarkPaired (latency.Interleave: "std/raw"
// and "std/circl" are its p50-ratio), for every ML-DSA parameter set. Messages are 64 bytes, the context string empty.
func BenchmarkPairedStd(b *testing.B) {
	ctx := context.Background()
	msg := benchMessage()
	for _, alg := range mldsaAlgorithms {
		params := map[provider.Algorithm]mldsa.Parameters{provider.MLDSA44: mldsa.MLDSA44(), provider.MLDSA65: mldsa.MLDSA65(), provider.MLDSA87: mldsa.MLDSA87()}[alg]
		size, _ := pqc.SignatureSize(alg)
		seed := testSeed(32, 1)
		for _, op := range []string{"sign-hedged", "sign-deterministic", "verify", "keygen"} {
			det := op == "sign-deterministic"
			open := func(engine string) *pqc.Key {
				k, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg, Deterministic: det, Engine: engine})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { k.Close() })
				return k
			}
			raw, err := mldsa.NewPrivateKey(params, seed)
			if err != nil {
				b.Fatal(err)
			}
			rawPub := raw.PublicKey()
			for _, against := range []string{"raw", "circl"} {
				b.Run(alg.String()+"/"+op+"/std-vs-"+against, func(b *testing.B) {
					std := open(pqc.EngineStd)
					sig, err := std.Sign(ctx, msg)
					if err != nil {
						b.Fatal(err)
					}
					buf := make([]byte, 0, size)
					opFor := func(k *pqc.Key, engine string) func() {
						switch op {
						case "verify":
							return func() {
								if err := k.Verify(ctx, msg, sig); err != nil {
									b.Fatal(err)
								}
							}
						case "keygen":
							return func() {
								k, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg, Engine: engine})
								if err != nil {
									b.Fatal(err)
								}
								k.Close()
							}
						}
						return func() {
							if buf, err = k.SignAppend(ctx, buf[:0], msg); err != nil {
								b.Fatal(err)
							}
						}
					}
					ours := opFor(std, pqc.EngineStd)
					var theirs func()
					if against == "circl" {
						theirs = opFor(open(pqc.EngineCircl), pqc.EngineCircl)
					} else {
						switch op {
						case "sign-hedged":
							theirs = func() { raw.Sign(nil, msg, nil) }
						case "sign-deterministic":
							theirs = func() { raw.SignDeterministic(msg, nil) }
						case "verify":
							theirs = func() {
								if mldsa.Verify(rawPub, msg, sig, nil) != nil {
									b.Fatal("crypto/mldsa rejects the signature")
								}
							}
						case "keygen":
							theirs = func() { mldsa.NewPrivateKey(params, seed) }
						}
					}
					latency.Interleave(b, "std", func() error { ours(); return nil }, against, func() error { theirs(); return nil })
				})
			}
		}
	}
}
