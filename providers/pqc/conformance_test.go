package pqc_test

import (
	"fmt"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// TestConformance runs the shared suite for every parameter set of every
// engine of this build, hedged and deterministic, with keys opened through
// their URIs from seed files. In FIPS 140-3 mode only the std engine's
// ML-DSA keys run (and, built with Go 1.26, none).
func TestConformance(t *testing.T) {
	for _, engine := range pqc.Engines() {
		for _, alg := range pqc.Algorithms() {
			if !engineHas(engine, alg) {
				continue
			}
			for _, mode := range []string{"hedged", "deterministic"} {
				conformanceCase(t, engine, alg, mode)
			}
		}
	}
}

// engineHas reports whether a key of alg opens with engine in this build
// and mode.
func engineHas(engine string, alg provider.Algorithm) bool {
	k, err := pqc.NewFromSeed(testSeed(mustSeedSize(alg), 0), pqc.Options{Algorithm: alg, Engine: engine})
	if err != nil {
		return false
	}
	k.Close()
	return true
}

func mustSeedSize(alg provider.Algorithm) int {
	n, err := pqc.SeedSize(alg)
	if err != nil {
		panic(err)
	}
	return n
}

func conformanceCase(t *testing.T, engine string, alg provider.Algorithm, mode string) {
	t.Run(fmt.Sprintf("%s/%s/%s", engine, alg, mode), func(t *testing.T) {
		t.Parallel()
		n, err := pqc.SeedSize(alg)
		if err != nil {
			t.Fatal(err)
		}
		seed := writeSecretFile(t, "seed", testSeed(n, 1))
		other := writeSecretFile(t, "other", testSeed(n, 2))
		s := conformance.Subject{
			Open:  conformance.OpenURI(fmt.Sprintf("pqc:alg=%s;seed-source=file:%s;mode=%s;ctx=orders-v1;engine=%s", alg, seed, mode, engine)),
			Other: conformance.OpenURI(fmt.Sprintf("pqc:alg=%s;seed-source=file:%s;mode=%s;ctx=orders-v1;engine=%s", alg, other, mode, engine)),
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
