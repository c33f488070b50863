package gcpkms

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/provider"
)

// errCorrupted marks an answer whose CRC32C checks failed: the bytes were
// damaged on the way, and the call is retried like an unavailable service.
var errCorrupted = errors.New("CRC32C mismatch")

// opError maps an error of a Cloud KMS call onto the provider taxonomy,
// keeping the gRPC status as the cause: "gcpkms MacSign projects/…:
// backend unavailable: rpc error: …". op names the RPC and name the
// resource it was called on. It never returns ErrInvalidSignature.
func opError(op, name string, err error) *provider.OpError {
	kind := errorKind(err)
	return &provider.OpError{Backend: Scheme, Op: op, Key: name, Kind: kind, Err: err, Remedy: remedy(kind)}
}

func errorKind(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errCorrupted) {
		return provider.ErrUnavailable
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.NotFound:
			return provider.ErrKeyNotFound
		case codes.PermissionDenied, codes.Unauthenticated:
			return provider.ErrPermissionDenied
		case codes.InvalidArgument, codes.OutOfRange, codes.AlreadyExists:
			return provider.ErrInvalidConfig
		case codes.Unimplemented:
			return provider.ErrUnsupported
		}
	}
	// Unavailable, ResourceExhausted (quota), DeadlineExceeded, Aborted,
	// Internal, FailedPrecondition (a disabled or destroyed version) and
	// anything else that kept the call from being answered.
	return provider.ErrUnavailable
}

// retryable reports whether a call that failed with err may succeed when
// made again: the service was unavailable, throttled, timed out on its side,
// or the answer was corrupted on the way.
func retryable(err error) bool {
	if errors.Is(err, errCorrupted) {
		return true
	}
	if s, ok := status.FromError(err); ok {
		switch s.Code() {
		case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.Internal, codes.DeadlineExceeded:
			return true
		}
	}
	return false
}

// remedy says what an operator may do about an error of kind kind.
func remedy(kind error) string {
	switch kind {
	case provider.ErrKeyNotFound:
		return "check key= and version=: no such key or version in that project, location and key ring"
	case provider.ErrPermissionDenied:
		return "the Application Default Credentials lack cloudkms permissions on this key, or are invalid"
	}
	return ""
}
