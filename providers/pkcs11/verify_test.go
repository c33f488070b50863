//go:build cgo && !nopkcs11

package pkcs11

import (
	"crypto"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// TestLocalVerifyWycheproof judges the shared table with the Verify of an
// asymmetric key holding each Wycheproof public key, as verify=local does.
// No token is needed: local verification never calls one.
func TestLocalVerifyWycheproof(t *testing.T) {
	stdverifytest.Run(t, func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
		k := &AsymmetricKey{&Key{
			cfg:  &Config{},
			info: provider.KeyInfo{ID: "wycheproof", Algorithm: alg, Backend: Scheme},
			hash: alg.Hash(),
			pub:  pub,
		}}
		return k.Verify(t.Context(), msg, sig)
	}, stdverifytest.Algorithms...)
}

// TestPSSSaltInToken has SoftHSM sign SHA-256 digests with CKM_RSA_PKCS_PSS
// and salts of several lengths, and checks that verify=local and verify=hsm
// (C_Verify with the key's CKM_SHA256_RSA_PKCS_PSS parameters, sLen 32) give
// the same verdict: only a salt as long as the hash verifies.
func TestPSSSaltInToken(t *testing.T) {
	needKeys(t)
	local := testenv.MustOpen(t, keyURI("rsa"))
	hsm := testenv.MustOpen(t, keyURI("rsa", "verify=hsm"))
	k := inner(t, local)
	msg := []byte("order 42")
	d := sha256.Sum256(msg)
	for _, tc := range []struct {
		salt  uint
		valid bool
	}{
		{32, true},
		{0, false},
		{20, false},
		{31, false},
		{33, false},
		{64, false},
		{222, false}, // the longest for 2048 bits, as local-kms and crypto/rsa's default use
	} {
		mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, tc.salt))}
		sig, err := k.signRaw(t.Context(), mech, d[:])
		if err != nil {
			t.Fatalf("salt %d: signing in the token: %v", tc.salt, err)
		}
		for name, key := range map[string]provider.Key{"verify=local": local, "verify=hsm": hsm} {
			err := key.Verify(t.Context(), msg, sig)
			if tc.valid && err != nil || !tc.valid && !errors.Is(err, provider.ErrInvalidSignature) {
				t.Errorf("salt %d, %s: Verify = %v, want valid=%v", tc.salt, name, err, tc.valid)
			}
		}
	}
}

// TestKeyHashIsAlgorithmHash: the digest a key signs in Go (CKM_ECDSA, and
// SignDigest's checks) is the one the shared verification rule hashes with.
func TestKeyHashIsAlgorithmHash(t *testing.T) {
	needKeys(t)
	for _, obj := range []string{"p256", "p384", "rsa"} {
		k := inner(t, testenv.MustOpen(t, keyURI(obj)))
		if alg := k.info.Algorithm; k.hash != alg.Hash() {
			t.Errorf("%s: hash %v, but %s hashes with %v", obj, k.hash, alg, alg.Hash())
		}
	}
}
