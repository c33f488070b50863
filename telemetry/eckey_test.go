package telemetry_test

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
	"testing"

	"github.com/tinywindow/tinywindow/provider"
)

// ecKey is a small ECDSA P-256 key on crypto/ecdsa: an asymmetric key with a
// public key and a digest signer, to show that the wrapper keeps them.
type ecKey struct {
	priv   *ecdsa.PrivateKey
	info   provider.KeyInfo
	closed bool
	shut   atomic.Bool
}

func newECKey(t testing.TB) *ecKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	return &ecKey{priv: priv, info: provider.KeyInfo{ID: provider.KeyIDFromPublic(der), Algorithm: provider.ECDSAP256SHA256, Backend: "ectest"}}
}

// reopen returns a fresh handle to the same key.
func (k *ecKey) reopen() *ecKey { return &ecKey{priv: k.priv, info: k.info} }

func (k *ecKey) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	if k.shut.Load() {
		return provider.ErrClosed
	}
	return nil
}

func (k *ecKey) Info() provider.KeyInfo   { return k.info }
func (k *ecKey) Public() crypto.PublicKey { return &k.priv.PublicKey }
func (k *ecKey) Close() error             { k.closed = true; k.shut.Store(true); return nil }

func (k *ecKey) PublicKeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

func (k *ecKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	return k.SignDigest(ctx, d[:], crypto.SHA256)
}

func (k *ecKey) SignDigest(ctx context.Context, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	return ecdsa.SignASN1(rand.Reader, k.priv, digest)
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
