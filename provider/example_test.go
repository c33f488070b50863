package provider_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/providers/pem"
)

// Open a key by URI, sign, and tell a forgery from an outage.
func Example() {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		panic(err)
	}
	defer key.Close()

	sig, _ := key.Sign(ctx, []byte("buy 100 XYZ"))
	err = key.Verify(ctx, []byte("buy 900 XYZ"), sig)
	switch {
	case err == nil:
		fmt.Println("valid")
	case errors.Is(err, provider.ErrInvalidSignature):
		fmt.Println("forged or altered")
	default:
		fmt.Println("could not check:", err)
	}
	// Output: forged or altered
}

func ExampleParseURI() {
	u, err := provider.ParseURI("pkcs11:token=tinywindow;object=orders?pin-source=env:TW_PIN")
	if err != nil {
		panic(err)
	}
	object, _ := u.Get("object")
	fmt.Println(u.Scheme, object)
	fmt.Println(u)
	// Output:
	// pkcs11 orders
	// pkcs11:token=tinywindow;object=orders?pin-source=env:TW_PIN
}

// A keyring verifies what older keys signed after the signing key rotates.
func ExampleKeyring() {
	ctx := context.Background()
	oldKey, _ := provider.Open(ctx, "hmac:seed=1")
	newKey, _ := provider.Open(ctx, "hmac:seed=2")
	ring, _ := provider.NewKeyring(oldKey)

	id, sig, _ := ring.Sign(ctx, []byte("order"))
	_ = ring.SetPrimary(newKey)
	fmt.Println(ring.Verify(ctx, id, []byte("order"), sig))
	fmt.Println(ring.Primary().Info().ID == newKey.Info().ID)
	// Output:
	// <nil>
	// true
}

// Make a self-signed x509 certificate with a key of any asymmetric backend
// (here a pem key; an HSM or KMS key works alike), then sign a digest with a
// deadline of its own. crypto/x509 passes no context, so its Sign runs under
// provider.DefaultSignTimeout; a direct caller passes provider.SignerOpts.
func ExampleCryptoSigner() {
	priv, err := pem.GenerateKey(provider.ECDSAP256SHA256)
	if err != nil {
		panic(err)
	}
	key, err := pem.New(priv, "")
	if err != nil {
		panic(err)
	}
	defer key.Close()
	signer, err := provider.CryptoSigner(context.Background(), key)
	if err != nil {
		panic(err)
	}

	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orders"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		panic(err)
	}
	cert, _ := x509.ParseCertificate(der)
	fmt.Println("certificate verifies:", cert.CheckSignatureFrom(cert) == nil)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	digest := sha256.Sum256([]byte("buy 100 XYZ"))
	sig, err := signer.Sign(nil, digest[:], provider.SignerOpts{Opts: crypto.SHA256, Context: ctx})
	fmt.Println("signed within the deadline:", err == nil && key.Verify(ctx, []byte("buy 100 XYZ"), sig) == nil)
	// Output:
	// certificate verifies: true
	// signed within the deadline: true
}
