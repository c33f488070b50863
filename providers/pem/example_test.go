package pem_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/pem" // registers the pem: scheme
)

// Example opens a private key file, as `openssl genpkey` or `tinywindow
// keygen` writes it, and signs with it.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tw-pem-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orders.pem")
	// RFC 8032's first Ed25519 test key, as PKCS#8; a real key file comes
	// from `tinywindow keygen --alg Ed25519 --out FILE` and has mode 0600.
	key := "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n"
	if err := os.WriteFile(path, []byte(key), 0o600); err != nil {
		log.Fatal(err)
	}

	k, err := provider.Open(ctx, "pem:key-source=file:"+path)
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()
	sig, err := k.Sign(ctx, []byte("order 1"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k.Info().Algorithm, len(sig), k.Verify(ctx, []byte("order 1"), sig))
	pub, _ := k.(provider.PublicKeyPEMer).PublicKeyPEM()
	fmt.Print(string(pub))
	// Output:
	// Ed25519 64 <nil>
	// -----BEGIN PUBLIC KEY-----
	// MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
	// -----END PUBLIC KEY-----
}
