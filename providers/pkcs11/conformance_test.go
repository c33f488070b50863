//go:build cgo && !nopkcs11

package pkcs11

import (
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
)

// TestConformance runs the shared suite on every key type, with the
// signature checked locally and in the token, and with and without
// session-object copies.
func TestConformance(t *testing.T) {
	needKeys(t)
	for _, tc := range []struct {
		name, object, other string
		extra               []string
		alg                 provider.Algorithm
	}{
		{"HMAC-SHA256", "hmac", "hmac-other", nil, provider.HMACSHA256},
		{"HMAC-SHA256/token-object", "hmac", "hmac-other", []string{"session-keys=off"}, provider.HMACSHA256},
		{"ECDSA-P256-SHA256", "p256", "p256-other", nil, provider.ECDSAP256SHA256},
		{"ECDSA-P256-SHA256/verify-hsm", "p256", "p256-other", []string{"verify=hsm"}, provider.ECDSAP256SHA256},
		{"ECDSA-P384-SHA384", "p384", "p384-other", nil, provider.ECDSAP384SHA384},
		{"ECDSA-P384-SHA384/verify-hsm", "p384", "p384-other", []string{"verify=hsm"}, provider.ECDSAP384SHA384},
		{"Ed25519", "ed25519", "ed25519-other", nil, provider.Ed25519},
		{"Ed25519/verify-hsm", "ed25519", "ed25519-other", []string{"verify=hsm"}, provider.Ed25519},
		{"RSA-PSS-SHA256", "rsa", "rsa-other", nil, provider.RSAPSSSHA256},
		{"RSA-PSS-SHA256/verify-hsm", "rsa", "rsa-other", []string{"verify=hsm"}, provider.RSAPSSSHA256},
		{"RSA-PKCS1-SHA256", "rsa", "rsa-other", []string{"alg=RSA-PKCS1-SHA256"}, provider.RSAPKCS1SHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := mustOpen(t, keyURI(tc.object, tc.extra...))
			if got := k.Info().Algorithm; got != tc.alg {
				t.Fatalf("key %s has algorithm %s, want %s", tc.object, got, tc.alg)
			}
			conformance.Test(t, conformance.Subject{
				Open:            conformance.OpenURI(keyURI(tc.object, tc.extra...)),
				Other:           conformance.OpenURI(keyURI(tc.other, tc.extra...)),
				Goroutines:      32,
				OpsPerGoroutine: 4,
			})
		})
	}
}
