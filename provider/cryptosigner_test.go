package provider_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func TestCryptoSignerMakesCertificates(t *testing.T) {
	k := ectest.New()
	cs, err := provider.CryptoSigner(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orders"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, cs.Public(), cs)
	if err != nil {
		t.Fatalf("x509.CreateCertificate through the adapter: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Fatalf("self-signed certificate does not verify: %v", err)
	}
	d := sha256.Sum256([]byte("m"))
	if _, err := cs.Sign(nil, d[:20], crypto.SHA256); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("short digest: %v", err)
	}
	if sig, err := cs.Sign(nil, d[:], crypto.SHA256); err != nil || !ecdsa.VerifyASN1(k.Public().(*ecdsa.PublicKey), d[:], sig) {
		t.Errorf("Sign: %v", err)
	}
}

func TestCryptoSignerRefusesMAC(t *testing.T) {
	if _, err := provider.CryptoSigner(context.Background(), hmac.NewFromSeed(1)); !errors.Is(err, provider.ErrUnsupported) {
		t.Fatalf("CryptoSigner of an HMAC key: %v, want ErrUnsupported", err)
	}
}
