package conformance

import (
	"crypto"

	"github.com/tinywindow/tinywindow/provider"
)

// signatureContexter is implemented by keys that bind a context string into
// their signatures (pqc's ctx=), which a verifier of the standard library
// must be given.
type signatureContexter interface {
	SignatureContext() []byte
}

// publicKeyVerify verifies sig over msg with the standard library, as the
// publickey checks do: crypto/mldsa (Go 1.27 and later) for ML-DSA, under
// the key's context string, and stdlibVerify for the rest.
func publicKeyVerify(k provider.Signer, pub crypto.PublicKey, msg, sig []byte) (ok bool, skip string, err error) {
	var context []byte
	if c, isC := k.(signatureContexter); isC {
		context = c.SignatureContext()
	}
	if ok, handled, err := stdlibVerifyMLDSA(k.Info().Algorithm, pub, context, msg, sig); handled {
		return ok, "", err
	}
	return stdlibVerify(k.Info().Algorithm, pub, msg, sig)
}
