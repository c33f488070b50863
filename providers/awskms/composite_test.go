package awskms_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/internal/compositetest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
	_ "github.com/tinywindow/tinywindow/providers/pqc"
)

// mldsaSeedURI names a pqc ML-DSA key of the parameter set alg whose 32-byte
// seed, derived from tag, is written to a file of mode 0600.
func mldsaSeedURI(t testing.TB, alg provider.Algorithm, tag byte) string {
	t.Helper()
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = tag + byte(i)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("seed-%d", tag))
	if err := os.WriteFile(p, []byte(hex.EncodeToString(seed)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pqc:alg=%s;seed-source=file:%s", alg, p)
}

// TestCompositeConformance runs the shared suite on a composite
// MLDSA87-ECDSA-P384-SHA512 key whose classical half is a P-384 key in
// local-kms and whose ML-DSA half is a pqc key.
func TestCompositeConformance(t *testing.T) {
	l := needKMS(t)
	alg := composite.MLDSA87ECDSAP384SHA512
	conformance.Test(t, conformance.Subject{
		Open:            conformance.OpenURI(composite.URI(alg, mldsaSeedURI(t, provider.MLDSA87, 21), l.URI("alias/tw-p384-a"))),
		Other:           conformance.OpenURI(composite.URI(alg, mldsaSeedURI(t, provider.MLDSA87, 22), l.URI("alias/tw-p384-b"))),
		Goroutines:      8,
		OpsPerGoroutine: 4,
	})
}

// BenchmarkComposite measures MLDSA87-ECDSA-P384-SHA512 with the P-384 half
// in local-kms against its two components (compositetest.BenchPaired): the
// classical half waits on the network, so the ML-DSA half overlaps it.
//
//	go test ./providers/awskms -run '^$' -bench Composite -benchtime 300x -count 5
func BenchmarkComposite(b *testing.B) {
	l := needKMS(b)
	k, err := composite.Open(b.Context(), composite.URI(composite.MLDSA87ECDSAP384SHA512, mldsaSeedURI(b, provider.MLDSA87, 23), l.URI("alias/tw-p384-a")))
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	compositetest.BenchPaired(b, k.(*composite.Key))
}
