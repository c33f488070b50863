package provider_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// TestVerifyRemote: verify=local and no verify attribute check locally,
// verify=remote in the backend, and anything else is an invalid
// configuration that names the backend and quotes the value.
func TestVerifyRemote(t *testing.T) {
	for _, tc := range []struct {
		uri     string
		remote  bool
		wantErr string
	}{
		{"awskms:key-id=k", false, ""},
		{"awskms:key-id=k?verify=local", false, ""},
		{"awskms:key-id=k?verify=remote", true, ""},
		{"gcpkms:name=n;verify=remote", true, ""},
		{"awskms:key-id=k?verify=Remote", false, `awskms verify="Remote"`},
		{"awskms:key-id=k?verify=", false, `awskms verify=""`},
		{"vault:key=k?verify=%0A", false, `vault verify="\n"; write verify=local`},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			u, err := provider.ParseURI(tc.uri)
			if err != nil {
				t.Fatal(err)
			}
			remote, err := u.VerifyRemote("KMS checks")
			if tc.wantErr != "" {
				if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want ErrInvalidConfig containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || remote != tc.remote {
				t.Fatalf("VerifyRemote = %v, %v; want %v, nil", remote, err, tc.remote)
			}
		})
	}
}
