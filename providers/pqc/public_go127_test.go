//go:build go1.27

package pqc_test

import (
	"crypto"
	"crypto/mldsa"
	"testing"
)

// verifyWithPublic verifies an ML-DSA signature with an empty context under
// the value Public returned: the standard library's *mldsa.PublicKey when
// built with Go 1.27, whatever the engine.
func verifyWithPublic(t *testing.T, pub crypto.PublicKey, msg, sig []byte) bool {
	t.Helper()
	pk, ok := pub.(*mldsa.PublicKey)
	if !ok {
		t.Fatalf("Public() is %T, want *mldsa.PublicKey (Go 1.27)", pub)
	}
	return mldsa.Verify(pk, msg, sig, nil) == nil
}
