package pem_test

import (
	"crypto"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// writeKeyFile writes data to a new file of mode 0600 and returns its path.
func writeKeyFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newKey makes a new private key for alg.
func newKey(t testing.TB, alg provider.Algorithm) crypto.Signer {
	t.Helper()
	priv, err := pem.GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// pkcs8 encodes priv as PKCS#8 PEM.
func pkcs8(t testing.TB, priv crypto.Signer) []byte {
	t.Helper()
	b, err := pem.MarshalPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
