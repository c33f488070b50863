package service

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/provider"
)

// toStatus maps a backend error onto a gRPC status, which the remote backend
// maps back onto the provider error taxonomy:
//
//	context.DeadlineExceeded   DEADLINE_EXCEEDED
//	context.Canceled           CANCELLED
//	ErrKeyNotFound             NOT_FOUND
//	ErrPermissionDenied        PERMISSION_DENIED
//	ErrUnsupported             UNIMPLEMENTED
//	ErrInvalidConfig           INVALID_ARGUMENT
//	ErrUnavailable, ErrClosed  UNAVAILABLE
//	anything else              INTERNAL
//
// ErrInvalidSignature never becomes a status: Verify answers valid=false.
func toStatus(op, name string, err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, provider.ErrKeyNotFound):
		code = codes.NotFound
	case errors.Is(err, provider.ErrPermissionDenied):
		code = codes.PermissionDenied
	case errors.Is(err, provider.ErrUnsupported):
		code = codes.Unimplemented
	case errors.Is(err, provider.ErrInvalidConfig):
		code = codes.InvalidArgument
	case errors.Is(err, provider.ErrUnavailable), errors.Is(err, provider.ErrClosed):
		code = codes.Unavailable
	}
	return status.Errorf(code, "%s with key %s: %v", op, name, err)
}
