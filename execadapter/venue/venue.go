package venue

import (
	"context"
	"errors"
	"fmt"
)

// Venue is where orders go. Submit sends one signed envelope (see Envelope)
// whose order has the given client order ID and waits for the venue's
// acknowledgement. Neither slice is kept after Submit returns. A venue's
// refusal is an Ack with Status Rejected, not an error; an error is a
// *DeliveryError that says whether the order may have reached the venue.
type Venue interface {
	Submit(ctx context.Context, envelope, clientOrderID []byte) (Ack, error)
	Close() error
}

// Status is the outcome an Ack reports.
type Status uint8

// The statuses.
const (
	Accepted Status = 1
	Rejected Status = 2
)

func (s Status) String() string {
	switch s {
	case Accepted:
		return "accepted"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Reason says why a venue rejected an order.
type Reason uint8

// The reasons.
const (
	ReasonNone             Reason = 0
	ReasonMalformed        Reason = 1 // the envelope or the order inside did not decode
	ReasonUnknownKey       Reason = 2 // no verifier for the envelope's key ID
	ReasonBadSignature     Reason = 3 // the signature is invalid
	ReasonDuplicate        Reason = 4 // the client order ID was already received; VenueOrderID is the first one's
	ReasonStale            Reason = 5 // the order's timestamp is too far from the venue's clock
	ReasonVerifierDown     Reason = 6 // the venue could not check the signature
	ReasonUnsupportedFrame Reason = 7 // no longer sent: a connection that sends anything but an order is closed
	ReasonUnknownBatch     Reason = 8 // the order's batch signature did not come before it on its connection (or was pushed out by MaxCachedBatches later ones)
	ReasonNotInBatch       Reason = 9 // the order is not a leaf of the batch it names (see CheckLeaf)
)

func (r Reason) String() string {
	switch r {
	case ReasonNone:
		return "none"
	case ReasonMalformed:
		return "malformed order"
	case ReasonUnknownKey:
		return "unknown key ID"
	case ReasonBadSignature:
		return "invalid signature"
	case ReasonDuplicate:
		return "duplicate client order ID"
	case ReasonStale:
		return "stale timestamp"
	case ReasonVerifierDown:
		return "verifier unavailable"
	case ReasonUnsupportedFrame:
		return "unsupported frame"
	case ReasonUnknownBatch:
		return "unknown batch"
	case ReasonNotInBatch:
		return "not in its batch"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Ack is a venue's acknowledgement of one order.
type Ack struct {
	Status       Status
	Reason       Reason
	VenueOrderID uint64 // non-zero when accepted
	VenueTime    int64  // venue's clock, Unix nanoseconds
	// Signed is the venue's signed ack as received (the body of a
	// FrameSignedAck frame, see SignedAck and VerifyAck), or nil from a
	// venue that does not sign its acks.
	Signed []byte
}

// Delivery says whether an order that failed may have reached the venue.
type Delivery uint8

// The deliveries.
const (
	// NotSent: the order certainly did not reach the venue; sending it
	// again is safe.
	NotSent Delivery = 1
	// Unknown: the order may have reached the venue (it was written, and no
	// acknowledgement came). It is never resent silently; resending it with
	// the same client order ID is safe, as the venue rejects duplicates
	// (ReasonDuplicate, with the first order's VenueOrderID).
	Unknown Delivery = 2
	// Delivered: the venue received the order (and answered it).
	Delivered Delivery = 3
)

func (d Delivery) String() string {
	switch d {
	case NotSent:
		return "not sent"
	case Unknown:
		return "unknown"
	case Delivered:
		return "delivered"
	}
	return fmt.Sprintf("delivery(%d)", uint8(d))
}

// Errors a venue's DeliveryError wraps.
var (
	ErrUnreachable = errors.New("venue unreachable")
	ErrTimeout     = errors.New("timed out waiting for the venue")
	ErrProtocol    = errors.New("venue protocol violation")
	ErrClosed      = errors.New("venue connection closed")
	ErrInFlight    = errors.New("an order with this client order ID is already in flight")
)

// DeliveryError is a failed Submit: what went wrong and whether the order
// may have reached the venue.
type DeliveryError struct {
	Delivery Delivery
	Err      error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("%v (order %s)", e.Err, e.Delivery)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// DeliveryOf returns the Delivery of a non-nil err: that of a
// *DeliveryError in its chain, or Unknown for any other error, since an
// error that does not say whether the order left may hide one that did.
func DeliveryOf(err error) Delivery {
	var d *DeliveryError
	if errors.As(err, &d) {
		return d.Delivery
	}
	return Unknown
}
