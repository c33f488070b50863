package awskms_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// imdsWithoutRole is an instance-metadata service on loopback that hands out
// IMDSv2 tokens but has no role to give credentials for, as on an instance
// without an instance profile.
func imdsWithoutRole(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			w.Write([]byte("imds-token-of-the-test"))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCredentialErrors opens a key with each way the SDK's chain can end
// without credentials, and checks the kind (never ErrPermissionDenied) and
// that the message says what is missing. The chain searches what the
// environment names and nothing off the machine: the instance-metadata
// service is disabled, or on a loopback address.
func TestCredentialErrors(t *testing.T) {
	l := needKMS(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want error
		says string
	}{
		{"no credentials, metadata service disabled",
			map[string]string{"AWS_EC2_METADATA_DISABLED": "true"},
			provider.ErrInvalidConfig, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, name a profile"},
		{"no credentials, metadata service has no role",
			map[string]string{"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imdsWithoutRole(t)},
			provider.ErrInvalidConfig, "no AWS credentials: set AWS_ACCESS_KEY_ID"},
		{"metadata service unreachable",
			map[string]string{"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"},
			provider.ErrUnavailable, "the instance-metadata service at http://127.0.0.1:1 gave no credentials within 3s"},
		{"container credential endpoint unreachable",
			map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds"},
			provider.ErrUnavailable, "getting AWS credentials from the SDK's chain"},
	} {
		for _, uri := range []string{l.URI("alias/tw-p256-a"), "awskms:key-id=alias/tw-p256-a;region=eu-west-2"} {
			t.Run(tc.name+"/"+uri[strings.Index(uri, ";")+1:], func(t *testing.T) {
				t.Setenv("AWS_ACCESS_KEY_ID", "")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "")
				for k, v := range tc.env {
					t.Setenv(k, v)
				}
				_, err := provider.Open(t.Context(), uri)
				if !errors.Is(err, tc.want) || errors.Is(err, provider.ErrPermissionDenied) {
					t.Fatalf("Open: %v; want %v", err, tc.want)
				}
				if !strings.Contains(err.Error(), tc.says) || !strings.HasPrefix(err.Error(), "awskms open alias/tw-p256-a: ") {
					t.Errorf("Open: %v; want awskms open alias/tw-p256-a: … %s", err, tc.says)
				}
				if strings.Contains(err.Error(), "lack kms permissions") {
					t.Errorf("Open: %v reads as missing permissions", err)
				}
			})
		}
	}
}
