package pem

import (
	"crypto"
	"crypto/ed25519"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

// TestLocalVerifyWycheproof judges the shared table of signatures with a
// pem key's own Verify, holding each vector's public key, so that a pem key
// gives the verdicts every other backend gives.
func TestLocalVerifyWycheproof(t *testing.T) {
	_, placeholder, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	stdverifytest.Run(t, func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
		k := &Key{info: provider.KeyInfo{ID: "wycheproof", Algorithm: alg, Backend: Scheme}, hash: alg.Hash(), pub: pub, priv: placeholder}
		return k.Verify(t.Context(), msg, sig)
	}, stdverifytest.AllAlgorithms...)
}
