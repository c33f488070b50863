package azurekv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/tinywindow/tinywindow/provider"
)

// mapError returns the OpError of an error of the azkeys client, with the
// provider error kind it stands for and the native error reachable with
// errors.As ("azurekv Sign https://v.vault.azure.net/keys/orders/abc:
// permission denied: HTTP 403 Forbidden: …"):
//
//	404                 ErrKeyNotFound
//	401, 403            ErrPermissionDenied
//	408, 429, 5xx       ErrUnavailable (with the Retry-After the vault asked for)
//	other 4xx           ErrInvalidConfig
//	credential failure  ErrPermissionDenied (no credential at all: ErrInvalidConfig;
//	                    token endpoint unreachable: ErrUnavailable)
//	context, network    ErrUnavailable
func mapError(op string, k *keyRef, err error) error {
	e := &provider.OpError{Backend: Scheme, Op: op, Key: k.id(), Kind: provider.ErrUnavailable, Err: err}
	var re *azcore.ResponseError
	var ce *credentialError
	switch {
	case errors.As(err, &re):
		switch s := re.StatusCode; {
		case s == http.StatusNotFound:
			e.Kind, e.Remedy = provider.ErrKeyNotFound, "check vault=, name= and version="
		case s == http.StatusUnauthorized || s == http.StatusForbidden:
			e.Kind, e.Remedy = provider.ErrPermissionDenied, "grant the identity the keys/get, keys/sign and keys/verify permissions (or the Key Vault Crypto User role)"
		case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
			if d, ok := retryAfter(re.RawResponse); ok {
				e.Remedy = fmt.Sprintf("the vault asked to retry after %v", d)
			}
		case s >= 400:
			e.Kind = provider.ErrInvalidConfig
		}
		e.Err = fmt.Errorf("HTTP %d %s: %w", re.StatusCode, re.ErrorCode, err)
	case errors.As(err, &ce):
		e.Remedy, e.Kind = ce.kind()
		e.Err = fmt.Errorf("getting a token: %w", err)
	}
	// Otherwise the context ended, or the network failed: ErrUnavailable.
	return e
}

// retryStatus lists the statuses retried, as azcore does by default.
func retryStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryPolicy returns the retry policy's decision: retry transport errors and
// the statuses given (nil: those of retryStatus), except when the Retry-After
// the vault sent would end after the request context's deadline; then the
// caller gets the throttling error at once rather than a wait that cannot
// succeed.
func retryPolicy(statuses []int) func(*http.Response, error) bool {
	return func(resp *http.Response, err error) bool {
		if err != nil {
			return true
		}
		if statuses == nil && !retryStatus(resp.StatusCode) || statuses != nil && !slices.Contains(statuses, resp.StatusCode) {
			return false
		}
		return retryFits(resp)
	}
}

// retryFits reports whether the wait a response asks for ends before the
// deadline of its request's context.
func retryFits(resp *http.Response) bool {
	d, ok := retryAfter(resp)
	if !ok || resp.Request == nil {
		return true
	}
	deadline, has := resp.Request.Context().Deadline()
	return !has || time.Now().Add(d).Before(deadline)
}

// retryAfter reads the delay a response asks for, in the headers Azure uses:
// retry-after-ms, x-ms-retry-after-ms (milliseconds), then Retry-After
// (seconds or an HTTP date).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	for _, h := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if v := resp.Header.Get(h); v != "" {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms >= 0 {
				return time.Duration(ms) * time.Millisecond, true
			}
		}
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// CredentialTimeout bounds each request of a token from the credential,
// whatever the caller's deadline: DefaultAzureCredential may ask a managed
// identity endpoint, Microsoft Entra ID, or run the Azure CLI (which takes
// seconds). A credential that has not answered by then is ErrUnavailable.
const CredentialTimeout = 10 * time.Second

// classifiedCredential wraps the credential the client uses, so that its
// failures can be told apart from the vault's once azcore has wrapped them,
// and bounds each token request by CredentialTimeout.
type classifiedCredential struct{ azcore.TokenCredential }

func (c classifiedCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	ctx, cancel := context.WithTimeout(ctx, CredentialTimeout)
	defer cancel()
	tok, err := c.TokenCredential.GetToken(ctx, opts)
	if err != nil {
		return tok, &credentialError{err: err}
	}
	return tok, nil
}

// credentialError is a failure of the credential to give a token.
type credentialError struct{ err error }

func (e *credentialError) Error() string { return e.err.Error() }
func (e *credentialError) Unwrap() error { return e.err }

// kind classifies a credential failure, and says what to do about it: the
// token endpoint unreachable is ErrUnavailable; authentication refused (an
// answer from the token endpoint) is ErrPermissionDenied; no usable
// credential at all (azidentity marks it non-retriable) is ErrInvalidConfig;
// anything else (the context done) is ErrUnavailable.
func (e *credentialError) kind() (remedy string, kind error) {
	var af *azidentity.AuthenticationFailedError
	var nonRetriable interface{ NonRetriable() }
	var netErr net.Error
	switch {
	case errors.As(e.err, &netErr) || errors.As(e.err, &af) && af.RawResponse == nil:
		// The token endpoint (a managed identity endpoint, Entra ID) did
		// not answer: azidentity reports that as an authentication
		// failure too, but nothing was refused.
		return "", provider.ErrUnavailable
	case errors.As(e.err, &af):
		return "the identity's credential was refused: check its secret, certificate or federation", provider.ErrPermissionDenied
	case errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded):
		return "", provider.ErrUnavailable
	case errors.As(e.err, &nonRetriable):
		return noCredentialRemedy, provider.ErrInvalidConfig
	}
	return "", provider.ErrUnavailable
}

// noCredentialRemedy says what to set when no Azure credential is found.
const noCredentialRemedy = "no usable Azure credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, use a managed or workload identity, or run az login"
