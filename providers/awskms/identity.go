package awskms

import (
	"context"

	"github.com/tinywindow/tinywindow/provider"
)

// Identity describes the key for an audit report: its key ARN (as DescribeKey
// returned it when the key was opened), its region, the key ID of the URI,
// the endpoint when the URI names one, and where Verify checks signatures
// ("remote" for HMAC keys and with verify=remote, else "local"). Its
// Provenance comes from DescribeKey and GetKeyRotationStatus, asked when
// Identity is called (see provenance).
func (b *base) Identity(ctx context.Context) (provider.Identity, error) {
	mode := "local"
	if b.opts.RemoteVerify || b.spec.alg.Symmetric() {
		mode = "remote"
	}
	attrs := map[string]string{"key-arn": b.arn, "key-id": b.opts.keyID}
	region := b.opts.region
	if r, ok := regionOfARN(b.arn); ok {
		region = r
	}
	if region != "" {
		attrs["region"] = region
	}
	if b.opts.endpoint != "" {
		attrs["endpoint"] = b.opts.endpoint
	}
	prov, err := b.provenance(ctx)
	return provider.Identity{VerifyMode: mode, Attributes: attrs, Provenance: prov}, err
}

var _ provider.Identifier = (*base)(nil)
