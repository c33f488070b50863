package execadapter_test

import (
	"bytes"
	"testing"

	"github.com/tinywindow/tinywindow/internal/batchtest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// BenchmarkBatchPaired is batchtest.BenchPaired with an ML-DSA-65 key:
// orders signed one by one from one goroutine against orders batch-signed
// (window 50µs, at most 256 per batch) from 256 goroutines, in one run.
// Run it short:
//
//	go test -run '^$' -bench BatchPaired -benchtime 10x ./execadapter/
func BenchmarkBatchPaired(b *testing.B) {
	key, err := pqc.NewFromSeed(bytes.Repeat([]byte{7}, 32), pqc.Options{Algorithm: provider.MLDSA65})
	if err != nil {
		b.Fatal(err)
	}
	batchtest.BenchPaired(b, key)
}
