//go:build cgo && !nopkcs11

package pkcs11

import (
	"testing"

	"github.com/tinywindow/tinywindow/internal/batchtest"
	"github.com/tinywindow/tinywindow/internal/testenv"
)

// TestBatchSigning: orders batch-signed with keys held in SoftHSM2 (one
// C_Sign per batch) are all accepted by a venue that verifies each batch
// once and each order's proof against it.
func TestBatchSigning(t *testing.T) {
	needKeys(t)
	for _, object := range []string{"p256", "ed25519", "hmac"} {
		t.Run(object, func(t *testing.T) {
			key := testenv.MustOpen(t, keyURI(object))
			batchtest.Run(t, key)
		})
	}
}

// BenchmarkBatchPaired is batchtest.BenchPaired with a P-256 key held in
// SoftHSM2: orders signed one by one (one C_Sign each) against orders
// batch-signed (window 50µs, at most 256 per batch; one C_Sign per batch),
// in one run. Run it short:
//
//	go test -run '^$' -bench BatchPaired -benchtime 4x ./providers/pkcs11/
func BenchmarkBatchPaired(b *testing.B) {
	needKeys(b)
	batchtest.BenchPaired(b, testenv.MustOpen(b, keyURI("p256")))
}
