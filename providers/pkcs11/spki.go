//go:build cgo && !nopkcs11

package pkcs11

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
)

// Public returns the public key: *ecdsa.PublicKey, ed25519.PublicKey or
// *rsa.PublicKey.
func (k *AsymmetricKey) Public() crypto.PublicKey { return k.pub }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
func (k *AsymmetricKey) PublicKeyPEM() ([]byte, error) {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.spki}), nil
}

// marshalSPKI encodes pub as a DER SubjectPublicKeyInfo.
func marshalSPKI(pub crypto.PublicKey) ([]byte, error) {
	return x509.MarshalPKIXPublicKey(pub)
}
