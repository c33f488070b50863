//go:build cgo && !nopkcs11

package pkcs11

import (
	"errors"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// rv returns the CKR_* code of err, or 0 (CKR_OK) if err carries none.
func rv(err error) uint {
	var e pkcs11.Error
	if errors.As(err, &e) {
		return uint(e)
	}
	return pkcs11.CKR_OK
}

// sessionBroken reports whether err means the session can never be used again
// and must be closed and dropped from the pool.
func sessionBroken(err error) bool {
	switch rv(err) {
	case pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED,
		pkcs11.CKR_DEVICE_ERROR, pkcs11.CKR_DEVICE_REMOVED,
		pkcs11.CKR_OPERATION_ACTIVE:
		return true
	}
	return false
}

// keyHandleStale reports whether err means the key's object handle is no
// longer valid (a session copy died with its session, or the token was
// re-inserted), so that looking the key up again may mend it.
func keyHandleStale(err error) bool {
	switch rv(err) {
	case pkcs11.CKR_KEY_HANDLE_INVALID, pkcs11.CKR_OBJECT_HANDLE_INVALID:
		return true
	}
	return false
}

// kind maps a PKCS#11 error to the provider error taxonomy.
func kind(err error) error {
	switch rv(err) {
	case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE,
		pkcs11.CKR_PIN_EXPIRED, pkcs11.CKR_PIN_LOCKED, pkcs11.CKR_USER_NOT_LOGGED_IN,
		pkcs11.CKR_USER_PIN_NOT_INITIALIZED, pkcs11.CKR_USER_TYPE_INVALID:
		return provider.ErrPermissionDenied
	case pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, pkcs11.CKR_KEY_TYPE_INCONSISTENT,
		pkcs11.CKR_MECHANISM_INVALID, pkcs11.CKR_MECHANISM_PARAM_INVALID,
		pkcs11.CKR_FUNCTION_NOT_SUPPORTED, pkcs11.CKR_KEY_SIZE_RANGE:
		return provider.ErrUnsupported
	case pkcs11.CKR_SIGNATURE_INVALID, pkcs11.CKR_SIGNATURE_LEN_RANGE:
		return provider.ErrInvalidSignature
	case pkcs11.CKR_DATA_LEN_RANGE, pkcs11.CKR_ARGUMENTS_BAD, pkcs11.CKR_TEMPLATE_INCONSISTENT,
		pkcs11.CKR_TEMPLATE_INCOMPLETE, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID:
		return provider.ErrInvalidConfig
	}
	return provider.ErrUnavailable
}

// opError returns the [provider.OpError] of the PKCS#11 function fn, failed
// with err, on key: "pkcs11 C_Login object "orders" in token with
// token="prod": permission denied: pkcs11: 0xA0: CKR_PIN_INCORRECT". key is
// the key as the URI named it ([Config.keyName]); its Kind is the one err's
// CKR_* code maps to, and the pkcs11.Error stays reachable with errors.As.
func opError(fn, key string, err error) *provider.OpError {
	return &provider.OpError{Backend: Scheme, Op: fn, Key: key, Kind: kind(err), Err: err}
}
