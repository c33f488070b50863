package stdverify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

// FuzzVerify feeds arbitrary signatures to every algorithm of the rule: it
// must never panic, and must call them invalid (a forgery by fuzzing would be
// news).
func FuzzVerify(f *testing.F) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	keys := map[provider.Algorithm]crypto.PublicKey{
		provider.ECDSAP256SHA256: &p256.PublicKey,
		provider.ECDSAP384SHA384: &p384.PublicKey,
		provider.Ed25519:         edPub,
		provider.RSAPSSSHA256:    &rsaKey.PublicKey,
		provider.RSAPKCS1SHA256:  &rsaKey.PublicKey,
	}
	f.Add(uint8(0), []byte("m"), []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add(uint8(2), []byte{}, make([]byte, 64))
	f.Add(uint8(3), []byte("order"), make([]byte, 256))
	f.Fuzz(func(t *testing.T, which uint8, msg, sig []byte) {
		alg := stdverifytest.Algorithms[int(which)%len(stdverifytest.Algorithms)]
		if err := stdverify.Verify(alg, keys[alg], msg, sig); !errors.Is(err, provider.ErrInvalidSignature) {
			t.Fatalf("%s, signature %x: Verify = %v, want ErrInvalidSignature", alg, sig, err)
		}
	})
}
