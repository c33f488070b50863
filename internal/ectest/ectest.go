// Package ectest is an ECDSA P-256 backend on crypto/ecdsa for TinyWindow's
// own tests: a real asymmetric key, with a public key, PEM export and a
// digest signer, for testing the parts of the project that work on any key
// (the crypto.Signer adapter, the keyring, the telemetry wrapper, the remote
// transport) without an HSM or a cloud service. Its scheme is "ectest".
package ectest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme Register adds: "ectest:" opens a random key,
// "ectest:seed=S" the key whose private scalar is SHA-256("ectest:" + S).
const Scheme = "ectest"

// Key is one handle to an ECDSA P-256 key. Close affects this handle only.
type Key struct {
	priv   *ecdsa.PrivateKey
	der    []byte
	info   provider.KeyInfo
	closed atomic.Bool
}

var (
	_ provider.Key            = (*Key)(nil)
	_ provider.PublicKeyer    = (*Key)(nil)
	_ provider.PublicKeyPEMer = (*Key)(nil)
	_ provider.DigestSigner   = (*Key)(nil)
)

// New returns a handle to a new random key.
func New() *Key {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return newKey(priv)
}

// FromSeed returns a handle to the key derived from seed.
func FromSeed(seed string) *Key {
	d := sha256.Sum256([]byte("ectest:" + seed))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		panic(err) // a SHA-256 output is a valid P-256 scalar but with negligible probability
	}
	return newKey(priv)
}

func newKey(priv *ecdsa.PrivateKey) *Key {
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		panic(err)
	}
	return &Key{priv: priv, der: der, info: provider.KeyInfo{
		ID: provider.KeyIDFromPublic(der), Algorithm: provider.ECDSAP256SHA256, Backend: Scheme,
	}}
}

// Reopen returns a fresh handle to the same key.
func (k *Key) Reopen() *Key { return &Key{priv: k.priv, der: k.der, info: k.info} }

var registerOnce sync.Once

// Register adds the "ectest" scheme to the provider registry, once however
// often it is called.
func Register() {
	registerOnce.Do(func() {
		provider.Register(provider.Backend{
			Scheme:      Scheme,
			Description: "ECDSA P-256 on crypto/ecdsa, for tests",
			Algorithms:  []provider.Algorithm{provider.ECDSAP256SHA256},
			Open: func(_ context.Context, u *provider.URI) (provider.Key, error) {
				if err := u.Check(Scheme, "seed"); err != nil {
					return nil, err
				}
				if seed, ok := u.Get("seed"); ok {
					return FromSeed(seed), nil
				}
				return New(), nil
			},
		})
	})
}

func (k *Key) check(ctx context.Context) error {
	if k.closed.Load() {
		return fmt.Errorf("%w: ectest key %s", provider.ErrClosed, k.info.ID)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	return nil
}

// Info describes the key.
func (k *Key) Info() provider.KeyInfo { return k.info }

// Public returns the *ecdsa.PublicKey.
func (k *Key) Public() crypto.PublicKey { return &k.priv.PublicKey }

// Close makes this handle fail with ErrClosed. It is idempotent.
func (k *Key) Close() error { k.closed.Store(true); return nil }

// PublicKeyPEM returns the public key as a PEM SubjectPublicKeyInfo.
func (k *Key) PublicKeyPEM() ([]byte, error) {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.der}), nil
}

// Sign returns the ASN.1 DER ECDSA signature of SHA-256(msg).
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	return k.SignDigest(ctx, d[:], crypto.SHA256)
}

// SignDigest signs a SHA-256 digest.
func (k *Key) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if opts == nil || opts.HashFunc() != crypto.SHA256 || len(digest) != sha256.Size {
		return nil, fmt.Errorf("%w: ectest signs SHA-256 digests only", provider.ErrUnsupported)
	}
	return ecdsa.SignASN1(rand.Reader, k.priv, digest)
}

// Verify checks an ASN.1 DER signature of SHA-256(msg), under the rule every
// backend shares (internal/stdverify).
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.check(ctx); err != nil {
		return err
	}
	return stdverify.Verify(provider.ECDSAP256SHA256, &k.priv.PublicKey, msg, sig)
}

// Closed reports whether Close was called on this handle.
func (k *Key) Closed() bool { return k.closed.Load() }
