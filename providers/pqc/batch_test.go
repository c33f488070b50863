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

// BenchmarkBatchPaired is batchtest.BenchPaired with ML-DSA-44 and
// ML-DSA-65 keys: orders signed one by one against orders batch-signed
// (window 50µs, at most 256 per batch), in one run. Run it short:
//
//	go test -run '^$' -bench BatchPaired -benchtime 6x ./providers/pqc/
func BenchmarkBatchPaired(b *testing.B) {
	for _, alg := range []provider.Algorithm{provider.MLDSA44, provider.MLDSA65} {
		b.Run(string(alg), func(b *testing.B) {
			key, err := pqc.NewFromSeed(bytes.Repeat([]byte{5}, 32), pqc.Options{Algorithm: alg})
			if err != nil {
				b.Fatal(err)
			}
			batchtest.BenchPaired(b, key)
		})
	}
}
