package main

import (
	"errors"

	"github.com/tinywindow/tinywindow/provider"
)

// status is a C API status code. The values are part of the ABI: they match
// the TW_* constants in the header (export.go) and never change meaning.
type status int32

const (
	statusOK               status = 0  // TW_OK
	statusInvalidSignature status = 1  // TW_INVALID_SIGNATURE
	statusInvalidArgument  status = 2  // TW_ERR_INVALID_ARGUMENT
	statusBufferTooSmall   status = 3  // TW_ERR_BUFFER_TOO_SMALL
	statusClosed           status = 4  // TW_ERR_CLOSED
	statusInvalidConfig    status = 5  // TW_ERR_INVALID_CONFIG
	statusKeyNotFound      status = 6  // TW_ERR_KEY_NOT_FOUND
	statusUnsupported      status = 7  // TW_ERR_UNSUPPORTED
	statusUnavailable      status = 8  // TW_ERR_UNAVAILABLE
	statusPermissionDenied status = 9  // TW_ERR_PERMISSION_DENIED
	statusInternal         status = 10 // TW_ERR_INTERNAL
	statusUnknown          status = 11 // TW_ERR_UNKNOWN
)

// abiVersion is returned by tw_abi_version. It changes whenever a function's
// signature or a status code's meaning changes, so that a binding can refuse
// a library it was not written for.
const abiVersion = 1

// Errors of the C API itself, beside the provider taxonomy.
var (
	errInvalidArgument = errors.New("invalid argument")
	errBufferTooSmall  = errors.New("output buffer too small")
	errInternal        = errors.New("internal error")
)

// statusOf maps an error to its status code. The provider sentinels are
// checked from the most specific to the least, so that an error wrapping
// several kinds (closed and unavailable) reports the one a caller acts on.
func statusOf(err error) status {
	switch {
	case err == nil:
		return statusOK
	case errors.Is(err, provider.ErrClosed):
		return statusClosed
	case errors.Is(err, provider.ErrInvalidSignature):
		return statusInvalidSignature
	case errors.Is(err, errInvalidArgument):
		return statusInvalidArgument
	case errors.Is(err, errBufferTooSmall):
		return statusBufferTooSmall
	case errors.Is(err, errInternal):
		return statusInternal
	case errors.Is(err, provider.ErrInvalidConfig):
		return statusInvalidConfig
	case errors.Is(err, provider.ErrKeyNotFound):
		return statusKeyNotFound
	case errors.Is(err, provider.ErrUnsupported):
		return statusUnsupported
	case errors.Is(err, provider.ErrPermissionDenied):
		return statusPermissionDenied
	case errors.Is(err, provider.ErrUnavailable):
		return statusUnavailable
	default:
		return statusUnknown
	}
}
