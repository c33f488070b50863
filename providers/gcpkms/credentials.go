package gcpkms

import (
	"context"
	"errors"
	"net/http"
	"time"

	kms "cloud.google.com/go/kms/apiv1"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"cloud.google.com/go/compute/metadata"

	"github.com/tinywindow/tinywindow/provider"
)

// CredentialTimeout bounds how long opening a key spends getting its first
// access token from the Application Default Credentials, whatever the
// caller's deadline: from the metadata server, STS (workload identity
// federation) or Google's token endpoint. Finding the credentials takes at
// most the client library's own probe of the metadata server, two seconds
// off Google Cloud.
const CredentialTimeout = 3 * time.Second

// noCredentials says what to set when Application Default Credentials find
// nothing.
const noCredentials = "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service account or external account file, run gcloud auth application-default login, or run where a service account is attached (Compute Engine, GKE, Cloud Run)"

// loadCredentials finds the Application Default Credentials and gets a
// first token within CredentialTimeout (the token is cached and refreshed
// by the client). No credentials anywhere, or a metadata server without a
// service account, is ErrInvalidConfig naming what to set; a credential
// source that cannot be reached is ErrUnavailable; one that refuses is
// ErrPermissionDenied.
func loadCredentials(ctx context.Context, key string) (*auth.Credentials, error) {
	creds, err := credentials.DetectDefault(&credentials.DetectOptions{Scopes: kms.DefaultAuthScopes(), UseSelfSignedJWT: true})
	if err != nil {
		return nil, provider.OpErrorf(Scheme, "open", key, provider.ErrInvalidConfig, "%s: %w", noCredentials, err)
	}
	bounded, cancel := context.WithTimeout(ctx, CredentialTimeout)
	defer cancel()
	if _, err := creds.Token(bounded); err != nil {
		kind := credentialErrorKind(err)
		if ctx.Err() != nil {
			kind = provider.ErrUnavailable
		}
		if kind == provider.ErrInvalidConfig {
			return nil, provider.OpErrorf(Scheme, "open", key, kind, "%s; the metadata server has no service account: %w", noCredentials, err)
		}
		return nil, provider.OpErrorf(Scheme, "open", key, kind, "getting an access token (within %v): %w", CredentialTimeout, err)
	}
	return creds, nil
}

// credentialErrorKind classifies a failure to get a token: the metadata
// server without a service account is ErrInvalidConfig; a token endpoint
// that answers 4xx refused the credentials (ErrPermissionDenied); anything
// else (no answer, 5xx, the bound reached) is ErrUnavailable.
func credentialErrorKind(err error) error {
	var notDefined metadata.NotDefinedError
	var me *metadata.Error
	var ae *auth.Error
	switch {
	case errors.As(err, &notDefined) || errors.As(err, &me) && me.Code == http.StatusNotFound:
		return provider.ErrInvalidConfig
	case errors.As(err, &ae) && ae.Response != nil && ae.Response.StatusCode >= 400 && ae.Response.StatusCode < 500:
		return provider.ErrPermissionDenied
	}
	return provider.ErrUnavailable
}
