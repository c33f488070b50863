package azurekv_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/azurekv"
)

// TestCredentialErrors opens a key with DefaultAzureCredential (Options
// without a Credential) and each way it can end without a token, and checks
// the kind (never ErrPermissionDenied), that the message says what failed
// and that the remedy, left to the *provider.OpError's field, says what is
// missing. Nothing is asked off the machine: AZURE_TOKEN_CREDENTIALS=dev
// leaves out the instance-metadata service, and the managed identity
// endpoint the environment names is on loopback.
func TestCredentialErrors(t *testing.T) {
	v := startVault()
	defer v.Close()
	for _, tc := range []struct {
		name   string
		env    map[string]string
		want   []error // any of these
		says   string
		remedy string // how the remedy starts; "": any
	}{
		{"no credential anywhere", map[string]string{"AZURE_TOKEN_CREDENTIALS": "dev"},
			[]error{provider.ErrInvalidConfig}, "getting a token", "no usable Azure credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"},
		{"managed identity endpoint unreachable", map[string]string{"IDENTITY_ENDPOINT": "http://127.0.0.1:1/token", "IDENTITY_HEADER": "h"},
			[]error{provider.ErrUnavailable, provider.ErrInvalidConfig}, "getting a token", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
				"AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TOKEN_CREDENTIALS", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
				"MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT"} {
				t.Setenv(k, "") // restored after the test
				os.Unsetenv(k)
			}
			t.Setenv("PATH", t.TempDir()) // no az or azd to run
			for k, val := range tc.env {
				t.Setenv(k, val)
			}
			_, err := azurekv.OpenWithOptions(t.Context(), v.uri("p256"), &azurekv.Options{Client: v.clientOptions()})
			matched := false
			for _, w := range tc.want {
				matched = matched || errors.Is(err, w)
			}
			if !matched || errors.Is(err, provider.ErrPermissionDenied) {
				t.Fatalf("Open: %v; want one of %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "azurekv GetKey ") || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Open: %v; want azurekv GetKey …: … %s", err, tc.says)
			}
			var oe *provider.OpError
			if !errors.As(err, &oe) || !strings.HasPrefix(oe.Remedy, tc.remedy) {
				t.Errorf("Open: %v; want an OpError whose remedy starts with %q", err, tc.remedy)
			}
		})
	}
}
