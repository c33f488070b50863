package gcpkms

import (
	"context"
	"fmt"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/internal/cloudkey"
)

// MACKey is a Cloud KMS HMAC_SHA256 key version (purpose MAC). Sign calls
// MacSign and Verify calls MacVerify: the key never leaves Cloud KMS, so
// both go to the service, whatever verify= says. Messages are at most
// DataLimit bytes. It is safe for concurrent use.
type MACKey struct {
	cloudkey.MACKey
	base
}

// MACSize is the size of an HMAC-SHA256 tag.
const MACSize = cloudkey.MACSize

// macCalls are the two Cloud KMS calls of a MACKey.
type macCalls base

// MAC calls MacSign. The answer counts only when the service confirms the
// data's CRC32C and the tag matches its own.
func (c *macCalls) MAC(ctx context.Context, msg []byte) ([]byte, error) {
	if err := (*base)(c).checkLength(msg); err != nil {
		return nil, err
	}
	req := &kmspb.MacSignRequest{Name: c.version, Data: msg, DataCrc32C: crc32c(msg)}
	var tag []byte
	err := c.opts.retry(ctx, func(ctx context.Context) error {
		out, err := c.client.MacSign(ctx, req, noGAXRetry)
		if err != nil {
			return err
		}
		switch {
		case out.GetName() != c.version:
			return fmt.Errorf("%w: the answer names key version %q", errCorrupted, out.GetName())
		case !out.GetVerifiedDataCrc32C():
			return fmt.Errorf("%w: the service did not verify the data's CRC32C", errCorrupted)
		case !crcMatches(out.GetMac(), out.GetMacCrc32C()):
			return fmt.Errorf("%w: MAC", errCorrupted)
		}
		tag = out.GetMac()
		return nil
	})
	if err != nil {
		return nil, opError("MacSign", c.version, err)
	}
	return tag, nil
}

// VerifyMAC calls MacVerify. The answer counts only when the service
// confirms both CRC32Cs and the integrity of its verdict.
func (c *macCalls) VerifyMAC(ctx context.Context, msg, tag []byte) (bool, error) {
	if err := (*base)(c).checkLength(msg); err != nil {
		return false, err
	}
	req := &kmspb.MacVerifyRequest{Name: c.version, Data: msg, DataCrc32C: crc32c(msg), Mac: tag, MacCrc32C: crc32c(tag)}
	var valid bool
	err := c.opts.retry(ctx, func(ctx context.Context) error {
		out, err := c.client.MacVerify(ctx, req, noGAXRetry)
		if err != nil {
			return err
		}
		switch {
		case out.GetName() != c.version:
			return fmt.Errorf("%w: the answer names key version %q", errCorrupted, out.GetName())
		case !out.GetVerifiedDataCrc32C() || !out.GetVerifiedMacCrc32C():
			return fmt.Errorf("%w: the service did not verify the CRC32Cs of the data and the MAC", errCorrupted)
		case out.GetVerifiedSuccessIntegrity() != out.GetSuccess():
			return fmt.Errorf("%w: verified_success_integrity does not match success", errCorrupted)
		}
		valid = out.GetSuccess()
		return nil
	})
	if err != nil {
		return false, opError("MacVerify", c.version, err)
	}
	return valid, nil
}
