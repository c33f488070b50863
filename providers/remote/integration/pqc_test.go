package remote_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tinywindow/tinywindow/conformance"
	_ "github.com/tinywindow/tinywindow/providers/pqc"
)

// TestConformancePQC runs the suite through the service on post-quantum keys,
// which the remote backend verifies in the service (their context string is
// the service's to know).
func TestConformancePQC(t *testing.T) {
	for _, tc := range []struct {
		alg      string
		seedSize int
	}{
		{"ML-DSA-44", 32},
		{"ML-DSA-65", 32},
		{"ML-DSA-87", 32},
		{"SLH-DSA-SHA2-128f", 48},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			seed := func(b byte) string { return hex.EncodeToString([]byte(strings.Repeat(string(rune(b)), tc.seedSize))) }
			t.Setenv("TW_TEST_PQC_SEED_A", seed('a'))
			t.Setenv("TW_TEST_PQC_SEED_B", seed('b'))
			f := start(t, map[string]string{
				"pq":  "pqc:alg=" + tc.alg + ";seed-source=env:TW_TEST_PQC_SEED_A",
				"pq2": "pqc:alg=" + tc.alg + ";seed-source=env:TW_TEST_PQC_SEED_B",
			})
			conformance.Test(t, conformance.Subject{
				Open:            conformance.OpenURI(f.uri("pq", f.trader)),
				Other:           conformance.OpenURI(f.uri("pq2", f.trader)),
				Goroutines:      8,
				OpsPerGoroutine: 2,
			})
		})
	}
}
