package vaulttransit_test

import (
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

func TestGenerate(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	ctx := t.Context()
	for _, tc := range []struct {
		alg  provider.Algorithm
		key  string
		want provider.Algorithm
	}{
		{"", "default", provider.ECDSAP256SHA256},
		{provider.ECDSAP384SHA384, "p384", provider.ECDSAP384SHA384},
		{provider.Ed25519, "ed", provider.Ed25519},
		{provider.RSAPSSSHA256, "pss", provider.RSAPSSSHA256},
		{provider.RSAPKCS1SHA256, "pkcs1", provider.RSAPKCS1SHA256},
		{provider.HMACSHA256, "mac", provider.HMACSHA256},
	} {
		info, err := provider.Generate(ctx, d.uri(tc.key), provider.GenerateRequest{Algorithm: tc.alg})
		if err != nil {
			t.Fatalf("Generate %q: %v", tc.alg, err)
		}
		if info.Algorithm != tc.want || info.Version != "1" || info.Backend != "vault" {
			t.Errorf("Generate %q: %+v", tc.alg, info)
		}
		attrs := []string{}
		if tc.want == provider.RSAPKCS1SHA256 {
			attrs = append(attrs, "signature-algorithm=pkcs1v15")
		}
		k, err := provider.Open(ctx, d.uri(tc.key, attrs...))
		if err != nil {
			t.Fatal(err)
		}
		if k.Info() != info {
			t.Errorf("opened %+v, generated %+v", k.Info(), info)
		}
		k.Close()
		if _, err := provider.Generate(ctx, d.uri(tc.key), provider.GenerateRequest{Algorithm: tc.alg}); !errors.Is(err, provider.ErrInvalidConfig) {
			t.Errorf("Generate over an existing key: %v, want ErrInvalidConfig", err)
		}
	}
	for _, tc := range []struct {
		uri  string
		req  provider.GenerateRequest
		want error
	}{
		{d.uri("x", "version=1"), provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{d.uri("x"), provider.GenerateRequest{Import: "env:KEY"}, provider.ErrUnsupported},
		{d.uri("x"), provider.GenerateRequest{Algorithm: provider.MLDSA65}, provider.ErrUnsupported},
		{d.uri("x", "signature-algorithm=pss"), provider.GenerateRequest{Algorithm: provider.RSAPKCS1SHA256}, provider.ErrInvalidConfig},
		{d.uri("x", "signature-algorithm=pkcs1v15"), provider.GenerateRequest{Algorithm: provider.Ed25519}, provider.ErrInvalidConfig},
	} {
		if _, err := provider.Generate(ctx, tc.uri, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("Generate(%q, %+v) = %v, want %v", tc.uri, tc.req, err, tc.want)
		}
	}
}
