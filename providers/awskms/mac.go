package awskms

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
	"github.com/tinywindow/tinywindow/provider"
)

// MACKey is a KMS HMAC_256 key (usage GENERATE_VERIFY_MAC). Sign calls
// GenerateMac and Verify calls VerifyMac: the key never leaves KMS, so both
// go to the service. KMS takes messages of at most RawMessageLimit bytes.
// It is safe for concurrent use.
//
// Info describes the key as it was when opened: an ID derived from its ARN,
// its algorithm, the scheme, and the key ARN as version. Reopen the key to
// see an alias that now names another key.
//
// HMAC is a MAC, not a signature: whoever may call VerifyMac on the key may
// also call GenerateMac, if IAM allows it.
type MACKey struct {
	cloudkey.MACKey
	base
}

// MACSize is the size of an HMAC-SHA256 tag.
const MACSize = cloudkey.MACSize

// macCalls are the two KMS calls of a MACKey.
type macCalls base

// MAC calls GenerateMac.
func (c *macCalls) MAC(ctx context.Context, msg []byte) ([]byte, error) {
	if err := c.checkLength(msg); err != nil {
		return nil, err
	}
	out, err := c.client.GenerateMac(ctx, &kms.GenerateMacInput{
		KeyId:        aws.String(c.opts.keyID),
		Message:      msg,
		MacAlgorithm: c.spec.mac,
	})
	if err != nil {
		return nil, opError("GenerateMac", c.opts.keyID, err)
	}
	return out.Mac, nil
}

// VerifyMAC calls VerifyMac. KMS answers a wrong tag with
// KMSInvalidMacException (AWS) or with MacValid=false (local-kms): both are
// a tag that does not match.
func (c *macCalls) VerifyMAC(ctx context.Context, msg, tag []byte) (bool, error) {
	if err := c.checkLength(msg); err != nil {
		return false, err
	}
	out, err := c.client.VerifyMac(ctx, &kms.VerifyMacInput{
		KeyId:        aws.String(c.opts.keyID),
		Message:      msg,
		Mac:          tag,
		MacAlgorithm: c.spec.mac,
	})
	if err != nil {
		if isAPIError(err, "KMSInvalidMacException") {
			return false, nil
		}
		return false, opError("VerifyMac", c.opts.keyID, err)
	}
	return out.MacValid, nil
}

// checkLength refuses a message KMS would refuse, before any call.
func (c *macCalls) checkLength(msg []byte) error {
	if len(msg) > RawMessageLimit {
		return fmt.Errorf("%w: awskms: a %d-byte message is over the %d bytes KMS GenerateMac and VerifyMac accept; MAC a digest of it, or use an asymmetric key",
			provider.ErrUnsupported, len(msg), RawMessageLimit)
	}
	return nil
}
