//go:build !go1.27

package awskms

import "crypto"

// stdMLDSAPublicKey returns nil: Go 1.26 has no crypto/mldsa.
func stdMLDSAPublicKey([]byte) crypto.PublicKey { return nil }

// stdMLDSAVerify is never called: without crypto/mldsa no key has a
// standard-library form.
func stdMLDSAVerify(crypto.PublicKey, []byte, []byte) bool { return false }
