package awskms

import (
	"context"
	"errors"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tinywindow/tinywindow/provider"
)

// opError maps an error of a KMS call onto the provider taxonomy, keeping
// the SDK's error as the cause: "awskms GenerateMac alias/x: backend
// unavailable: operation error KMS: …". op names the KMS operation and key
// the key it was called on. Invalid-signature answers are the caller's to
// recognise first (see isAPIError): opError never returns
// ErrInvalidSignature.
func opError(op, key string, err error) *provider.OpError {
	kind := errorKind(err)
	return &provider.OpError{Backend: Scheme, Op: op, Key: key, Kind: kind, Err: err, Remedy: remedy(kind)}
}

func errorKind(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return provider.ErrUnavailable
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NotFoundException":
			return provider.ErrKeyNotFound
		case "DisabledException", "KMSInvalidStateException", "KeyUnavailableException",
			"DependencyTimeoutException", "KMSInternalException", "InternalFailure", "InternalFailureException",
			"ServiceUnavailable", "ServiceUnavailableException",
			"ThrottlingException", "Throttling", "LimitExceededException", "RequestLimitExceeded", "TooManyRequestsException":
			return provider.ErrUnavailable
		case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
			"IncompleteSignature", "ExpiredTokenException", "InvalidClientTokenId", "MissingAuthenticationToken":
			return provider.ErrPermissionDenied
		case "InvalidKeyUsageException", "UnsupportedOperationException":
			return provider.ErrUnsupported
		case "InvalidArnException", "InvalidAliasNameException", "ValidationException", "InvalidGrantTokenException":
			return provider.ErrInvalidConfig
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil {
		switch code := respErr.HTTPStatusCode(); {
		case code == 403 || code == 401:
			return provider.ErrPermissionDenied
		case code == 404:
			return provider.ErrKeyNotFound
		case code == 429 || code >= 500:
			return provider.ErrUnavailable
		case code >= 400:
			return provider.ErrInvalidConfig
		}
	}
	// Connection failures, exhausted retries and anything else that kept the
	// call from being answered: the service could not be reached.
	return provider.ErrUnavailable
}

// remedy says what an operator may do about an error of kind kind.
func remedy(kind error) string {
	switch kind {
	case provider.ErrKeyNotFound:
		return "check key-id, region and endpoint: the key or alias does not exist there"
	case provider.ErrPermissionDenied:
		return "the credentials from the SDK's chain lack kms permissions for this key, or are invalid"
	}
	return ""
}

// isAPIError reports whether err carries the KMS error code.
func isAPIError(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}
