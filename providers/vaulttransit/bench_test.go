package vaulttransit_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
)

// Benchmarks against the double on loopback. Sign through the backend is
// paired with the same sign call made with the raw client (digest and
// base64 included in both, the prefix stripped and decoded in ours); local
// Verify with verify=remote.
//
//	go test -run '^$' -bench . -benchtime 2000x -count 3 ./providers/vaulttransit/

// BenchmarkSignInterleaved alternates a Sign through the backend with the
// raw client's write to transit/sign, so that both meet the same load, and
// reports each one's percentiles and their ratios (latency.Interleave).
func BenchmarkSignInterleaved(b *testing.B) {
	d := sharedVault()
	ctx := context.Background()
	k, err := provider.Open(ctx, d.uri("ecdsa-p256-a"))
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	cfg := api.DefaultConfig()
	cfg.Address = d.srv.URL
	c, err := api.NewClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	c.SetToken(doubleToken)
	msg := make([]byte, 64)
	b.ReportAllocs()
	latency.Interleave(b, "vault", func() error {
		_, err := k.Sign(ctx, msg)
		return err
	}, "raw", func() error {
		dg := sha256.Sum256(msg)
		_, err := c.Logical().WriteWithContext(ctx, "transit/sign/ecdsa-p256-a", map[string]any{
			"input": base64.StdEncoding.EncodeToString(dg[:]), "prehashed": true, "hash_algorithm": "sha2-256",
			"key_version": 1, "marshaling_algorithm": "asn1",
		})
		return err
	})
}

func BenchmarkVerify(b *testing.B) {
	d := sharedVault()
	ctx := context.Background()
	msg := make([]byte, 64)
	for _, verify := range []string{"local", "remote"} {
		b.Run(verify+"/P-256", func(b *testing.B) {
			k, err := provider.Open(ctx, d.uri("ecdsa-p256-a", "verify="+verify))
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

// BenchmarkVerifyInterleaved alternates a local Verify with a remote one
// (verify=remote) of the same signature and reports each one's percentiles
// and their ratios, remote / local (latency.Interleave).
func BenchmarkVerifyInterleaved(b *testing.B) {
	d := sharedVault()
	ctx := context.Background()
	msg := make([]byte, 64)
	local, err := provider.Open(ctx, d.uri("ecdsa-p256-a"))
	if err != nil {
		b.Fatal(err)
	}
	defer local.Close()
	remote, err := provider.Open(ctx, d.uri("ecdsa-p256-a", "verify=remote"))
	if err != nil {
		b.Fatal(err)
	}
	defer remote.Close()
	sig, err := local.Sign(ctx, msg)
	if err != nil {
		b.Fatal(err)
	}
	latency.Interleave(b, "remote", func() error { return remote.Verify(ctx, msg, sig) },
		"local", func() error { return local.Verify(ctx, msg, sig) })
}
