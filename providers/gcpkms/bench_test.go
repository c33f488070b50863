package gcpkms_test

import (
	"context"
	"crypto/sha256"
	"testing"

	kms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"
	"github.com/tinywindow/tinywindow/internal/latency"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tinywindow/tinywindow/provider"
)

// Benchmarks against the in-process double on loopback. Sign through the
// backend (digest, CRC32C on the request, checks on the answer) is paired
// with the same AsymmetricSign made with the raw client (digest only);
// local Verify with a MacVerify round trip, the only verification Cloud KMS
// performs.
//
//	go test -run '^$' -bench . -benchtime 2000x -count 3 ./providers/gcpkms/

func rawClient(b *testing.B, d *kmsDouble) *kms.KeyManagementClient {
	c, err := kms.NewKeyManagementClient(context.Background(), option.WithEndpoint(d.addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkSignInterleaved alternates a Sign through the backend with the
// raw client's AsymmetricSign, so that both meet the same load, and reports
// each one's percentiles and their ratios (latency.Interleave).
func BenchmarkSignInterleaved(b *testing.B) {
	d := sharedDouble()
	ctx := context.Background()
	key := testRing + "/cryptoKeys/p256-a"
	k, err := provider.Open(ctx, d.uri(key))
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	c := rawClient(b, d)
	version := key + "/cryptoKeyVersions/1"
	msg := make([]byte, 64)
	b.ReportAllocs()
	latency.Interleave(b, "gcpkms", func() error {
		_, err := k.Sign(ctx, msg)
		return err
	}, "raw", func() error {
		dg := sha256.Sum256(msg)
		_, err := c.AsymmetricSign(ctx, &kmspb.AsymmetricSignRequest{Name: version, Digest: &kmspb.Digest{Digest: &kmspb.Digest_Sha256{Sha256: dg[:]}}})
		return err
	})
}

func BenchmarkVerify(b *testing.B) {
	d := sharedDouble()
	ctx := context.Background()
	msg := make([]byte, 64)
	for _, tc := range []struct{ name, key string }{{"local/P-256", "p256-a"}, {"remote/HMAC", "hmac-a"}} {
		b.Run(tc.name, func(b *testing.B) {
			k, err := provider.Open(ctx, d.uri(testRing+"/cryptoKeys/"+tc.key))
			if err != nil {
				b.Fatal(err)
			}
			defer k.Close()
			sig, err := k.Sign(ctx, msg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := k.Verify(ctx, msg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
