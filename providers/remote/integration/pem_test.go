package remote_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// TestConformancePEM runs the suite through the service on keys of the pem
// backend, among them ECDSA P-521, which the remote backend verifies locally
// with the public key the service sends.
func TestConformancePEM(t *testing.T) {
	for _, alg := range []provider.Algorithm{provider.ECDSAP521SHA512, provider.Ed25519} {
		t.Run(string(alg), func(t *testing.T) {
			keyFile := func(name string) string {
				priv, err := pem.GenerateKey(alg)
				if err != nil {
					t.Fatal(err)
				}
				b, err := pem.MarshalPrivateKey(priv)
				if err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(t.TempDir(), name)
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
				return "pem:key-source=file:" + p
			}
			f := start(t, map[string]string{"k": keyFile("a.pem"), "k2": keyFile("b.pem")})
			k, err := provider.Open(t.Context(), f.uri("k", f.trader))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := k.(provider.PublicKeyer); !ok || k.Info().Algorithm != alg {
				t.Fatalf("remote %s key %T, %+v: want a key with its public key", alg, k, k.Info())
			}
			k.Close()
			conformance.Test(t, conformance.Subject{
				Open:            conformance.OpenURI(f.uri("k", f.trader)),
				Other:           conformance.OpenURI(f.uri("k2", f.trader)),
				Goroutines:      8,
				OpsPerGoroutine: 2,
			})
		})
	}
}
