package stdverify_test

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"testing"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// TestCheckSignerOpts: the options a crypto.Signer caller may pass for each
// algorithm, and the error kind of each wrong one.
func TestCheckSignerOpts(t *testing.T) {
	d32, d48 := make([]byte, 32), make([]byte, 48)
	for _, tc := range []struct {
		name   string
		alg    provider.Algorithm
		digest []byte
		opts   crypto.SignerOpts
		want   error
	}{
		{"p256", provider.ECDSAP256SHA256, d32, crypto.SHA256, nil},
		{"p384", provider.ECDSAP384SHA384, d48, crypto.SHA384, nil},
		{"p384 given sha256", provider.ECDSAP384SHA384, d32, crypto.SHA256, provider.ErrUnsupported},
		{"p256 no hash", provider.ECDSAP256SHA256, d32, crypto.Hash(0), provider.ErrUnsupported},
		{"p256 short digest", provider.ECDSAP256SHA256, d32[:31], crypto.SHA256, provider.ErrInvalidConfig},
		{"nil opts", provider.ECDSAP256SHA256, d32, nil, provider.ErrInvalidConfig},
		{"p256 with pss", provider.ECDSAP256SHA256, d32, &rsa.PSSOptions{Hash: crypto.SHA256}, provider.ErrUnsupported},
		{"pss equals hash", provider.RSAPSSSHA256, d32, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}, nil},
		{"pss 32", provider.RSAPSSSHA256, d32, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: 32}, nil},
		{"pss auto", provider.RSAPSSSHA256, d32, &rsa.PSSOptions{Hash: crypto.SHA256}, provider.ErrUnsupported},
		{"pss 20", provider.RSAPSSSHA256, d32, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: 20}, provider.ErrUnsupported},
		{"pss plain hash", provider.RSAPSSSHA256, d32, crypto.SHA256, provider.ErrUnsupported},
		{"pkcs1", provider.RSAPKCS1SHA256, d32, crypto.SHA256, nil},
		{"pkcs1 with pss", provider.RSAPKCS1SHA256, d32, stdverify.PSSOptions(crypto.SHA256), provider.ErrUnsupported},
		{"ed25519", provider.Ed25519, []byte("any message"), crypto.Hash(0), nil},
		{"ed25519 hashed", provider.Ed25519, d32, crypto.SHA256, provider.ErrUnsupported},
		{"ml-dsa", provider.MLDSA65, []byte("m"), crypto.Hash(0), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := stdverify.CheckSignerOpts(tc.alg, tc.digest, tc.opts)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("CheckSignerOpts = %v, want %v", err, tc.want)
			}
		})
	}
}
