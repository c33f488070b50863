package pqc_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"github.com/cloudflare/circl/sign/slhdsa"

	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// The benchmarks run each operation through the backend ("pqc") and as the
// raw circl call ("circl") in the same run, so their ratio is the backend's
// overhead. Messages are 64 bytes, the context string empty.

func benchMessage() []byte { return testSeed(64, 0x33) }

// rawCircl is one parameter set called directly through circl.
type rawCircl struct {
	keygen func(seed []byte)
	sign   func(msg, sig []byte, deterministic bool)
	verify func(msg, sig []byte) bool
}

func newRawCircl(b *testing.B, alg provider.Algorithm, seed []byte) rawCircl {
	var xi [32]byte
	copy(xi[:], seed)
	switch alg {
	case provider.MLDSA44:
		pk, sk := mldsa44.NewKeyFromSeed(&xi)
		return rawCircl{
			keygen: func(s []byte) { mldsa44.NewKeyFromSeed((*[32]byte)(s)) },
			sign:   func(m, sig []byte, d bool) { _ = mldsa44.SignTo(sk, m, nil, !d, sig) },
			verify: func(m, sig []byte) bool { return mldsa44.Verify(pk, m, nil, sig) },
		}
	case provider.MLDSA65:
		pk, sk := mldsa65.NewKeyFromSeed(&xi)
		return rawCircl{
			keygen: func(s []byte) { mldsa65.NewKeyFromSeed((*[32]byte)(s)) },
			sign:   func(m, sig []byte, d bool) { _ = mldsa65.SignTo(sk, m, nil, !d, sig) },
			verify: func(m, sig []byte) bool { return mldsa65.Verify(pk, m, nil, sig) },
		}
	case provider.MLDSA87:
		pk, sk := mldsa87.NewKeyFromSeed(&xi)
		return rawCircl{
			keygen: func(s []byte) { mldsa87.NewKeyFromSeed((*[32]byte)(s)) },
			sign:   func(m, sig []byte, d bool) { _ = mldsa87.SignTo(sk, m, nil, !d, sig) },
			verify: func(m, sig []byte) bool { return mldsa87.Verify(pk, m, nil, sig) },
		}
	}
	id := map[provider.Algorithm]slhdsa.ID{provider.SLHDSASHA2128s: slhdsa.SHA2_128s, provider.SLHDSASHA2128f: slhdsa.SHA2_128f}[alg]
	pk, sk, err := slhdsa.GenerateKey(bytesReaderOf(seed), id)
	if err != nil {
		b.Fatal(err)
	}
	return rawCircl{
		keygen: func(s []byte) { _, _, _ = slhdsa.GenerateKey(bytesReaderOf(s), id) },
		sign: func(m, _ []byte, d bool) {
			if d {
				_, _ = slhdsa.SignDeterministic(&sk, slhdsa.NewMessage(m), nil)
			} else {
				_, _ = slhdsa.SignRandomized(&sk, rand.Reader, slhdsa.NewMessage(m), nil)
			}
		},
		verify: func(m, sig []byte) bool { return slhdsa.Verify(&pk, slhdsa.NewMessage(m), sig, nil) },
	}
}

func benchKeys(b *testing.B, alg provider.Algorithm, deterministic bool) (*pqc.Key, rawCircl, []byte) {
	n, _ := pqc.SeedSize(alg)
	seed := testSeed(n, 1)
	k, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg, Deterministic: deterministic})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { k.Close() })
	return k, newRawCircl(b, alg, seed), seed
}

func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	msg := benchMessage()
	for _, alg := range pqc.Algorithms() {
		for _, mode := range []string{"hedged", "deterministic"} {
			det := mode == "deterministic"
			k, raw, _ := benchKeys(b, alg, det)
			size, _ := pqc.SignatureSize(alg)
			b.Run(alg.String()+"/"+mode+"/pqc", func(b *testing.B) {
				sig := make([]byte, 0, size)
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if sig, err = k.SignAppend(ctx, sig[:0], msg); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(alg.String()+"/"+mode+"/circl", func(b *testing.B) {
				sig := make([]byte, size)
				b.ReportAllocs()
				for b.Loop() {
					raw.sign(msg, sig, det)
				}
			})
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	msg := benchMessage()
	for _, alg := range pqc.Algorithms() {
		k, raw, _ := benchKeys(b, alg, false)
		sig, err := k.Sign(ctx, msg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(alg.String()+"/pqc", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := k.Verify(ctx, msg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg.String()+"/circl", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !raw.verify(msg, sig) {
					b.Fatal("circl rejects the signature")
				}
			}
		})
	}
}

func BenchmarkKeygen(b *testing.B) {
	for _, alg := range pqc.Algorithms() {
		_, raw, seed := benchKeys(b, alg, false)
		b.Run(alg.String()+"/pqc", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg})
				if err != nil {
					b.Fatal(err)
				}
				k.Close()
			}
		})
		b.Run(alg.String()+"/circl", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				raw.keygen(seed)
			}
		})
	}
}

// BenchmarkPaired times the backend and the raw circl call alternately in one
// loop, so that both see the same machine load, and reports each one's
// percentiles and their ratios (latency.Interleave): p50-ratio is pqc/circl
// from the median of each, which ignores the operations that other processes
// slowed down. On a busy machine this is the figure to trust; the separate
// benchmarks above give allocations and absolute times.
func BenchmarkPaired(b *testing.B) {
	ctx := context.Background()
	msg := benchMessage()
	for _, alg := range pqc.Algorithms() {
		size, _ := pqc.SignatureSize(alg)
		for _, op := range []string{"sign-hedged", "sign-deterministic", "verify", "keygen"} {
			b.Run(alg.String()+"/"+op, func(b *testing.B) {
				det := op == "sign-deterministic"
				k, raw, seed := benchKeys(b, alg, det)
				sig, err := k.Sign(ctx, msg)
				if err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, 0, size)
				var ours, theirs func() error
				switch op {
				case "sign-hedged", "sign-deterministic":
					ours = func() (err error) {
						buf, err = k.SignAppend(ctx, buf[:0], msg)
						return err
					}
					rawSig := make([]byte, size)
					theirs = func() error { raw.sign(msg, rawSig, det); return nil }
				case "verify":
					ours = func() error { return k.Verify(ctx, msg, sig) }
					theirs = func() error {
						if !raw.verify(msg, sig) {
							return errors.New("circl rejects the signature")
						}
						return nil
					}
				case "keygen":
					ours = func() error {
						k, err := pqc.NewFromSeed(seed, pqc.Options{Algorithm: alg})
						if err != nil {
							return err
						}
						k.Close()
						return nil
					}
					theirs = func() error { raw.keygen(seed); return nil }
				}
				latency.Interleave(b, "pqc", ours, "circl", theirs)
			})
		}
	}
}
