package gcpkms

import (
	"context"
	"strings"

	"github.com/tinywindow/tinywindow/provider"
)

// Identity describes the key for an audit report: the resource name of the
// key version in use (key-version), the CryptoKey, its project, location and
// key ring, the endpoint when the URI names one, and where Verify checks
// signatures ("remote" for MAC keys, which MacVerify checks; "local" for
// asymmetric keys, verified with the public key). Its Provenance comes from
// GetCryptoKeyVersion and GetCryptoKey, asked when Identity is called (see
// provenance).
func (b *base) Identity(ctx context.Context) (provider.Identity, error) {
	mode := "local"
	if b.spec.purpose == mac {
		mode = "remote"
	}
	attrs := map[string]string{"key-version": b.version, "crypto-key": b.opts.key}
	// keyPattern has checked the name: projects/P/locations/L/keyRings/R/cryptoKeys/K.
	if p := strings.Split(b.opts.key, "/"); len(p) == 8 {
		attrs["project"], attrs["location"], attrs["key-ring"] = p[1], p[3], p[5]
	}
	if b.opts.endpoint != "" {
		attrs["endpoint"] = b.opts.endpoint
	}
	prov, err := b.provenance(ctx)
	return provider.Identity{VerifyMode: mode, Attributes: attrs, Provenance: prov}, err
}

var _ provider.Identifier = (*base)(nil)
