// Package order defines a new-order request, its canonical versioned binary
// encoding (the bytes that are signed, the same in every language; see
// docs/orders.md) and its JSON form.
//
// The decoder is strict: it accepts exactly the canonical encoding of a
// valid order, so the bytes it accepts are the bytes that get signed. Every
// rejection is a *FieldError matching ErrInvalid and one kind (ErrTruncated,
// ErrUnknownVersion, ErrTrailingBytes, ErrStringLength, ErrNotUTF8,
// ErrControlChar, ErrEnum, ErrQuantity, ErrPrice, ErrNonCanonical,
// ErrTimestamp, ErrJSON). Parse decodes into a View without allocating, for
// the hot path.
package order
