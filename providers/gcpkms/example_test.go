package gcpkms_test

import (
	"context"
	"fmt"

	"cloud.google.com/go/kms/apiv1/kmspb"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/gcpkms"
)

// Example signs and verifies with a Cloud KMS key. Against Cloud KMS the URI
// is just gcpkms:key=projects/…/cryptoKeys/K and credentials come from
// Application Default Credentials; here a local double of the service
// stands in, reached over plaintext loopback.
func Example() {
	d, stop := startDouble()
	defer stop()
	key := d.addKey("signer", kmspb.CryptoKeyVersion_EC_SIGN_P256_SHA256)

	ctx := context.Background()
	k, err := provider.Open(ctx, d.uri(key))
	if err != nil {
		panic(err)
	}
	defer k.Close()
	sig, err := k.Sign(ctx, []byte("BUY 100 XYZ @ 42.00"))
	if err != nil {
		panic(err)
	}
	fmt.Println(k.Info().Algorithm, k.Info().Version)
	fmt.Println(k.Verify(ctx, []byte("BUY 100 XYZ @ 42.00"), sig) == nil)
	// Output:
	// ECDSA-P256-SHA256 projects/tw-test/locations/europe-west2/keyRings/orders/cryptoKeys/signer/cryptoKeyVersions/1
	// true
}
