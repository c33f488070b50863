package remote_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
)

// TestCryptoSigner: a remote ECDSA key is a crypto.Signer whose signatures
// the standard library verifies with the public key fetched at Open.
func TestCryptoSigner(t *testing.T) {
	ctx := context.Background()
	f := start(t, map[string]string{"ec": "ectest:seed=1", "orders-mac": "hmac:seed=42"})
	k, err := provider.Open(ctx, f.uri("ec", f.trader))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	cs, err := provider.CryptoSigner(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("order 42"))
	sig, err := cs.Sign(nil, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(cs.Public().(*ecdsa.PublicKey), d[:], sig) {
		t.Fatal("crypto/ecdsa rejects the crypto.Signer's signature")
	}
	if err := k.Verify(ctx, []byte("order 42"), sig); err != nil {
		t.Errorf("the key's Verify rejects the digest signature: %v", err)
	}
	if _, ok := testenv.MustOpen(t, f.uri("orders-mac", f.trader)).(provider.DigestSigner); ok {
		t.Error("a remote HMAC key is a DigestSigner")
	}
}

// TestSignDigestAuthorised: SignDigest is authorised as Sign, and the
// service refuses a malformed request before the key sees it.
func TestSignDigestAuthorised(t *testing.T) {
	ctx := context.Background()
	f := start(t, map[string]string{"ec": "ectest:seed=1", "ec2": "ectest:seed=2"},
		service.Client{Identity: "verifier", Keys: []string{"ec"}, Operations: []string{"verify"}},
		service.Client{Identity: "other-key", Keys: []string{"ec2"}, Operations: []string{"sign", "verify"}})
	d := sha256.Sum256([]byte("x"))
	salt := int32(-1)
	ctxStr := "orders-v1"
	for _, tc := range []struct {
		name   string
		client string
		req    *signerpb.SignDigestRequest
		want   codes.Code
	}{
		{"authorised", "trader", &signerpb.SignDigestRequest{Key: "ec", Digest: d[:], Hash: signerpb.Hash_HASH_SHA256}, codes.OK},
		{"verify-only client", "verifier", &signerpb.SignDigestRequest{Key: "ec", Digest: d[:], Hash: signerpb.Hash_HASH_SHA256}, codes.PermissionDenied},
		{"client of another key", "other-key", &signerpb.SignDigestRequest{Key: "ec", Digest: d[:], Hash: signerpb.Hash_HASH_SHA256}, codes.PermissionDenied},
		{"stranger", "stranger", &signerpb.SignDigestRequest{Key: "ec", Digest: d[:], Hash: signerpb.Hash_HASH_SHA256}, codes.PermissionDenied},
		{"short digest", "trader", &signerpb.SignDigestRequest{Key: "ec", Digest: d[:31], Hash: signerpb.Hash_HASH_SHA256}, codes.InvalidArgument},
		{"wrong hash for the key", "trader", &signerpb.SignDigestRequest{Key: "ec", Digest: make([]byte, 48), Hash: signerpb.Hash_HASH_SHA384}, codes.Unimplemented},
		{"unknown hash", "trader", &signerpb.SignDigestRequest{Key: "ec", Digest: d[:], Hash: 99}, codes.InvalidArgument},
		{"pss without a hash", "trader", &signerpb.SignDigestRequest{Key: "ec", Digest: d[:], PssSaltLength: &salt}, codes.InvalidArgument},
		{"context the key does not bind", "trader", &signerpb.SignDigestRequest{Key: "ec", Digest: d[:], Context: &ctxStr}, codes.InvalidArgument},
		{"no key", "trader", &signerpb.SignDigestRequest{Digest: d[:], Hash: signerpb.Hash_HASH_SHA256}, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := signerpb.NewSignerClient(f.ca.Conn(t, f.addr, f.ca.Client(t, tc.client)))
			resp, err := c.SignDigest(ctx, tc.req)
			if got := status.Code(err); got != tc.want {
				t.Fatalf("SignDigest: %v, want %v", err, tc.want)
			}
			if err == nil && len(resp.GetSignature()) == 0 {
				t.Error("empty signature")
			}
		})
	}
}

// TestSignDigestOpts: the request carries crypto.SignerOpts there and back.
func TestSignDigestOpts(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts crypto.SignerOpts
		want error
	}{
		{"SHA-256", crypto.SHA256, nil},
		{"SHA-384", crypto.SHA384, nil},
		{"SHA-512", crypto.SHA512, nil},
		{"message", crypto.Hash(0), nil},
		{"SHA-1", crypto.SHA1, provider.ErrUnsupported},
		{"nil", nil, provider.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			digest := make([]byte, 32)
			if tc.opts != nil && tc.opts.HashFunc() != 0 {
				digest = make([]byte, tc.opts.HashFunc().Size())
			}
			req, err := signerpb.NewSignDigestRequest("k", digest, tc.opts)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("NewSignDigestRequest: %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			back, err := req.SignerOpts()
			if err != nil {
				t.Fatal(err)
			}
			if back.HashFunc() != tc.opts.HashFunc() {
				t.Errorf("round trip: %v, want %v", back.HashFunc(), tc.opts.HashFunc())
			}
		})
	}
}
