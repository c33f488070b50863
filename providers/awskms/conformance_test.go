package awskms_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/awskms"
)

// TestConformance runs the shared suite on every key type local-kms holds,
// and once more on P-256 with verify=remote.
func TestConformance(t *testing.T) {
	l := needKMS(t)
	for _, tc := range []struct {
		name, key, other string
		query            []string
		alg              provider.Algorithm
		maxMessage       int
	}{
		{name: "P-256", key: "alias/tw-p256-a", other: "alias/tw-p256-b", alg: provider.ECDSAP256SHA256},
		{name: "P-384", key: "alias/tw-p384-a", other: "alias/tw-p384-b", alg: provider.ECDSAP384SHA384},
		{name: "RSA-2048", key: "alias/tw-rsa2048-a", other: "alias/tw-rsa2048-b", alg: provider.RSAPSSSHA256},
		{name: "HMAC_256", key: "alias/tw-hmac-mvp42", other: "alias/tw-hmac-b", alg: provider.HMACSHA256, maxMessage: awskms.RawMessageLimit},
		{name: "P-256/verify=remote", key: "alias/tw-p256-a", other: "alias/tw-p256-b", alg: provider.ECDSAP256SHA256, query: []string{"verify=remote"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := func(id string) func(ctx context.Context) (provider.Key, error) {
				return func(ctx context.Context) (provider.Key, error) { return provider.Open(ctx, l.URI(id, tc.query...)) }
			}
			k, err := open(tc.key)(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := k.Info().Algorithm; got != tc.alg {
				t.Fatalf("algorithm from DescribeKey = %s, want %s", got, tc.alg)
			}
			k.Close()
			conformance.Test(t, conformance.Subject{
				Open:            open(tc.key),
				Other:           open(tc.other),
				MaxMessage:      tc.maxMessage,
				Goroutines:      16,
				OpsPerGoroutine: 4,
			})
		})
	}
}

// TestIdentity checks what an audit report learns of a KMS key: its ARN,
// region, key ID and verify mode.
func TestIdentity(t *testing.T) {
	l := needKMS(t)
	for _, tc := range []struct {
		key, query, mode string
	}{
		{"alias/tw-p256-a", "", "local"},
		{"alias/tw-p256-a", "verify=remote", "remote"},
		{"alias/tw-hmac-b", "", "remote"},
	} {
		uri := l.URI(tc.key)
		if tc.query != "" {
			uri = l.URI(tc.key, tc.query)
		}
		rep, err := conformance.Run(t.Context(), conformance.Subject{URI: uri, Open: conformance.OpenURI(uri), Goroutines: 2, OpsPerGoroutine: 1, MaxMessage: awskms.RawMessageLimit})
		if err != nil {
			t.Fatal(err)
		}
		id := rep.BackendIdentity
		if rep.VerifyMode != tc.mode || !strings.HasPrefix(id["key-arn"], "arn:aws:kms:") || id["key-id"] != tc.key ||
			!strings.Contains(id["key-arn"], ":"+id["region"]+":") || id["endpoint"] == "" || rep.IdentityError != "" {
			t.Errorf("%s: verify mode %q, identity %v (%s)", uri, rep.VerifyMode, id, rep.IdentityError)
		}
	}
}
