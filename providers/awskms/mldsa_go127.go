//go:build go1.27

package awskms

import (
	"crypto"
	"crypto/mldsa"
)

// stdMLDSAPublicKey returns the standard library's form of a raw ML-DSA
// public key, or nil when crypto/mldsa refuses it (the FIPS 140-3 module
// v1.0.0 has no ML-DSA).
func stdMLDSAPublicKey(raw []byte) crypto.PublicKey {
	var params mldsa.Parameters
	switch len(raw) {
	case mldsa.MLDSA44PublicKeySize:
		params = mldsa.MLDSA44()
	case mldsa.MLDSA65PublicKeySize:
		params = mldsa.MLDSA65()
	case mldsa.MLDSA87PublicKeySize:
		params = mldsa.MLDSA87()
	default:
		return nil
	}
	pk, err := mldsa.NewPublicKey(params, raw)
	if err != nil {
		return nil
	}
	return pk
}

// stdMLDSAVerify verifies with crypto/mldsa and the empty context string.
func stdMLDSAVerify(pub crypto.PublicKey, msg, sig []byte) bool {
	pk, ok := pub.(*mldsa.PublicKey)
	return ok && mldsa.Verify(pk, msg, sig, nil) == nil
}
