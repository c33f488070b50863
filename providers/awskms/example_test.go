package awskms_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/awskms"
)

// Open a KMS key by alias in a real AWS account. Credentials come from the
// SDK's default chain (here, the shared profile "trading"); the algorithm
// comes from DescribeKey.
func ExampleOpen() {
	ctx := context.Background()
	key, err := awskms.Open(ctx, "awskms:key-id=alias/orders;region=eu-west-2;profile=trading")
	if err != nil {
		log.Fatal(err)
	}
	defer key.Close()
	order := []byte(`{"side":"buy","qty":100,"sym":"ACME"}`)
	sig, err := key.Sign(ctx, order) // KMS signs the SHA-256 digest
	if err != nil {
		log.Fatal(err)
	}
	// Verified locally with the cached public key: no call to KMS.
	if err := key.Verify(ctx, order, sig); err != nil {
		log.Fatal(err)
	}
	fmt.Println(key.Info().Algorithm)
}

// A URI is checked before anything is sent: a key must be named, and a
// region must be an AWS region name.
func ExampleOpen_badURI() {
	ctx := context.Background()
	for _, uri := range []string{
		"awskms:region=eu-west-2",
		"awskms:key-id=alias/orders;region=eu-west-9x",
		"awskms:key-id=alias/orders;region=eu-west-2;colour=blue",
	} {
		_, err := awskms.Open(ctx, uri)
		fmt.Println(errors.Is(err, provider.ErrInvalidConfig))
	}
	// Output:
	// true
	// true
	// true
}

// The ML-DSA message representative that KMS signs with MessageType
// EXTERNAL_MU, for messages over the 4096-byte RAW limit.
func ExampleMLDSAMu() {
	pk := make([]byte, 1952) // an ML-DSA-65 public key in its FIPS 204 encoding
	tr := awskms.MLDSATr(pk)
	mu := awskms.MLDSAMu(&tr, []byte("a message of any length"))
	fmt.Println(len(mu))
	// Output: 64
}
