package stdsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

func TestVerify(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("order")
	d := sha512.Sum512(msg)
	sig521, _ := ecdsa.SignASN1(rand.Reader, p521, d[:])
	if ok, err := Verify(provider.ECDSAP521SHA512, &p521.PublicKey, msg, sig521); !ok || err != nil {
		t.Fatalf("P-521 signature over SHA-512: %v %v", ok, err)
	}
	if ok, _ := Verify(provider.ECDSAP521SHA512, &p521.PublicKey, []byte("other"), sig521); ok {
		t.Fatal("P-521 signature accepted for another message")
	}
	edSig := ed25519.Sign(edPriv, msg)
	if ok, err := Verify(provider.Ed25519, edPub, msg, edSig); !ok || err != nil {
		t.Fatalf("Ed25519: %v %v", ok, err)
	}
	for _, tc := range []struct {
		alg provider.Algorithm
		pub crypto.PublicKey
	}{
		{provider.ECDSAP256SHA256, &p521.PublicKey}, // wrong curve
		{provider.ECDSAP521SHA512, &p256.PublicKey},
		{provider.Ed25519, &p256.PublicKey},
		{provider.RSAPSSSHA256, edPub},
		{provider.ECDSAP256SHA256, nil},
		{provider.Ed25519, ed25519.PublicKey(edPub[:31])},
		{provider.RSAPKCS1SHA256, (*rsa.PublicKey)(nil)},
	} {
		if ok, err := Verify(tc.alg, tc.pub, msg, sig521); ok || err == nil || errors.Is(err, ErrNoVerifier) {
			t.Errorf("%s with a %T key: %v, %v; want an error", tc.alg, tc.pub, ok, err)
		}
	}
	if _, err := Verify(provider.MLDSA65, edPub, msg, edSig); !errors.Is(err, ErrNoVerifier) {
		t.Errorf("ML-DSA-65: %v, want ErrNoVerifier", err)
	}
	if string(Digest(provider.Ed25519, msg)) != string(msg) || len(Digest(provider.ECDSAP384SHA384, msg)) != 48 {
		t.Error("Digest")
	}
}
