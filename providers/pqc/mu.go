package pqc

import "crypto/sha3"

// MuSize is the size of ML-DSA's message representative μ.
const MuSize = 64

// PublicKeyHash returns tr = SHAKE256(pk, 64), the hash of an ML-DSA public
// key in its FIPS 204 encoding, which every μ of that key starts from.
func PublicKeyHash(pk []byte) [64]byte {
	var tr [64]byte
	h := sha3.NewSHAKE256()
	h.Write(pk)
	h.Read(tr[:])
	return tr
}

// ExternalMu returns the message representative μ that ML-DSA signs for msg
// with an empty context string (FIPS 204, Algorithms 2 and 7):
//
//	μ = SHAKE256(tr || 0x00 || 0x00 || msg, 64),  tr = PublicKeyHash(pk)
//
// The first 0x00 marks pure ML-DSA (not HashML-DSA), the second is the length
// of the empty context. A key service that signs an "external μ" (AWS KMS's
// EXTERNAL_MU, Cloud KMS's *_EXTERNAL_MU versions, crypto.MLDSAMu) signs this.
func ExternalMu(tr *[64]byte, msg []byte) [MuSize]byte {
	var mu [MuSize]byte
	h := sha3.NewSHAKE256()
	h.Write(tr[:])
	h.Write([]byte{0, 0})
	h.Write(msg)
	h.Read(mu[:])
	return mu
}
