package gcpkms

import (
	"context"
	"fmt"
	"sync/atomic"

	kms "cloud.google.com/go/kms/apiv1"

	"github.com/tinywindow/tinywindow/provider"
)

// base is what every gcpkms key holds: the client, the parsed URI, the key
// version it signs with, and whether the handle is closed.
type base struct {
	client  *kms.KeyManagementClient
	opts    *options
	spec    *algSpec
	version string // the CryptoKeyVersion resource name
	info    provider.KeyInfo
	closed  atomic.Bool
}

// Info describes the key version as it was when opened: an ID derived from
// its public key (for an HMAC key, from the version's name), its algorithm,
// the scheme, and the CryptoKeyVersion resource name as Version.
func (b *base) Info() provider.KeyInfo { return b.info }

// VersionName returns the resource name of the key version the handle signs
// with: projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N.
func (b *base) VersionName() string { return b.version }

// check is the first step of every call: a closed handle or a done context
// ends it, with an error that is never ErrInvalidSignature.
func (b *base) check(ctx context.Context) error {
	if b.closed.Load() {
		return fmt.Errorf("%w: gcpkms key %s", provider.ErrClosed, b.version)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: gcpkms key %s: %w", provider.ErrUnavailable, b.version, err)
	}
	return nil
}

// Close makes every later Sign and Verify fail with ErrClosed and closes the
// client's connection. It is idempotent. The key stays in Cloud KMS.
func (b *base) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	return b.client.Close()
}

// checkLength refuses a message Cloud KMS would refuse, before any call.
func (b *base) checkLength(msg []byte) error {
	if len(msg) > DataLimit {
		return fmt.Errorf("%w: gcpkms: a %d-byte message is over the %d bytes Cloud KMS accepts as data for %s; sign a digest of it, or use an ECDSA or RSA key, which sign digests",
			provider.ErrUnsupported, len(msg), DataLimit, b.spec.kms)
	}
	return nil
}
