package vaulttransit

import (
	"crypto"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

// keyType ties a Transit key type to the algorithm this backend offers.
type keyType struct {
	vault   string // the Transit key type
	alg     provider.Algorithm
	hash    crypto.Hash // the digest sent prehashed; 0 for Ed25519 and HMAC
	sigSize int         // exact signature size; for ECDSA the largest DER size
}

var keyTypes = []keyType{
	{vault: "ecdsa-p256", alg: provider.ECDSAP256SHA256, hash: crypto.SHA256, sigSize: 72},
	{vault: "ecdsa-p384", alg: provider.ECDSAP384SHA384, hash: crypto.SHA384, sigSize: 104},
	{vault: "ed25519", alg: provider.Ed25519, sigSize: 64},
	{vault: "rsa-2048", alg: provider.RSAPSSSHA256, hash: crypto.SHA256, sigSize: 256},
	{vault: "rsa-3072", alg: provider.RSAPSSSHA256, hash: crypto.SHA256, sigSize: 384},
	{vault: "rsa-4096", alg: provider.RSAPSSSHA256, hash: crypto.SHA256, sigSize: 512},
	{vault: "hmac", alg: provider.HMACSHA256, sigSize: 32},
}

// Algorithms lists the algorithms this backend offers.
func Algorithms() []provider.Algorithm {
	return []provider.Algorithm{provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.Ed25519,
		provider.RSAPSSSHA256, provider.RSAPKCS1SHA256, provider.HMACSHA256}
}

// typeFor returns what the backend does with a key of Transit type t; RSA
// keys sign RSA PKCS #1 v1.5 when pkcs1 is set.
func typeFor(key, t string, pkcs1 bool) (*keyType, error) {
	for i := range keyTypes {
		if keyTypes[i].vault != t {
			continue
		}
		kt := keyTypes[i]
		if kt.alg == provider.RSAPSSSHA256 && pkcs1 {
			kt.alg = provider.RSAPKCS1SHA256
		}
		return &kt, nil
	}
	return nil, fmt.Errorf("%w: vault key %s is of type %q; TinyWindow signs with ecdsa-p256, ecdsa-p384, ed25519, rsa-2048/3072/4096 and hmac keys",
		provider.ErrUnsupported, key, t)
}

// typeForAlgorithm returns the Transit key type Generate creates for alg:
// RSA keys are rsa-3072.
func typeForAlgorithm(alg provider.Algorithm) (string, error) {
	switch alg {
	case "", provider.ECDSAP256SHA256:
		return "ecdsa-p256", nil
	case provider.ECDSAP384SHA384:
		return "ecdsa-p384", nil
	case provider.Ed25519:
		return "ed25519", nil
	case provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		return "rsa-3072", nil
	case provider.HMACSHA256:
		return "hmac", nil
	}
	return "", fmt.Errorf("%w: vault cannot create a %s key; it creates %v", provider.ErrUnsupported, alg, Algorithms())
}

// hashName is Transit's name of a hash.
func hashName(h crypto.Hash) string {
	if h == crypto.SHA384 {
		return "sha2-384"
	}
	return "sha2-256"
}
