//go:build !go1.27

package pqc_test

import (
	"crypto"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

// verifyWithPublic verifies an ML-DSA signature with an empty context under
// the value Public returned: circl's key type when built with Go 1.26.
func verifyWithPublic(t *testing.T, pub crypto.PublicKey, msg, sig []byte) bool {
	t.Helper()
	switch pk := pub.(type) {
	case *mldsa44.PublicKey:
		return mldsa44.Verify(pk, msg, nil, sig)
	case *mldsa65.PublicKey:
		return mldsa65.Verify(pk, msg, nil, sig)
	case *mldsa87.PublicKey:
		return mldsa87.Verify(pk, msg, nil, sig)
	}
	t.Fatalf("Public() is %T, want circl's ML-DSA public key (Go 1.26)", pub)
	return false
}
