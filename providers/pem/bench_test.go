package pem_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// BenchmarkSign measures signing a 64-byte message through the pem backend
// against the raw standard library call it wraps, in the same run.
func BenchmarkSign(b *testing.B) {
	msg := make([]byte, 64)
	for _, alg := range []provider.Algorithm{provider.Ed25519, provider.ECDSAP256SHA256} {
		priv := sharedKey(b, alg, 0)
		b.Run(string(alg)+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				switch p := priv.(type) {
				case ed25519.PrivateKey:
					ed25519.Sign(p, msg)
				case *ecdsa.PrivateKey:
					d := sha256.Sum256(msg)
					ecdsa.SignASN1(rand.Reader, p, d[:])
				}
			}
		})
		b.Run(string(alg)+"/pem", func(b *testing.B) {
			k := testenv.MustOpen(b, "pem:key-source=file:"+writeKeyFile(b, "k.pem", pkcs8(b, priv)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Sign(b.Context(), msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
