package pqc_test

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/providers/pqc"
)

// writeSecretFile writes hex(b) and a newline to a new file of mode 0600 in a
// temporary directory and returns its path.
func writeSecretFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testSeed returns a fixed seed of n bytes that differs with salt.
func testSeed(n int, salt byte) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = byte(i*7) ^ salt
	}
	return s
}

func bytesReaderOf(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// withAlgorithmParameters re-encodes a SubjectPublicKeyInfo with a NULL as
// the algorithm parameters.
func withAlgorithmParameters(t *testing.T, der []byte) []byte {
	t.Helper()
	var spki struct {
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		t.Fatal(err)
	}
	spki.Algorithm.Parameters = asn1.NullRawValue
	out, err := asn1.Marshal(spki)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// openPQC is pqc.Open for tests that use the *pqc.Key.
func openPQC(ctx context.Context, uri string) (*pqc.Key, error) {
	k, err := pqc.Open(ctx, uri)
	if err != nil {
		return nil, err
	}
	return k.(*pqc.Key), nil
}
