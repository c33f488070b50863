package pqc_test

import (
	"bytes"
	"testing"

	"github.com/tinywindow/tinywindow/internal/batchtest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// TestBatchSigning: orders batch-signed with ML-DSA and SLH-DSA keys (one
// signature per batch) are all accepted by a venue that verifies each batch
// once and each order's proof against it.
func TestBatchSigning(t *testing.T) {
	for _, tc := range []struct {
		alg  provider.Algorithm
		seed int
	}{
		{provider.MLDSA44, 32},
		{provider.MLDSA65, 32},
		{provider.MLDSA87, 32},
		{provider.SLHDSASHA2128f, 48},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			key, err := pqc.NewFromSeed(bytes.Repeat([]byte{5}, tc.seed), pqc.Options{Algorithm: tc.alg})
			if err != nil {
				t.Fatal(err)
			}
			batchtest.Run(t, key)
		})
	}
}
