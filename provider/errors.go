package provider

import "errors"

// The error taxonomy shared by all backends. Backends wrap these sentinels
// together with their native error (a CKR_* code, an AWS or Azure error), so
// that errors.Is matches the kind and errors.As still reaches the original;
// a failed call to a backend's service is an [OpError] that holds both:
//
//	&provider.OpError{Backend: "awskms", Op: "Sign", Key: keyID, Kind: provider.ErrUnavailable, Err: err}
var (
	// ErrInvalidSignature means the signature was checked and is not valid
	// for the message and key. It never means the check could not be made.
	ErrInvalidSignature = errors.New("invalid signature")

	// ErrKeyNotFound means the backend has no key by the given name.
	ErrKeyNotFound = errors.New("key not found")

	// ErrUnsupported means the algorithm or operation is not supported by
	// the backend or the key.
	ErrUnsupported = errors.New("unsupported")

	// ErrUnavailable means the backend could not be reached or could not
	// complete the operation (device removed, network down, throttled,
	// context done). The operation may succeed if retried.
	ErrUnavailable = errors.New("backend unavailable")

	// ErrPermissionDenied means the backend refused the operation for lack
	// of authorisation (wrong PIN, IAM policy, vault access policy).
	ErrPermissionDenied = errors.New("permission denied")

	// ErrInvalidConfig means a key URI, configuration file, secret or
	// argument is malformed or inconsistent. The message says what to fix.
	ErrInvalidConfig = errors.New("invalid configuration")

	// ErrClosed means the key was used after Close.
	ErrClosed = errors.New("key is closed")
)
