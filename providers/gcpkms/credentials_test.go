package gcpkms_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// TestCredentialErrors opens a key over TLS (so with Application Default
// Credentials) with each way they can fail, and checks the kind (never
// ErrPermissionDenied) and that the message says what is missing. Nothing
// is asked off the machine: the endpoint and the metadata server are on
// loopback.
func TestCredentialErrors(t *testing.T) {
	noAccount := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Metadata-Flavor", "Google")
		http.NotFound(w, r)
	}))
	defer noAccount.Close()
	const uri = "gcpkms:key=projects/p/locations/global/keyRings/r/cryptoKeys/k?endpoint=127.0.0.1:1"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want error
		says string
	}{
		{"credentials file missing", map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/tw-adc.json"},
			provider.ErrInvalidConfig, "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS"},
		{"metadata server without a service account", map[string]string{"GCE_METADATA_HOST": strings.TrimPrefix(noAccount.URL, "http://")},
			provider.ErrInvalidConfig, "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS"},
		{"metadata server unreachable", map[string]string{"GCE_METADATA_HOST": "127.0.0.1:1"},
			provider.ErrUnavailable, "getting an access token (within 3s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir() // no gcloud well-known file
			t.Setenv("HOME", dir)
			t.Setenv("CLOUDSDK_CONFIG", dir)
			for _, k := range []string{"GOOGLE_APPLICATION_CREDENTIALS", "GCE_METADATA_HOST", "GCE_METADATA_IP"} {
				t.Setenv(k, "") // restored after the test
				os.Unsetenv(k)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := provider.Open(t.Context(), uri)
			if !errors.Is(err, tc.want) || errors.Is(err, provider.ErrPermissionDenied) {
				t.Fatalf("Open: %v; want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "gcpkms open projects/p/locations/global/keyRings/r/cryptoKeys/k: ") || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Open: %v; want gcpkms open …: … %s", err, tc.says)
			}
		})
	}
}

// TestCredentialsFromFile: a service account key file gives credentials at
// open without any request (the token is a self-signed JWT), so the first
// error is the service's, not the credentials'.
func TestCredentialsFromFile(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "tw-test@p.iam.gserviceaccount.com", "token_uri": "http://127.0.0.1:1/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(file, sa, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", file)
	_, err = provider.Open(t.Context(), "gcpkms:key=projects/p/locations/global/keyRings/r/cryptoKeys/k?endpoint=127.0.0.1:1&max-attempts=1")
	if !errors.Is(err, provider.ErrUnavailable) || !strings.HasPrefix(err.Error(), "gcpkms ListCryptoKeyVersions ") {
		t.Fatalf("Open: %v; want the unreachable service's ErrUnavailable from ListCryptoKeyVersions", err)
	}
}
