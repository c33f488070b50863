package pqc_test

import (
	"fmt"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// TestConformance runs the shared suite for every parameter set, hedged and
// deterministic, with keys opened through their URIs from seed files.
func TestConformance(t *testing.T) {
	for _, alg := range pqc.Algorithms() {
		for _, mode := range []string{"hedged", "deterministic"} {
			t.Run(fmt.Sprintf("%s/%s", alg, mode), func(t *testing.T) {
				t.Parallel()
				n, err := pqc.SeedSize(alg)
				if err != nil {
					t.Fatal(err)
				}
				seed := writeSecretFile(t, "seed", testSeed(n, 1))
				other := writeSecretFile(t, "other", testSeed(n, 2))
				s := conformance.Subject{
					Open:  conformance.OpenURI(fmt.Sprintf("pqc:alg=%s;seed-source=file:%s;mode=%s;ctx=orders-v1", alg, seed, mode)),
					Other: conformance.OpenURI(fmt.Sprintf("pqc:alg=%s;seed-source=file:%s;mode=%s;ctx=orders-v1", alg, other, mode)),
				}
				switch alg {
				case provider.SLHDSASHA2128s:
					// About 0.4 s a signature (several under the race
					// detector): keep the concurrency check small.
					s.Goroutines, s.OpsPerGoroutine = 2, 1
				case provider.SLHDSASHA2128f:
					s.Goroutines, s.OpsPerGoroutine = 4, 2
				}
				conformance.Test(t, s)
			})
		}
	}
}
