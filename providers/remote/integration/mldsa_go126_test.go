//go:build !go1.27

package remote_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
)

// TestSignDigestMLDSANeedsGo127: a service built with Go 1.26 signs an
// ML-DSA message under the key's context string, and refuses an external μ,
// saying it needs Go 1.27.
func TestSignDigestMLDSANeedsGo127(t *testing.T) {
	t.Setenv("TW_TEST_PQC_SEED_A", hex.EncodeToString([]byte(strings.Repeat("a", 32))))
	f := start(t, map[string]string{"pq": "pqc:alg=ML-DSA-65;seed-source=env:TW_TEST_PQC_SEED_A;ctx=orders-v1"})
	c := signerpb.NewSignerClient(f.ca.Conn(t, f.addr, f.trader))
	ctxStr := "orders-v1"
	if _, err := c.SignDigest(context.Background(), &signerpb.SignDigestRequest{Key: "pq", Digest: []byte("order 42"), Context: &ctxStr}); err != nil {
		t.Errorf("sign under the key's context: %v", err)
	}
	_, err := c.SignDigest(context.Background(), &signerpb.SignDigestRequest{Key: "pq", Digest: make([]byte, 64), Hash: signerpb.Hash_HASH_MLDSA_MU})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "needs Go 1.27") {
		t.Errorf("external μ: %v, want UNIMPLEMENTED saying it needs Go 1.27", err)
	}
}
