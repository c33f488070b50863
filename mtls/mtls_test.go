package mtls_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/mtls"
	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
)

func init() { ectest.Register() }

func TestSignatureScheme(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		cert *x509.Certificate
		want string
	}{
		{&x509.Certificate{PublicKey: &p256.PublicKey}, "ecdsa_secp256r1_sha256"},
		{&x509.Certificate{PublicKey: &p384.PublicKey}, "ecdsa_secp384r1_sha384"},
		{&x509.Certificate{PublicKey: edPub}, "ed25519"},
		{&x509.Certificate{PublicKey: &rsaKey.PublicKey}, "rsa_pss_rsae"},
		{&x509.Certificate{}, "unknown"},
		{nil, "none"},
	} {
		if got := mtls.SignatureScheme(tc.cert); got != tc.want {
			t.Errorf("SignatureScheme: %q, want %q", got, tc.want)
		}
	}
}

// certFor makes a self-signed certificate for the key at uri.
func certFor(t *testing.T, uri string) []byte {
	t.Helper()
	k, err := provider.Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	cs, err := provider.CryptoSigner(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"}, NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, cs.Public(), cs)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestCertificateFromKey(t *testing.T) {
	ctx := context.Background()
	good := certFor(t, "ectest:seed=a")
	cert, closer, err := mtls.CertificateFromKey(ctx, good, "ectest:seed=a")
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if cert.Leaf == nil || len(cert.Certificate) != 1 {
		t.Fatalf("certificate: %+v", cert)
	}
	if cs, ok := cert.PrivateKey.(crypto.Signer); !ok || !cs.Public().(*ecdsa.PublicKey).Equal(cert.Leaf.PublicKey) {
		t.Fatalf("private key %T is not a crypto.Signer of the certificate's key", cert.PrivateKey)
	}
	for _, tc := range []struct {
		name, pem, uri string
		want           error
	}{
		{"another key", string(good), "ectest:seed=b", provider.ErrInvalidConfig},
		{"a MAC", string(good), "hmac:seed=1", provider.ErrUnsupported},
		{"no certificate", "not PEM", "ectest:seed=a", provider.ErrInvalidConfig},
		{"corrupt certificate", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}})), "ectest:seed=a", provider.ErrInvalidConfig},
		{"bad URI", string(good), "no scheme", provider.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c, err := mtls.CertificateFromKey(ctx, []byte(tc.pem), tc.uri)
			if !errors.Is(err, tc.want) {
				t.Errorf("CertificateFromKey: %v, want %v", err, tc.want)
			}
			if c != nil {
				t.Error("a closer returned with an error")
			}
		})
	}
}
