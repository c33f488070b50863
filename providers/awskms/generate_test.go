package awskms_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// TestGenerate creates keys as `tinywindow keygen --signer awskms:... --alg
// ALG` does, and uses them.
func TestGenerate(t *testing.T) {
	l := needKMS(t)
	ctx := t.Context()
	for _, tc := range []struct {
		alias string
		alg   provider.Algorithm
		want  provider.Algorithm
	}{
		{"alias/tw-gen-default", "", provider.ECDSAP256SHA256},
		{"alias/tw-gen-p256", provider.ECDSAP256SHA256, provider.ECDSAP256SHA256},
		{"alias/tw-gen-p384", provider.ECDSAP384SHA384, provider.ECDSAP384SHA384},
		{"alias/tw-gen-hmac", provider.HMACSHA256, provider.HMACSHA256},
	} {
		t.Run(tc.alias, func(t *testing.T) {
			// local-kms lives for the whole test binary: a fresh alias per
			// run keeps -count=N from finding the last run's alias.
			tc.alias = fmt.Sprintf("%s-%d", tc.alias, time.Now().UnixNano())
			info, err := provider.Generate(ctx, l.URI(tc.alias), provider.GenerateRequest{Algorithm: tc.alg})
			if err != nil {
				t.Fatal(err)
			}
			if info.Algorithm != tc.want || info.Backend != "awskms" || info.ID == "" || !strings.Contains(info.Version, ":key/") {
				t.Fatalf("Generate returned %+v", info)
			}
			k, err := provider.Open(ctx, l.URI(tc.alias))
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			if k.Info() != info {
				t.Errorf("the alias opens %+v, Generate described %+v", k.Info(), info)
			}
			sig, err := k.Sign(ctx, []byte("new key"))
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Verify(ctx, []byte("new key"), sig); err != nil {
				t.Fatal(err)
			}
			_, err = provider.Generate(ctx, l.URI(tc.alias), provider.GenerateRequest{Algorithm: tc.alg})
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), "already names") {
				t.Errorf("a second Generate for %s = %v, want ErrInvalidConfig saying the alias already names a key", tc.alias, err)
			}
		})
	}
	for _, tc := range []struct {
		name, uri string
		req       provider.GenerateRequest
		kind      error
	}{
		{"key ID instead of an alias", l.URI(seedKeys[0].id), provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{"reserved alias", l.URI("alias/aws/tw"), provider.GenerateRequest{}, provider.ErrInvalidConfig},
		{"Ed25519", l.URI("alias/tw-gen-ed"), provider.GenerateRequest{Algorithm: provider.Ed25519}, provider.ErrUnsupported},
		{"import", l.URI("alias/tw-gen-imp"), provider.GenerateRequest{Import: "env:X"}, provider.ErrUnsupported},
		{"ML-DSA on local-kms", l.URI("alias/tw-gen-mldsa"), provider.GenerateRequest{Algorithm: provider.MLDSA65}, provider.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := provider.Generate(ctx, tc.uri, tc.req); !errors.Is(err, tc.kind) {
				t.Fatalf("Generate = %v, want %v", err, tc.kind)
			}
		})
	}
}
