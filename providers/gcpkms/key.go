package gcpkms

import (
	"fmt"

	kms "cloud.google.com/go/kms/apiv1"

	"github.com/tinywindow/tinywindow/provider"
)

// base is the service state every gcpkms key holds: the client, the parsed
// URI, the algorithm and the key version it signs with. The handle's own
// state (its description, whether it is closed) is a cloudkey.Handle beside
// it, whose Close closes the client.
type base struct {
	client  *kms.KeyManagementClient
	opts    *options
	spec    *algSpec
	version string // the CryptoKeyVersion resource name
}

// VersionName returns the resource name of the key version the handle signs
// with: projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N.
func (b *base) VersionName() string { return b.version }

// checkLength refuses a message Cloud KMS would refuse, before any call.
func (b *base) checkLength(msg []byte) error {
	if len(msg) > DataLimit {
		return fmt.Errorf("%w: gcpkms: a %d-byte message is over the %d bytes Cloud KMS accepts as data for %s; sign a digest of it, or use an ECDSA or RSA key, which sign digests",
			provider.ErrUnsupported, len(msg), DataLimit, b.spec.kms)
	}
	return nil
}
