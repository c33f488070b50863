//go:build cgo && !nopkcs11

package pkcs11

import "github.com/tinywindow/tinywindow/provider"

func init() {
	provider.Register(provider.Backend{
		Scheme:      Scheme,
		Description: "keys in a PKCS#11 HSM (SoftHSM2, Luna, nShield, CloudHSM, YubiHSM): HMAC, ECDSA, Ed25519, RSA",
		Algorithms:  Algorithms(),
		Open:        OpenURI,
		Generate:    generate,
	})
}
