package pem_test

import (
	"crypto/x509"
	stdpem "encoding/pem"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// FuzzParsePrivateKey checks that ParsePrivateKey never panics, that every
// error is ErrInvalidConfig or ErrUnsupported, and that every key it accepts
// makes a Key or is refused with one of those kinds.
func FuzzParsePrivateKey(f *testing.F) {
	for _, alg := range []provider.Algorithm{provider.Ed25519, provider.ECDSAP256SHA256} {
		priv, err := pem.GenerateKey(alg)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := pem.MarshalPrivateKey(priv)
		f.Add(b)
	}
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"))
	f.Add(stdpem.EncodeToMemory(&stdpem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{0x30, 0x00}}))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		priv, err := pem.ParsePrivateKey(data)
		if err != nil {
			if !errors.Is(err, provider.ErrInvalidConfig) && !errors.Is(err, provider.ErrUnsupported) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		k, err := pem.New(priv, "")
		if err != nil {
			if !errors.Is(err, provider.ErrUnsupported) && !errors.Is(err, provider.ErrInvalidConfig) {
				t.Fatalf("New: error of no known kind: %v", err)
			}
			return
		}
		defer k.Close()
		if _, err := x509.MarshalPKIXPublicKey(k.Public()); err != nil {
			t.Fatalf("accepted key has no encodable public key: %v", err)
		}
	})
}

// FuzzNewVerifier checks the public-key reader (internal/spki, then the
// classical or pqc key inside): it never panics, every error is
// ErrInvalidConfig or ErrUnsupported, and every key it accepts writes a PEM
// public key that reads back as a key with the same ID and algorithm.
func FuzzNewVerifier(f *testing.F) {
	for _, alg := range []provider.Algorithm{provider.Ed25519, provider.ECDSAP256SHA256, provider.RSAPSSSHA256} {
		priv, err := pem.GenerateKey(alg)
		if err != nil {
			f.Fatal(err)
		}
		der, _ := x509.MarshalPKIXPublicKey(priv.Public())
		f.Add(stdpem.EncodeToMemory(&stdpem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	f.Add(stdpem.EncodeToMemory(&stdpem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x05, 0x30, 0x00, 0x03, 0x01, 0x00}}))
	f.Add(stdpem.EncodeToMemory(&stdpem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x00}}))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := pem.NewVerifier(data, "")
		if err != nil {
			if !errors.Is(err, provider.ErrInvalidConfig) && !errors.Is(err, provider.ErrUnsupported) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		defer k.Close()
		out, err := k.(provider.PublicKeyPEMer).PublicKeyPEM()
		if err != nil {
			t.Fatalf("accepted key has no PEM public key: %v", err)
		}
		again, err := pem.NewVerifier(out, "")
		if err != nil {
			t.Fatalf("the accepted key's PEM does not read back: %v", err)
		}
		defer again.Close()
		if again.Info() != k.Info() {
			t.Fatalf("read back as %+v, want %+v", again.Info(), k.Info())
		}
	})
}
