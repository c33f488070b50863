package awskms

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tinywindow/tinywindow/internal/printable"
	"github.com/tinywindow/tinywindow/provider"
)

// CredentialTimeout bounds how long opening a key spends getting AWS
// credentials from the SDK's default chain, whatever the caller's deadline:
// asking the instance-metadata service, a container credential endpoint,
// SSO, STS (web identity) or a credential_process. Credentials in the
// environment or a profile's file need no time.
const CredentialTimeout = 3 * time.Second

// noCredentials says what to set when the chain found no credentials.
const noCredentials = "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, name a profile that has them (profile= in the key URI, or AWS_PROFILE), or run where a role supplies them (EC2 instance profile, ECS task role, EKS web identity)"

// loadCredentials gets the credentials the client will sign with, once, at
// open (the SDK caches them), within CredentialTimeout. No credentials
// anywhere is ErrInvalidConfig naming what to set; a source that is
// configured but cannot be reached is ErrUnavailable; a source that refuses
// is ErrPermissionDenied.
func loadCredentials(ctx context.Context, cfg aws.Config, keyID string) error {
	fail := func(kind error, format string, args ...any) error {
		return provider.OpErrorf(Scheme, "open", keyID, kind, format, args...)
	}
	if cfg.Credentials == nil {
		return fail(provider.ErrInvalidConfig, "%s", noCredentials)
	}
	bounded, cancel := context.WithTimeout(ctx, CredentialTimeout)
	defer cancel()
	_, err := cfg.Credentials.Retrieve(bounded)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fail(provider.ErrUnavailable, "getting AWS credentials: %w", ctx.Err())
	}
	imds := aws.IsCredentialsProvider(cfg.Credentials, (*ec2rolecreds.Provider)(nil))
	kind := credentialErrorKind(err, imds, imdsEndpoint(cfg) != "")
	switch {
	case imds && kind == provider.ErrInvalidConfig:
		return fail(kind, "%s; the instance-metadata service, the last place the SDK looks, gave none: %w", noCredentials, printable.Error(err))
	case imds:
		return fail(kind, "the instance-metadata service at %s gave no credentials within %v: %w", imdsEndpoint(cfg), CredentialTimeout, printable.Error(err))
	}
	return fail(kind, "getting AWS credentials from the SDK's chain (within %v): %w", CredentialTimeout, printable.Error(err))
}

// credentialErrorKind classifies a failure to get credentials. imds: the
// chain found nothing else and asked the instance-metadata service;
// explicitIMDS: its endpoint was configured (AWS_EC2_METADATA_SERVICE_ENDPOINT
// or ec2_metadata_service_endpoint). The service unreachable at its default
// address means no credentials (off EC2 nothing answers there); a
// configured source that cannot be reached is unavailable.
func credentialErrorKind(err error, imds, explicitIMDS bool) error {
	var send *smithyhttp.RequestSendError
	unreachable := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &send)
	switch {
	case imds && (!unreachable || !explicitIMDS):
		return provider.ErrInvalidConfig
	case unreachable:
		return provider.ErrUnavailable
	}
	if kind := errorKind(err); kind == provider.ErrPermissionDenied {
		return kind
	}
	return provider.ErrInvalidConfig
}

// imdsEndpoint returns the instance-metadata endpoint the configuration
// names, or "" for the SDK's default.
func imdsEndpoint(cfg aws.Config) string {
	for _, s := range cfg.ConfigSources {
		switch s := s.(type) {
		case config.EnvConfig:
			if s.EC2IMDSEndpoint != "" {
				return s.EC2IMDSEndpoint
			}
		case config.SharedConfig:
			if s.EC2IMDSEndpoint != "" {
				return s.EC2IMDSEndpoint
			}
		}
	}
	return ""
}
