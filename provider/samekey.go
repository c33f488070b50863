package provider

import (
	"bytes"
	"crypto"
)

// SameKey reports whether a and b are handles on one key, whichever
// backends, URIs or processes opened them: their key IDs are equal (an ID
// is derived from the key's public material, or from its secret by a
// one-way function, so two handles on one key share it), or their public
// keys are (by the key's Equal method, else by PublicKeyPEM). It leans
// towards "same": one key ID under two algorithms (an RSA key for PSS and
// for PKCS #1 v1.5) is one key.
func SameKey(a, b interface{ Info() KeyInfo }) bool {
	ia, ib := a.Info(), b.Info()
	if ia.ID != "" && ia.ID == ib.ID {
		return true
	}
	pa, okA := a.(PublicKeyer)
	pb, okB := b.(PublicKeyer)
	if okA && okB {
		if eq, ok := pa.Public().(interface{ Equal(crypto.PublicKey) bool }); ok && eq.Equal(pb.Public()) {
			return true
		}
	}
	ea, okA := a.(PublicKeyPEMer)
	eb, okB := b.(PublicKeyPEMer)
	if okA && okB {
		pemA, errA := ea.PublicKeyPEM()
		pemB, errB := eb.PublicKeyPEM()
		return errA == nil && errB == nil && bytes.Equal(pemA, pemB)
	}
	return false
}
