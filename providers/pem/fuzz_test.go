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
