package execadapter

import (
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
)

// The kinds of SendOrder failure. Every error SendOrder returns is an *Error
// matching exactly one of them.
var (
	// ErrInvalidOrder: the order bytes did not decode (the cause also
	// matches order.ErrInvalid and its precise kind).
	ErrInvalidOrder = errors.New("invalid order")
	// ErrRiskRejected: a pre-trade check refused the order (Error.Rule
	// names it; the cause is a *risk.Rejection).
	ErrRiskRejected = errors.New("rejected by pre-trade check")
	// ErrSigning: the signer failed; the cause carries the provider error.
	ErrSigning = errors.New("signing failed")
	// ErrVenueUnreachable: the venue could not be reached, or the
	// connection was lost before the ack.
	ErrVenueUnreachable = errors.New("venue unreachable")
	// ErrVenueProtocol: the venue answered, but not with a well-formed ack
	// for the order (garbage, a malformed ack, an ack whose signature does
	// not verify); the cause matches venue.ErrProtocol. The answer does not
	// say what the venue did, so Delivery is Unknown.
	ErrVenueProtocol = errors.New("venue protocol violation")
	// ErrTimeout: ctx ended before the venue's ack came (Delivery Unknown),
	// or before the order was written to the venue (NotSent).
	ErrTimeout = errors.New("timed out waiting for the venue")
	// ErrVenueRejected: the venue answered with a rejection (Error.Reason).
	ErrVenueRejected = errors.New("rejected by the venue")
	// ErrAudit: the audit log could not record the order (in Always
	// durability: the record is not on stable storage). If Delivery is
	// NotSent, the order was not sent; if Delivered, Error.Ack holds the
	// venue's ack, which is not durably recorded.
	ErrAudit = errors.New("audit log failure")
)

// Error is a failed [Adapter.SendOrder].
type Error struct {
	// Kind is one of the Err* kinds above.
	Kind error
	// Delivery says whether the order may have reached the venue: NotSent
	// (certainly not; safe to send again), Unknown (it may have; resend only
	// with the same client order ID, which the venue deduplicates) or
	// Delivered (the venue received it).
	Delivery venue.Delivery
	// Rule is the pre-trade rule that fired, for ErrRiskRejected.
	Rule risk.Rule
	// Reason is the venue's reason, for ErrVenueRejected.
	Reason venue.Reason
	// Ack is the venue's ack, where one came.
	Ack Ack
	// Err is the cause.
	Err error
}

func (e *Error) Error() string {
	switch {
	case e.Kind == ErrVenueRejected:
		return fmt.Sprintf("%v: %v (order %v)", e.Kind, e.Reason, e.Delivery)
	case e.Err != nil:
		return fmt.Sprintf("%v: %v (order %v)", e.Kind, e.Err, e.Delivery)
	}
	return fmt.Sprintf("%v (order %v)", e.Kind, e.Delivery)
}

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// MayHaveReachedVenue reports whether the order of a failed
// [Adapter.SendOrder] may be at the venue (Delivery Unknown or Delivered).
func MayHaveReachedVenue(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Delivery != venue.NotSent
	}
	return venue.DeliveryOf(err) != venue.NotSent
}
