//go:build !go1.27

package conformance

import (
	"crypto"

	"github.com/tinywindow/tinywindow/provider"
)

// stdlibVerifyMLDSA handles nothing: Go 1.26 has no crypto/mldsa.
func stdlibVerifyMLDSA(provider.Algorithm, crypto.PublicKey, []byte, []byte, []byte) (ok, handled bool, err error) {
	return false, false, nil
}
