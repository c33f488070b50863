package hmac_test

import (
	"context"
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// The Raw benchmarks are the baseline: crypto/hmac with one reused state, the
// fastest a caller can do by hand. Compare with benchstat or by ratio.

var sizes = []int{64, 1024}

func BenchmarkRawSign(b *testing.B) {
	key := hmac.Keygen(42)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			msg := make([]byte, n)
			h := stdhmac.New(sha256.New, key[:])
			tag := make([]byte, 0, 32)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				h.Reset()
				h.Write(msg)
				tag = h.Sum(tag[:0])
			}
		})
	}
}

func BenchmarkRawVerify(b *testing.B) {
	key := hmac.Keygen(42)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			msg := make([]byte, n)
			h := stdhmac.New(sha256.New, key[:])
			h.Write(msg)
			want := h.Sum(nil)
			tag := make([]byte, 0, 32)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				h.Reset()
				h.Write(msg)
				tag = h.Sum(tag[:0])
				if !stdhmac.Equal(tag, want) {
					b.Fatal("mismatch")
				}
			}
		})
	}
}

// BenchmarkSign signs through the public provider API, as an application
// does: provider.SignAppend on the Key returned by provider.Open.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			msg := make([]byte, n)
			tag := make([]byte, 0, 32)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				tag, err = provider.SignAppend(ctx, key, tag[:0], msg)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			msg := make([]byte, n)
			tag, _ := key.Sign(ctx, msg)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				if err := key.Verify(ctx, msg, tag); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSignParallel(b *testing.B) {
	ctx := context.Background()
	key := hmac.NewFromSeed(42)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		msg := make([]byte, 64)
		tag := make([]byte, 0, 32)
		for pb.Next() {
			tag, _ = key.SignAppend(ctx, tag[:0], msg)
		}
	})
}

func BenchmarkKeygen(b *testing.B) {
	var sink byte
	seed := uint64(0)
	for b.Loop() {
		k := hmac.Keygen(seed)
		sink ^= k[0]
		seed++
	}
	_ = sink
}
