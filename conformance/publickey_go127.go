//go:build go1.27

package conformance

import (
	"crypto"
	"crypto/mldsa"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// stdlibVerifyMLDSA verifies an ML-DSA signature with crypto/mldsa, under
// the context string the key binds. handled is false for other algorithms.
func stdlibVerifyMLDSA(alg provider.Algorithm, pub crypto.PublicKey, context []byte, msg, sig []byte) (ok, handled bool, err error) {
	var want mldsa.Parameters
	switch alg {
	case provider.MLDSA44:
		want = mldsa.MLDSA44()
	case provider.MLDSA65:
		want = mldsa.MLDSA65()
	case provider.MLDSA87:
		want = mldsa.MLDSA87()
	default:
		return false, false, nil
	}
	pk, isML := pub.(*mldsa.PublicKey)
	if !isML {
		return false, true, fmt.Errorf("%s key's public key is %T, want *mldsa.PublicKey", alg, pub)
	}
	if pk.Parameters() != want {
		return false, true, fmt.Errorf("%s key's public key is %s", alg, pk.Parameters())
	}
	var opts *mldsa.Options
	if len(context) > 0 {
		opts = &mldsa.Options{Context: string(context)}
	}
	return mldsa.Verify(pk, msg, sig, opts) == nil, true, nil
}
