package gcpkms

import (
	"context"
	"fmt"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/provider"
)

// MACKey is a Cloud KMS HMAC_SHA256 key version (purpose MAC). Sign calls
// MacSign and Verify calls MacVerify: the key never leaves Cloud KMS, so
// both go to the service, whatever verify= says. Messages are at most
// DataLimit bytes. It is safe for concurrent use.
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

// Sign returns the HMAC-SHA256 tag of msg, made by MacSign.
func (k *MACKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if err := k.checkLength(msg); err != nil {
		return nil, err
	}
	req := &kmspb.MacSignRequest{Name: k.version, Data: msg, DataCrc32C: crc32c(msg)}
	var tag []byte
	err := k.opts.retry(ctx, func(ctx context.Context) error {
		out, err := k.client.MacSign(ctx, req, noGAXRetry)
		if err != nil {
			return err
		}
		switch {
		case out.GetName() != k.version:
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
		return nil, kmsError("MacSign", k.version, err)
	}
	if len(tag) != MACSize {
		return nil, fmt.Errorf("%w: gcpkms MacSign of %s: Cloud KMS returned a %d-byte tag, want %d", provider.ErrUnavailable, k.version, len(tag), MACSize)
	}
	return tag, nil
}

// Verify checks tag over msg with MacVerify. A tag that is not MACSize
// bytes is invalid without a call. The answer counts only when the service
// confirms both CRC32Cs and the integrity of its verdict.
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
	req := &kmspb.MacVerifyRequest{Name: k.version, Data: msg, DataCrc32C: crc32c(msg), Mac: tag, MacCrc32C: crc32c(tag)}
	var valid bool
	err := k.opts.retry(ctx, func(ctx context.Context) error {
		out, err := k.client.MacVerify(ctx, req, noGAXRetry)
		if err != nil {
			return err
		}
		switch {
		case out.GetName() != k.version:
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
		return kmsError("MacVerify", k.version, err)
	}
	if !valid {
		return fmt.Errorf("%w: Cloud KMS MacVerify of %s answered success=false", provider.ErrInvalidSignature, k.version)
	}
	return nil
}

// SignAppend appends the tag of msg to dst.
func (k *MACKey) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	tag, err := k.Sign(ctx, msg)
	if err != nil {
		return dst, err
	}
	return append(dst, tag...), nil
}
