package vaulttransit_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// TestCredentialErrors opens a key with each way its token can be missing
// and checks that the error is ErrInvalidConfig (never ErrPermissionDenied)
// saying what to set, before any request reaches Vault.
func TestCredentialErrors(t *testing.T) {
	d := startVault()
	defer d.srv.Close()
	d.addKey("transit", "ec", "ecdsa-p256")
	empty := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		uri  string
		says string
	}{
		{"VAULT_TOKEN not set", "vault:addr=" + d.srv.URL + ";key=ec", `environment variable "VAULT_TOKEN" is not set`},
		{"token file missing", "vault:addr=" + d.srv.URL + ";key=ec?token=file:/nonexistent/tw-token", "/nonexistent/tw-token"},
		{"token file empty", "vault:addr=" + d.srv.URL + ";key=ec?token=file:" + empty, "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("VAULT_TOKEN", "") // restored after the test
			os.Unsetenv("VAULT_TOKEN")
			before := d.count("read")
			_, err := provider.Open(t.Context(), tc.uri)
			if !errors.Is(err, provider.ErrInvalidConfig) || errors.Is(err, provider.ErrPermissionDenied) {
				t.Fatalf("Open: %v; want ErrInvalidConfig", err)
			}
			const prefix = "vault open ec: invalid configuration: no Vault token: set VAULT_TOKEN, or name the token's source with token=env:NAME or token=file:PATH: "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Open: %v; want %s… %s", err, prefix, tc.says)
			}
			if n := d.count("read") - before; n != 0 {
				t.Errorf("%d requests reached Vault without a token", n)
			}
		})
	}
}
