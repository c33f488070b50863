package stdverify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// BenchmarkVerify compares Verify with the raw standard-library call it
// wraps (hash and verify, no checks), on a 64-byte message.
func BenchmarkVerify(b *testing.B) {
	msg := make([]byte, 64)
	d := sha256.Sum256(msg)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecSig, _ := ecdsa.SignASN1(rand.Reader, p256, d[:])
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edSig := ed25519.Sign(edPriv, msg)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pssSig, _ := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, d[:], stdverify.PSSOptions(crypto.SHA256))
	for _, tc := range []struct {
		alg provider.Algorithm
		pub crypto.PublicKey
		sig []byte
		raw func() bool
	}{
		{provider.ECDSAP256SHA256, &p256.PublicKey, ecSig, func() bool {
			d := sha256.Sum256(msg)
			return ecdsa.VerifyASN1(&p256.PublicKey, d[:], ecSig)
		}},
		{provider.Ed25519, edPub, edSig, func() bool { return ed25519.Verify(edPub, msg, edSig) }},
		{provider.RSAPSSSHA256, &rsaKey.PublicKey, pssSig, func() bool {
			d := sha256.Sum256(msg)
			return rsa.VerifyPSS(&rsaKey.PublicKey, crypto.SHA256, d[:], pssSig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}},
	} {
		b.Run(string(tc.alg)+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !tc.raw() {
					b.Fatal("rejected")
				}
			}
		})
		b.Run(string(tc.alg)+"/stdverify", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := stdverify.Verify(tc.alg, tc.pub, msg, tc.sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
