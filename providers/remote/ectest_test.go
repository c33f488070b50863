package remote_test

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
	"sync/atomic"

	"github.com/tinywindow/tinywindow/provider"
)

// The service side of the asymmetric tests needs a key with a public key.
// No asymmetric backend is linked into this package's tests, so this file
// registers "ectest": ECDSA P-256 on crypto/ecdsa, the private scalar being
// SHA-256 of the URI's seed. It is real ECDSA; what is under test is the
// remote path around it (public key transport, local verification).
func init() {
	provider.Register(provider.Backend{
		Scheme:     "ectest",
		Algorithms: []provider.Algorithm{provider.ECDSAP256SHA256},
		Open: func(_ context.Context, u *provider.URI) (provider.Key, error) {
			if err := u.Check("ectest", "seed"); err != nil {
				return nil, err
			}
			seed, _ := u.Get("seed")
			d := sha256.Sum256([]byte("ectest:" + seed))
			priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
			if err != nil {
				return nil, fmt.Errorf("%w: ectest: %w", provider.ErrInvalidConfig, err)
			}
			der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
			if err != nil {
				return nil, err
			}
			return &ecKey{priv: priv, der: der, info: provider.KeyInfo{
				ID: provider.KeyIDFromPublic(der), Algorithm: provider.ECDSAP256SHA256, Backend: "ectest"}}, nil
		},
	})
}

type ecKey struct {
	priv   *ecdsa.PrivateKey
	der    []byte
	info   provider.KeyInfo
	closed atomic.Bool
}

func (k *ecKey) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	if k.closed.Load() {
		return provider.ErrClosed
	}
	return nil
}

func (k *ecKey) Info() provider.KeyInfo   { return k.info }
func (k *ecKey) Public() crypto.PublicKey { return &k.priv.PublicKey }
func (k *ecKey) Close() error             { k.closed.Store(true); return nil }
func (k *ecKey) Deterministic() bool      { return false }

func (k *ecKey) PublicKeyPEM() ([]byte, error) {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.der}), nil
}

func (k *ecKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	d := sha256.Sum256(msg)
	return ecdsa.SignASN1(rand.Reader, k.priv, d[:])
}

func (k *ecKey) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.check(ctx); err != nil {
		return err
	}
	d := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(&k.priv.PublicKey, d[:], sig) {
		return provider.ErrInvalidSignature
	}
	return nil
}
