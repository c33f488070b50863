package cloudkey

import (
	"context"
	"errors"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// MACSize is the size of an HMAC-SHA256 tag.
const MACSize = 32

// MACService is what a service offers for an HMAC-SHA256 key: the two calls
// that make and check a tag. A MACKey calls them only on an open handle with
// a live context and, for VerifyMAC, a tag of MACSize bytes.
type MACService interface {
	// MAC returns the tag of msg as the service made it. An error is
	// returned as it is; it must not match ErrInvalidSignature.
	MAC(ctx context.Context, msg []byte) ([]byte, error)
	// VerifyMAC reports whether the service found tag to be msg's tag. An
	// error means the service could not say (it must not match
	// ErrInvalidSignature).
	VerifyMAC(ctx context.Context, msg, tag []byte) (bool, error)
}

// MACKey is an HMAC-SHA256 key that a service holds: Sign and Verify both
// go to the service, since the key never leaves it. It checks what can be
// checked without a call (a closed handle, a done context, a tag of the
// wrong size) and what the service answers (a tag of the wrong size). It is
// safe for concurrent use if the service is.
type MACKey struct {
	Handle
	svc              MACService
	signOp, verifyOp string
}

var (
	_ provider.Key          = (*MACKey)(nil)
	_ provider.AppendSigner = (*MACKey)(nil)
	_ provider.Determinism  = (*MACKey)(nil)
)

// NewMACKey returns the MAC key of handle h whose tags svc makes and
// checks; signOp and verifyOp name the service's two operations in errors
// (GenerateMac and VerifyMac for AWS KMS).
func NewMACKey(h Handle, svc MACService, signOp, verifyOp string) MACKey {
	return MACKey{Handle: h, svc: svc, signOp: signOp, verifyOp: verifyOp}
}

// Deterministic reports true: the same message always gives the same tag.
func (k *MACKey) Deterministic() bool { return true }

// Sign returns the HMAC-SHA256 tag of msg, made by the service.
func (k *MACKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.Check(ctx); err != nil {
		return nil, err
	}
	tag, err := k.svc.MAC(ctx, msg)
	if err != nil {
		return nil, err
	}
	if len(tag) != MACSize {
		return nil, k.fail(k.signOp, provider.ErrUnavailable, fmt.Errorf("the service returned a %d-byte tag, want %d", len(tag), MACSize))
	}
	return tag, nil
}

// SignAppend appends the tag of msg to dst. The service call allocates
// whatever dst's capacity.
func (k *MACKey) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	tag, err := k.Sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, tag...), nil
}

// Verify checks tag over msg with the service. A tag that is not MACSize
// bytes is invalid without a call; a tag the service finds wrong is
// ErrInvalidSignature; any failure to get the service's answer is not.
func (k *MACKey) Verify(ctx context.Context, msg, tag []byte) error {
	if err := k.Check(ctx); err != nil {
		return err
	}
	if len(tag) != MACSize {
		return fmt.Errorf("%w: HMAC-SHA256 tag is %d bytes, want %d", provider.ErrInvalidSignature, len(tag), MACSize)
	}
	valid, err := k.svc.VerifyMAC(ctx, msg, tag)
	if err != nil {
		return err
	}
	if !valid {
		return k.fail(k.verifyOp, provider.ErrInvalidSignature, errors.New("the service found that the HMAC-SHA256 tag does not match"))
	}
	return nil
}
