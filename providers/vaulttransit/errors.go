package vaulttransit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/tinywindow/tinywindow/provider"
)

// vaultError maps an error of a Vault call onto the provider taxonomy,
// keeping the client's error (an *api.ResponseError for an HTTP answer) as
// the cause. It never returns ErrInvalidSignature.
func vaultError(op, key string, err error) error {
	kind := errorKind(err)
	return fmt.Errorf("%w: vault %s of %s: %w%s", kind, op, key, err, hint(kind))
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

func hint(kind error) string {
	switch kind {
	case provider.ErrKeyNotFound:
		return " (check addr, namespace, mount and key: no such Transit key or version there)"
	case provider.ErrPermissionDenied:
		return " (the token is invalid or expired, or its policy lacks this path; see docs/vault.md for the policy)"
	}
	return ""
}
