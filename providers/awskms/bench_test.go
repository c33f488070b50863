package awskms_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
)

// Benchmarks against the shared local-kms on loopback. Sign through the
// backend is measured against the same KMS call made with the raw SDK
// (hashing included in both); local Verify against KMS's Verify and against
// crypto/ecdsa alone. Each reports its latency percentiles besides ns/op
// (latency.Measure).
//
//	go test -run '^$' -bench . -benchtime 2s -count 5 ./providers/awskms/

func latencies(b *testing.B, op func() error) {
	b.ReportAllocs()
	latency.Measure(b, op)
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
// reports each one's percentiles and their ratios (latency.Interleave).
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
	b.ReportAllocs()
	latency.Interleave(b, "awskms", func() error {
		_, err := k.Sign(ctx, msg)
		return err
	}, "raw", func() error {
		d := sha256.Sum256(msg)
		_, err := c.Sign(ctx, &kms.SignInput{
			KeyId: aws.String("alias/tw-p256-a"), Message: d[:],
			MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256,
		})
		return err
	})
}
