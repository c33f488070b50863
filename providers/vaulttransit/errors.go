package vaulttransit

import (
	"context"
	"errors"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/provider"
)

// opError maps an error of a Vault call onto the provider taxonomy, keeping
// the client's error (an *api.ResponseError for an HTTP answer) as the
// cause: "vault sign orders: permission denied: Error making API request. …".
// op names the Transit endpoint (sign, verify, hmac, read keys, create keys)
// and key the Transit key. It never returns ErrInvalidSignature.
func opError(op, key string, err error) *provider.OpError {
	kind := errorKind(err)
	return &provider.OpError{Backend: Scheme, Op: op, Key: key, Kind: kind, Err: err, Remedy: remedy(kind)}
}

func errorKind(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return provider.ErrUnavailable
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		switch code := re.StatusCode; {
		case code == 401 || code == 403:
			return provider.ErrPermissionDenied
		case code == 404:
			return provider.ErrKeyNotFound
		case code == 400 && notFound(re.Errors):
			// Transit answers a missing key on sign, hmac and verify with
			// 400 "signing key not found".
			return provider.ErrKeyNotFound
		case code == 412 || code == 429 || code >= 500:
			// 412: a performance standby not yet caught up; 429: rate
			// limited; 503: sealed or in standby.
			return provider.ErrUnavailable
		case code >= 400:
			return provider.ErrInvalidConfig
		}
	}
	// Connection failures, exhausted retries and anything else that kept the
	// call from being answered: the server could not be reached.
	return provider.ErrUnavailable
}

func notFound(msgs []string) bool {
	for _, m := range msgs {
		if strings.Contains(m, "not found") {
			return true
		}
	}
	return false
}

// remedy says what an operator may do about an error of kind kind.
func remedy(kind error) string {
	switch kind {
	case provider.ErrKeyNotFound:
		return "check addr, namespace, mount and key: no such Transit key or version there"
	case provider.ErrPermissionDenied:
		return "the token is invalid or expired, or its policy lacks this path; see docs/vault.md for the policy"
	}
	return ""
}
