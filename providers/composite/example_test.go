package composite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// Example builds a composite key from an ML-DSA-44 key in the pqc backend
// and an in-memory Ed25519 key, signs and verifies.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "composite-example-")
	defer os.RemoveAll(dir)
	seed := filepath.Join(dir, "seed")
	os.WriteFile(seed, []byte("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"), 0o600)

	uri := composite.URI(composite.MLDSA44Ed25519SHA512,
		"pqc:alg=ML-DSA-44;seed-source=file:"+seed,
		"memkey:alg=Ed25519;seed=example") // any backend's classical key: pkcs11:, awskms:, ...
	key, err := provider.Open(ctx, uri)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer key.Close()
	msg := []byte("order 42: buy 100 XYZ")
	sig, _ := key.Sign(ctx, msg)
	fmt.Println(key.Info().Algorithm, len(sig), key.Verify(ctx, msg, sig) == nil)
	// Output: MLDSA44-Ed25519-SHA512 2484 true
}
