package awskms_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/awskms"
)

// localKMSPSSSalt is why the RSA-PSS checks that verify with the public key
// fail against local-kms (see docs/awskms.md and TestLocalKMSPSSSalt).
const localKMSPSSSalt = "local-kms signs RSA-PSS with the longest salt (222 bytes for RSA_2048), AWS KMS with 32; TinyWindow's rule, like AWS's, wants 32"

// TestConformance runs the shared suite on every key type local-kms holds,
// and once more on P-256 with verify=remote. RSA runs with verify=remote,
// since local-kms's RSA-PSS signatures have a salt AWS KMS never uses: the
// checks that verify with the public key are expected to fail on them, and
// TestLocalKMSPSSSalt covers local verification of RSA keys.
func TestConformance(t *testing.T) {
	l := needKMS(t)
	for _, tc := range []struct {
		name, key, other string
		query            []string
		alg              provider.Algorithm
		maxMessage       int
		deviations       map[string]string
	}{
		{name: "P-256", key: "alias/tw-p256-a", other: "alias/tw-p256-b", alg: provider.ECDSAP256SHA256},
		{name: "P-384", key: "alias/tw-p384-a", other: "alias/tw-p384-b", alg: provider.ECDSAP384SHA384},
		{name: "RSA-2048/verify=remote", key: "alias/tw-rsa2048-a", other: "alias/tw-rsa2048-b", alg: provider.RSAPSSSHA256, query: []string{"verify=remote"},
			deviations: map[string]string{"publickey/stdlib": localKMSPSSSalt, "publickey/crypto-signer": localKMSPSSSalt}},
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
				Deviations:      tc.deviations,
			})
		})
	}
}

// TestIdentity checks what an audit report learns of a KMS key: its ARN,
// region, key ID and verify mode, and its provenance as local-kms reports
// it: its state, creation date and rotation, and an origin local-kms does not
// report, which leaves where it was made unknown rather than assumed.
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
		p := rep.KeyProvenance
		if p.Origin != "" || p.Extractable != "" || p.Attributes["origin"] != "not reported" || p.Attributes["key-state"] != "Enabled" ||
			p.Attributes["rotation"] != "disabled" || p.Attributes["creation-date"] == "" || p.Attributes["key-manager"] != "CUSTOMER" {
			t.Errorf("%s: provenance %+v", uri, p)
		}
	}
}
