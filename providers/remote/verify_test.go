package remote

import (
	"context"
	"crypto"
	"crypto/x509"
	"testing"

	"google.golang.org/grpc"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/internal/stdverify/stdverifytest"
	"github.com/tinywindow/tinywindow/provider"
)

// publicKeyOnly answers PublicKey with a fixed key; every other call panics
// (the embedded interface is nil), so a Verify that left the process would
// fail the test.
type publicKeyOnly struct {
	signerpb.SignerClient
	alg  provider.Algorithm
	spki []byte
}

func (c *publicKeyOnly) PublicKey(context.Context, *signerpb.PublicKeyRequest, ...grpc.CallOption) (*signerpb.PublicKeyResponse, error) {
	return &signerpb.PublicKeyResponse{
		Info: &signerpb.KeyInfo{Name: "k", Id: "wycheproof", Algorithm: string(c.alg), Backend: "pkcs11"},
		Spki: c.spki,
	}, nil
}

// TestLocalVerifyWycheproof opens a handle the way Open does, on a service
// that publishes each Wycheproof public key, and judges the shared table
// with the handle's Verify, which must decide locally.
func TestLocalVerifyWycheproof(t *testing.T) {
	cfg := &config{addr: "127.0.0.1:1", name: "k", timeout: DefaultTimeout}
	stdverifytest.Run(t, func(alg provider.Algorithm, pub crypto.PublicKey, msg, sig []byte) error {
		spki, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		k, err := newKey(t.Context(), cfg, nil, &publicKeyOnly{alg: alg, spki: spki})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := k.(provider.PublicKeyer); !ok {
			t.Fatalf("%s key from the service offers no public key, so it would not verify locally", alg)
		}
		return k.Verify(t.Context(), msg, sig)
	}, stdverifytest.Algorithms...)
}
