package provider

import (
	"fmt"
	"strings"
)

// OpError is the error of one operation of a backend on one key: the
// backend's scheme, the operation, the key, the kind of failure in the
// taxonomy, the native cause and what an operator may do about it. Its
// message puts the context first and the cause last:
//
//	awskms GenerateMac alias/orders: backend unavailable: operation error KMS: GenerateMac, …
//	BACKEND OP KEY: KIND[: CAUSE]
//
// errors.Is matches Kind ([ErrUnavailable], [ErrPermissionDenied], …) and
// errors.As reaches the native error in Err (an *smithy.OperationError, an
// *azcore.ResponseError, a gRPC status, a pkcs11.Error). The message leaves
// Remedy out: a program that speaks to an operator finds the OpError with
// errors.As and prints its Remedy, as the tinywindow command does.
type OpError struct {
	Backend string // the scheme: awskms, gcpkms, vault, azurekv, pkcs11
	Op      string // the service operation, as the service names it: GenerateMac, MacSign, hmac, C_Sign
	Key     string // the key as the URI named it: alias/orders, a resource name, a Transit key name
	Kind    error  // one of the taxonomy's sentinels, never nil
	Err     error  // the native cause; nil when the kind says it all
	Remedy  string // what the operator may do about it, if the backend knows; may be empty; not in Error
}

// Error returns "BACKEND OP KEY: KIND: CAUSE", leaving out the parts that
// are empty, and never the Remedy. KIND always stands right after the
// context: it is not written twice when the cause's own message starts with
// it.
func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString(e.Backend)
	for _, s := range []string{e.Op, e.Key} {
		if s != "" {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	b.WriteString(": ")
	if e.Err == nil {
		b.WriteString(e.Kind.Error())
	} else if msg := e.Err.Error(); strings.HasPrefix(msg, e.Kind.Error()+": ") {
		b.WriteString(msg) // the cause says the kind first itself
	} else {
		b.WriteString(e.Kind.Error())
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return b.String()
}

// Unwrap returns the kind and the native cause, so that errors.Is matches
// the taxonomy and errors.As reaches the backend's own error.
func (e *OpError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// OpErrorf returns the OpError of op on key with kind and a cause made by
// fmt.Errorf(format, args...), so that a %w verb keeps a native error
// reachable.
func OpErrorf(backend, op, key string, kind error, format string, args ...any) *OpError {
	return &OpError{Backend: backend, Op: op, Key: key, Kind: kind, Err: fmt.Errorf(format, args...)}
}
