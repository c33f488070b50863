package order

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (with [errors.Is]) by every error about a malformed or
// invalid order.
var ErrInvalid = errors.New("invalid order")

// The kinds of invalid order. Every decoding or validation error matches
// ErrInvalid and exactly one of these.
var (
	ErrTruncated      = errors.New("order is truncated")
	ErrUnknownVersion = errors.New("unknown order encoding version")
	ErrTrailingBytes  = errors.New("trailing bytes after order")
	ErrStringLength   = errors.New("string is empty or too long")
	ErrNotUTF8        = errors.New("string is not valid UTF-8")
	ErrControlChar    = errors.New("string holds a control character")
	ErrEnum           = errors.New("unknown enumeration value")
	ErrQuantity       = errors.New("quantity is not positive")
	ErrPrice          = errors.New("invalid price")
	ErrNonCanonical   = errors.New("price is not in canonical form")
	ErrTimestamp      = errors.New("timestamp is malformed or out of range")
	ErrJSON           = errors.New("malformed order JSON")
)

// FieldError describes what is wrong with an order: the field, the byte
// offset in the canonical encoding where the problem lies (0 when the order
// was not decoded from bytes), the kind (one of the Err* variables) and a
// message that says how to mend it.
type FieldError struct {
	Field  string
	Offset int
	Kind   error
	Msg    string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("invalid order: %s (byte %d): %s", e.Field, e.Offset, e.Msg)
}

// Unwrap returns the kind of error and ErrInvalid.
func (e *FieldError) Unwrap() []error { return []error{e.Kind, ErrInvalid} }

func fieldErr(kind error, field string, off int, format string, args ...any) error {
	return &FieldError{Field: field, Offset: off, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
