package pqc_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// Example opens an ML-DSA-65 key from its seed file, signs an order, and
// verifies it with a verify-only key opened from the exported public key.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pqc-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// What `tinywindow keygen --alg ML-DSA-65 --out seed` writes: 64 hex
	// digits and a newline, mode 0600. A fixed seed keeps the output stable.
	seedPath := filepath.Join(dir, "seed")
	seed := bytes.Repeat([]byte("00"), 31)
	if err := os.WriteFile(seedPath, append(append(seed, "2a"...), '\n'), 0o600); err != nil {
		log.Fatal(err)
	}
	signer, err := provider.Open(ctx, "pqc:alg=ML-DSA-65;seed-source=file:"+seedPath+";ctx=orders-v1")
	if err != nil {
		log.Fatal(err)
	}
	defer signer.Close()

	order := []byte(`{"side":"buy","qty":100,"sym":"XYZ"}`)
	sig, err := signer.Sign(ctx, order)
	if err != nil {
		log.Fatal(err)
	}

	// The verifier needs only the public key, as PEM.
	pemBytes, _ := signer.(provider.PublicKeyPEMer).PublicKeyPEM()
	pubPath := filepath.Join(dir, "orders.pub.pem")
	if err := os.WriteFile(pubPath, pemBytes, 0o644); err != nil {
		log.Fatal(err)
	}
	verifier, err := pqc.Open(ctx, "pqc:pub-source=file:"+pubPath+";ctx=orders-v1")
	if err != nil {
		log.Fatal(err)
	}
	defer verifier.Close()

	fmt.Println(signer.Info().Algorithm, len(sig), "bytes")
	fmt.Println("same key ID:", verifier.Info().ID == signer.Info().ID)
	fmt.Println("verify:", verifier.Verify(ctx, order, sig))
	fmt.Println("can sign:", verifier.(*pqc.Key).CanSign())
	// Output:
	// ML-DSA-65 3309 bytes
	// same key ID: true
	// verify: <nil>
	// can sign: false
}
