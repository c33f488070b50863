package awskms

import (
	"context"
	"errors"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/tinywindow/tinywindow/provider"
)

// provenance asks KMS, now, where the key was made, what state it is in and
// whether its material rotates. Attributes: origin, key-state, key-manager,
// creation-date where KMS reports one, and rotation: "enabled" (with
// rotation-period-days) or "disabled" from GetKeyRotationStatus, or "not
// supported" for the asymmetric and HMAC keys whose rotation KMS refuses
// (rotate them by making a new key; docs/key-rotation.md).
//
// Origin AWS_KMS and AWS_CLOUDHSM are generated and can never leave;
// EXTERNAL (imported material) is imported and could be extracted before, as
// its material existed outside; EXTERNAL_KEY_STORE leaves both unknown, as the
// material lives in the firm's own key manager, and so does an origin KMS
// does not report (local-kms reports none).
func (b *base) provenance(ctx context.Context) (provider.Provenance, error) {
	out, err := b.client.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(b.arn)})
	if err != nil {
		return provider.Provenance{}, opError("DescribeKey", b.opts.keyID, err)
	}
	md := out.KeyMetadata
	if md == nil {
		return provider.Provenance{}, provider.OpErrorf(Scheme, "DescribeKey", b.opts.keyID, provider.ErrUnavailable, "the answer holds no key metadata")
	}
	p := provider.Provenance{Attributes: map[string]string{
		"origin":      string(md.Origin),
		"key-state":   string(md.KeyState),
		"key-manager": string(md.KeyManager),
	}}
	if md.CreationDate != nil {
		p.Attributes["creation-date"] = md.CreationDate.UTC().Format("2006-01-02T15:04:05Z")
	}
	if md.Origin == "" {
		p.Attributes["origin"] = "not reported"
	}
	p.Origin, p.Extractable = concludeOrigin(md.Origin)
	rot, err := b.client.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(b.arn)})
	switch oe := opError("GetKeyRotationStatus", b.opts.keyID, err); {
	case err == nil:
		p.Attributes["rotation"] = "disabled"
		if rot.KeyRotationEnabled {
			p.Attributes["rotation"] = "enabled"
			if rot.RotationPeriodInDays != nil {
				p.Attributes["rotation-period-days"] = strconv.Itoa(int(*rot.RotationPeriodInDays))
			}
		}
	case errors.Is(oe, provider.ErrUnsupported):
		p.Attributes["rotation"] = "not supported"
	default:
		return p, oe
	}
	return p, nil
}

// concludeOrigin says what a key's origin, as DescribeKey gives it, tells of
// where it was made and whether it can leave (see provenance).
func concludeOrigin(o types.OriginType) (origin, extractable string) {
	switch o {
	case types.OriginTypeAwsKms, types.OriginTypeAwsCloudhsm:
		return provider.OriginGenerated, provider.ExtractableNo
	case types.OriginTypeExternal:
		return provider.OriginImported, provider.ExtractableOnce
	}
	return "", ""
}
