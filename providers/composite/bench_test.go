package composite_test

import (
	"testing"

	"github.com/tinywindow/tinywindow/internal/compositetest"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// Paired benchmarks: each composite operation against its components' own,
// alternating in one loop (see compositetest.BenchPaired).
//
//	go test ./providers/composite -run '^$' -bench . -benchtime 1000x -count 5

// BenchmarkSoftware: MLDSA44-Ed25519-SHA512, both components in software.
func BenchmarkSoftware(b *testing.B) {
	benchURI(b, softURI(b, composite.MLDSA44Ed25519SHA512, 41))
}

// BenchmarkSoftwareP256: MLDSA65-ECDSA-P256-SHA512, both in software.
func BenchmarkSoftwareP256(b *testing.B) {
	benchURI(b, softURI(b, composite.MLDSA65ECDSAP256SHA512, 42))
}

func benchURI(b *testing.B, uri string) {
	k, err := openComposite(b.Context(), uri)
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	compositetest.BenchPaired(b, k)
}
