//go:build go1.27

package awskms_test

import (
	"crypto"
	"crypto/mldsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/awskms"
)

// TestMLDSACryptoSigner checks the crypto.Signer of ML-DSA KMS keys with Go
// 1.27: its public key is the standard library's *mldsa.PublicKey; crypto/x509
// makes a CSR and a certificate chain with it (an ML-DSA-65 CA signing an
// ML-DSA-44 leaf) that crypto/x509 verifies; an external μ (crypto.MLDSAMu)
// is sent to KMS as EXTERNAL_MU; a context string KMS cannot sign is refused.
func TestMLDSACryptoSigner(t *testing.T) {
	s := newMLDSAKMS(t)
	ctx := t.Context()
	signer := func(alias string) crypto.Signer {
		k, err := provider.Open(ctx, s.URI(alias))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		cs, err := provider.CryptoSigner(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		pub, ok := cs.Public().(*mldsa.PublicKey)
		if !ok {
			t.Fatalf("%s: Public() = %T, want *mldsa.PublicKey", alias, cs.Public())
		}
		if string(pub.Bytes()) != string(s.keys[alias].pkRaw) {
			t.Fatalf("%s: Public() is not the server's key", alias)
		}
		return cs
	}
	ca, leaf := signer("alias/tw-mldsa-65-a"), signer("alias/tw-mldsa-44-a")

	// Messages the server may sign through EXTERNAL_MU; certificates and
	// CSRs are under 4096 bytes and go as RAW.
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orders CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, ca.Public(), ca)
	if err != nil {
		t.Fatalf("self-signed ML-DSA-65 CA through KMS: %v", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "orders"}, DNSNames: []string{"orders.internal"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, leaf.Public(), ca)
	if err != nil {
		t.Fatal(err)
	}
	leafCert, err := x509.ParseCertificate(leafDER)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	if _, err := leafCert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "orders.internal"}); err != nil {
		t.Fatalf("crypto/x509 rejects the ML-DSA chain: %v", err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "orders"}}, leaf)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		t.Fatal(err)
	}
	if err := csr.CheckSignature(); err != nil {
		t.Fatalf("CSR signature: %v", err)
	}

	msg := make([]byte, 6000)
	s.allow(msg)
	pkRaw := s.keys["alias/tw-mldsa-44-a"].pkRaw
	tr := awskms.MLDSATr(pkRaw)
	mu := awskms.MLDSAMu(&tr, msg)
	before := s.count("EXTERNAL_MU")
	sig, err := leaf.Sign(nil, mu[:], crypto.MLDSAMu)
	if err != nil {
		t.Fatalf("signing an external μ: %v", err)
	}
	if s.count("EXTERNAL_MU") != before+1 {
		t.Error("the external μ was not sent as EXTERNAL_MU")
	}
	if err := mldsa.Verify(leaf.Public().(*mldsa.PublicKey), msg, sig, nil); err != nil {
		t.Errorf("crypto/mldsa rejects the signature of the external μ: %v", err)
	}
	if _, err := leaf.Sign(nil, mu[:32], crypto.MLDSAMu); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("32-byte μ: %v, want ErrInvalidConfig", err)
	}
	if _, err := leaf.Sign(nil, []byte("m"), &mldsa.Options{Context: "orders-v1"}); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("a context string: %v, want ErrUnsupported", err)
	}

	noMu, err := provider.Open(ctx, s.URI("alias/tw-mldsa-44-a", "external-mu=false"))
	if err != nil {
		t.Fatal(err)
	}
	defer noMu.Close()
	cs, err := provider.CryptoSigner(ctx, noMu)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Sign(nil, mu[:], crypto.MLDSAMu); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("external μ with external-mu=false: %v, want ErrUnsupported", err)
	}
}
