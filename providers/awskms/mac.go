package awskms

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tinywindow/tinywindow/provider"
)

// MACKey is a KMS HMAC_256 key (usage GENERATE_VERIFY_MAC). Sign calls
// GenerateMac and Verify calls VerifyMac: the key never leaves KMS, so both
// go to the service. KMS takes messages of at most RawMessageLimit bytes.
// It is safe for concurrent use.
//
// HMAC is a MAC, not a signature: whoever may call VerifyMac on the key may
// also call GenerateMac, if IAM allows it.
type MACKey struct {
	base
}

var (
	_ provider.Key          = (*MACKey)(nil)
	_ provider.AppendSigner = (*MACKey)(nil)
	_ provider.Determinism  = (*MACKey)(nil)
)

// MACSize is the size of an HMAC-SHA256 tag.
const MACSize = 32

// Deterministic reports true: the same message always gives the same tag.
func (k *MACKey) Deterministic() bool { return true }

// Sign returns the HMAC-SHA256 tag of msg, made by KMS GenerateMac.
func (k *MACKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if err := k.checkLength(msg); err != nil {
		return nil, err
	}
	out, err := k.client.GenerateMac(ctx, &kms.GenerateMacInput{
		KeyId:        aws.String(k.opts.keyID),
		Message:      msg,
		MacAlgorithm: k.spec.mac,
	})
	if err != nil {
		return nil, kmsError("GenerateMac", k.opts.keyID, err)
	}
	if len(out.Mac) != MACSize {
		return nil, fmt.Errorf("%w: awskms GenerateMac of %s: KMS returned a %d-byte tag, want %d", provider.ErrUnavailable, k.opts.keyID, len(out.Mac), MACSize)
	}
	return out.Mac, nil
}

// Verify checks tag over msg with KMS VerifyMac. KMS answers a wrong tag
// with KMSInvalidMacException (AWS) or with MacValid=false (local-kms): both
// are ErrInvalidSignature. A tag that is not MACSize bytes is invalid without
// a call.
func (k *MACKey) Verify(ctx context.Context, msg, tag []byte) error {
	if err := k.check(ctx); err != nil {
		return err
	}
	if len(tag) != MACSize {
		return fmt.Errorf("%w: HMAC-SHA256 tag is %d bytes, want %d", provider.ErrInvalidSignature, len(tag), MACSize)
	}
	if err := k.checkLength(msg); err != nil {
		return err
	}
	out, err := k.client.VerifyMac(ctx, &kms.VerifyMacInput{
		KeyId:        aws.String(k.opts.keyID),
		Message:      msg,
		Mac:          tag,
		MacAlgorithm: k.spec.mac,
	})
	if err != nil {
		if isAPIError(err, "KMSInvalidMacException") {
			return fmt.Errorf("%w: KMS VerifyMac of %s: %w", provider.ErrInvalidSignature, k.opts.keyID, err)
		}
		return kmsError("VerifyMac", k.opts.keyID, err)
	}
	if !out.MacValid {
		return fmt.Errorf("%w: KMS VerifyMac of %s answered MacValid=false", provider.ErrInvalidSignature, k.opts.keyID)
	}
	return nil
}

// checkLength refuses a message KMS would refuse, before any call.
func (k *MACKey) checkLength(msg []byte) error {
	if len(msg) > RawMessageLimit {
		return fmt.Errorf("%w: awskms: a %d-byte message is over the %d bytes KMS GenerateMac and VerifyMac accept; MAC a digest of it, or use an asymmetric key",
			provider.ErrUnsupported, len(msg), RawMessageLimit)
	}
	return nil
}

// SignAppend appends the signature of msg to dst. The KMS call allocates
// whatever dst's capacity.
func (k *MACKey) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, sig...), nil
}
