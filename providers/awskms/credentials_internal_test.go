package awskms

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/tinywindow/tinywindow/provider"
)

// TestCredentialErrorKindIMDS: the instance-metadata service unreachable is
// no credentials (ErrInvalidConfig) at its default address, where nothing
// answers off EC2, and ErrUnavailable at an address the configuration
// names. The error is the SDK's own, from a closed loopback port (the
// default address is off the machine, so the test names the port and tells
// the classifier which case it plays).
func TestCredentialErrorKindIMDS(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion("eu-west-2"),
		config.WithEC2IMDSEndpoint("http://127.0.0.1:1"), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	_, refused := cfg.Credentials.Retrieve(t.Context())
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	_, timedOut := cfg.Credentials.Retrieve(canceled)
	if refused == nil || timedOut == nil {
		t.Fatalf("credentials from a closed port: %v, %v", refused, timedOut)
	}
	for _, tc := range []struct {
		name     string
		err      error
		explicit bool
		want     error
	}{
		{"refused at the default address", refused, false, provider.ErrInvalidConfig},
		{"refused at a configured address", refused, true, provider.ErrUnavailable},
		{"timed out at the default address", timedOut, false, provider.ErrInvalidConfig},
		{"timed out at a configured address", timedOut, true, provider.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := credentialErrorKind(tc.err, true, tc.explicit); got != tc.want {
				t.Errorf("credentialErrorKind(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
