package awskms_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/provider"
)

// Benchmarks against the shared local-kms on loopback. Sign through the
// backend is measured against the same KMS call made with the raw SDK
// (hashing included in both); local Verify against KMS's Verify and against
// crypto/ecdsa alone. Each
// reports its p50 and p99 latency besides ns/op.
//
//	go test -run '^$' -bench . -benchtime 2s -count 5 ./providers/awskms/

func latencies(b *testing.B, op func() error) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	if n := len(lat); n > 0 {
		b.ReportMetric(float64(lat[n/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[n*99/100].Microseconds()), "p99-µs")
	}
}

func BenchmarkSign(b *testing.B) {
	l := needKMS(b)
	ctx := context.Background()
	msg := make([]byte, 64)
	b.Run("awskms/P-256", func(b *testing.B) {
		k, err := provider.Open(ctx, l.URI("alias/tw-p256-a"))
		if err != nil {
			b.Fatal(err)
		}
		defer k.Close()
		latencies(b, func() error { _, err := k.Sign(ctx, msg); return err })
	})
	b.Run("raw-sdk/P-256", func(b *testing.B) {
		c := l.Client()
		latencies(b, func() error {
			d := sha256.Sum256(msg)
			_, err := c.Sign(ctx, &kms.SignInput{
				KeyId: aws.String("alias/tw-p256-a"), Message: d[:],
				MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
			})
			return err
		})
	})
}

func BenchmarkVerify(b *testing.B) {
	l := needKMS(b)
	ctx := context.Background()
	msg := make([]byte, 64)
	for _, verify := range []string{"local", "remote"} {
		b.Run(verify+"/P-256", func(b *testing.B) {
			k, err := provider.Open(ctx, l.URI("alias/tw-p256-a", "verify="+verify))
			if err != nil {
				b.Fatal(err)
			}
			defer k.Close()
			sig, err := k.Sign(ctx, msg)
			if err != nil {
				b.Fatal(err)
			}
			latencies(b, func() error { return k.Verify(ctx, msg, sig) })
		})
	}
	b.Run("stdlib/P-256", func(b *testing.B) {
		k, err := provider.Open(ctx, l.URI("alias/tw-p256-a"))
		if err != nil {
			b.Fatal(err)
		}
		defer k.Close()
		sig, err := k.Sign(ctx, msg)
		if err != nil {
			b.Fatal(err)
		}
		pub := k.(provider.PublicKeyer).Public().(*ecdsa.PublicKey)
		latencies(b, func() error {
			d := sha256.Sum256(msg)
			if !ecdsa.VerifyASN1(pub, d[:], sig) {
				return errors.New("ecdsa.VerifyASN1 rejects the signature")
			}
			return nil
		})
	})
}

// BenchmarkSignInterleaved alternates a Sign through the backend with the
// same raw SDK call, so that both meet the same load on a shared machine, and
// reports each one's p50 and p99 and the ratio of the p50s.
func BenchmarkSignInterleaved(b *testing.B) {
	l := needKMS(b)
	ctx := context.Background()
	msg := make([]byte, 64)
	k, err := provider.Open(ctx, l.URI("alias/tw-p256-a"))
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	c := l.Client()
	var ours, raw []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := k.Sign(ctx, msg); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		d := sha256.Sum256(msg)
		if _, err := c.Sign(ctx, &kms.SignInput{
			KeyId: aws.String("alias/tw-p256-a"), Message: d[:],
			MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
		}); err != nil {
			b.Fatal(err)
		}
		ours, raw = append(ours, mid.Sub(start)), append(raw, time.Since(mid))
	}
	slices.Sort(ours)
	slices.Sort(raw)
	n := len(ours)
	b.ReportMetric(float64(ours[n/2].Microseconds()), "awskms-p50-µs")
	b.ReportMetric(float64(raw[n/2].Microseconds()), "raw-p50-µs")
	b.ReportMetric(float64(ours[n*99/100].Microseconds()), "awskms-p99-µs")
	b.ReportMetric(float64(raw[n*99/100].Microseconds()), "raw-p99-µs")
	b.ReportMetric(float64(ours[n/2])/float64(raw[n/2]), "p50-ratio")
}
