//go:build cgo && !nopkcs11

package pkcs11

import (
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/internal/testenv"
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
			k := testenv.MustOpen(t, keyURI(tc.object, tc.extra...))
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

// TestReportProvenance checks the provenance a conformance report gives of a
// key in SoftHSM2: the library (C_GetInfo), the token (C_GetTokenInfo), the
// verify mode and the signer URI.
func TestReportProvenance(t *testing.T) {
	needKeys(t)
	for _, tc := range []struct {
		object, extra, mode string
	}{
		{"p256", "", "local"},
		{"p256", "verify=hsm", "hsm"},
		{"hmac", "", "hsm"},
	} {
		var extra []string
		if tc.extra != "" {
			extra = append(extra, tc.extra)
		}
		uri := keyURI(tc.object, extra...)
		rep, err := conformance.Run(t.Context(), conformance.Subject{URI: uri, Open: conformance.OpenURI(uri), Goroutines: 2, OpsPerGoroutine: 1})
		if err != nil {
			t.Fatal(err)
		}
		id := rep.BackendIdentity
		if rep.Signer != uri || rep.VerifyMode != tc.mode || rep.IdentityError != "" {
			t.Errorf("%s: signer %q, verify mode %q, identity error %q", uri, rep.Signer, rep.VerifyMode, rep.IdentityError)
		}
		for name, want := range map[string]string{
			"library-manufacturer": "SoftHSM", "model": "SoftHSM v2", "manufacturer": "SoftHSM project",
			"token": testToken, "object": tc.object, "module-path": softhsm.module,
		} {
			if id[name] != want {
				t.Errorf("%s: identity %s = %q, want %q", uri, name, id[name], want)
			}
		}
		for _, name := range []string{"serial", "firmware-version", "hardware-version", "library-version", "slot-id", "library-description", "cryptoki-version"} {
			if id[name] == "" {
				t.Errorf("%s: identity has no %s: %v", uri, name, id)
			}
		}
	}
}
