package awskms_test

import (
	"context"
	"testing"

	"github.com/tinywindow/tinywindow/internal/batchtest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestBatchSigning: orders batch-signed with local-kms keys (one Sign call
// per batch) are all accepted by a venue that verifies each batch once and
// each order's proof against it.
func TestBatchSigning(t *testing.T) {
	l := needKMS(t)
	for _, alias := range []string{"alias/tw-p256-a", "alias/tw-hmac-b"} {
		t.Run(alias, func(t *testing.T) {
			key, err := provider.Open(context.Background(), l.URI(alias))
			if err != nil {
				t.Fatal(err)
			}
			defer key.Close()
			batchtest.Run(t, key)
		})
	}
}

// BenchmarkBatchPaired is batchtest.BenchPaired with a local-kms P-256 key
// (local-kms has no ML-DSA keys): orders signed one by one (one Sign call
// each) against orders batch-signed (window 50µs, at most 256 per batch;
// one Sign call per batch), in one run. Run it short:
//
//	go test -run '^$' -bench BatchPaired -benchtime 4x ./providers/awskms/
func BenchmarkBatchPaired(b *testing.B) {
	l := needKMS(b)
	key, err := provider.Open(context.Background(), l.URI("alias/tw-p256-a"))
	if err != nil {
		b.Fatal(err)
	}
	defer key.Close()
	batchtest.BenchPaired(b, key)
}
