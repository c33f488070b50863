// Package memkey is a classical-key backend held in memory, on the Go
// standard library, for the composite package's tests: ECDSA P-256 and
// P-384, Ed25519, RSA-PSS and RSA-PKCS1 keys of any size. Its scheme is
// "memkey"; Register adds it. A key is named by its algorithm, a seed and,
// for RSA, a size:
//
//	memkey:alg=Ed25519;seed=a
//	memkey:alg=RSA-PSS-SHA256;bits=3072;seed=a
//
// The same URI opens the same key within one process. Keys are test
// material: never use this backend for real keys.
package memkey

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/tinywindow/tinywindow/provider"
)

// Scheme is the key URI scheme Register adds.
const Scheme = "memkey"

// Key is one handle to an in-memory key.
type Key struct {
	alg    provider.Algorithm
	signer crypto.Signer
	der    []byte
	info   provider.KeyInfo
	closed atomic.Bool
}

var (
	_ provider.Key            = (*Key)(nil)
	_ provider.PublicKeyer    = (*Key)(nil)
	_ provider.PublicKeyPEMer = (*Key)(nil)
)

var (
	registerOnce sync.Once
	cacheMu      sync.Mutex
	cache        = map[string]crypto.Signer{}
)

// Register adds the "memkey" scheme to the provider registry, once however
// often it is called.
func Register() {
	registerOnce.Do(func() {
		provider.Register(provider.Backend{
			Scheme:      Scheme,
			Description: "classical keys in memory, for tests",
			Algorithms: []provider.Algorithm{provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.Ed25519,
				provider.RSAPSSSHA256, provider.RSAPKCS1SHA256},
			Open: func(_ context.Context, u *provider.URI) (provider.Key, error) { return open(u) },
		})
	})
}

func open(u *provider.URI) (*Key, error) {
	if err := u.Check(Scheme, "alg", "seed", "bits"); err != nil {
		return nil, err
	}
	a, _ := u.Get("alg")
	alg, err := provider.ParseAlgorithm(a)
	if err != nil {
		return nil, err
	}
	seed, _ := u.Get("seed")
	bits := 2048
	if b, ok := u.Get("bits"); ok {
		if bits, err = strconv.Atoi(b); err != nil || bits < 1024 || bits > 8192 {
			return nil, fmt.Errorf("%w: memkey bits=%q", provider.ErrInvalidConfig, b)
		}
	}
	cacheKey := fmt.Sprintf("%s/%d/%s", alg, bits, seed)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	s, ok := cache[cacheKey]
	if !ok {
		if s, err = generate(alg, bits, seed); err != nil {
			return nil, err
		}
		cache[cacheKey] = s
	}
	return New(alg, s)
}

func generate(alg provider.Algorithm, bits int, seed string) (crypto.Signer, error) {
	switch alg {
	case provider.ECDSAP256SHA256:
		d := sha256.Sum256([]byte("memkey:" + seed))
		return ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	case provider.ECDSAP384SHA384:
		d := sha512.Sum384([]byte("memkey:" + seed))
		return ecdsa.ParseRawPrivateKey(elliptic.P384(), d[:])
	case provider.Ed25519:
		d := sha256.Sum256([]byte("memkey:" + seed))
		return ed25519.NewKeyFromSeed(d[:]), nil
	case provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		return rsa.GenerateKey(rand.Reader, bits)
	}
	return nil, fmt.Errorf("%w: memkey offers no %s", provider.ErrUnsupported, alg)
}

// New returns a handle to the key s, signing with algorithm alg.
func New(alg provider.Algorithm, s crypto.Signer) (*Key, error) {
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		return nil, err
	}
	return &Key{alg: alg, signer: s, der: der, info: provider.KeyInfo{
		ID: provider.KeyIDFromPublic(der), Algorithm: alg, Backend: Scheme,
	}}, nil
}

// Info describes the key.
func (k *Key) Info() provider.KeyInfo { return k.info }

// Public returns the standard library's public key.
func (k *Key) Public() crypto.PublicKey { return k.signer.Public() }

// PublicKeyPEM returns the PKIX public key as PEM.
func (k *Key) PublicKeyPEM() ([]byte, error) {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.der}), nil
}

// Deterministic reports whether signatures are deterministic (Ed25519 and
// RSA-PKCS1 are).
func (k *Key) Deterministic() bool {
	return k.alg == provider.Ed25519 || k.alg == provider.RSAPKCS1SHA256
}

// Close marks the handle closed.
func (k *Key) Close() error { k.closed.Store(true); return nil }

func (k *Key) check(ctx context.Context) error {
	if k.closed.Load() {
		return fmt.Errorf("%w: memkey %s", provider.ErrClosed, k.info.ID)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	return nil
}

func (k *Key) digest(msg []byte) ([]byte, crypto.SignerOpts) {
	switch k.alg {
	case provider.ECDSAP384SHA384:
		d := sha512.Sum384(msg)
		return d[:], crypto.SHA384
	case provider.Ed25519:
		return msg, crypto.Hash(0)
	case provider.RSAPSSSHA256:
		d := sha256.Sum256(msg)
		return d[:], &rsa.PSSOptions{SaltLength: sha256.Size, Hash: crypto.SHA256}
	}
	d := sha256.Sum256(msg)
	return d[:], crypto.SHA256
}

// Sign signs msg: ECDSA signatures are ASN.1 DER, as in every backend.
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	d, opts := k.digest(msg)
	return k.signer.Sign(rand.Reader, d, opts)
}

// Verify checks sig with the public key.
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.check(ctx); err != nil {
		return err
	}
	d, opts := k.digest(msg)
	var ok bool
	switch p := k.signer.Public().(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(p, d, sig)
	case ed25519.PublicKey:
		ok = ed25519.Verify(p, msg, sig)
	case *rsa.PublicKey:
		if pss, isPSS := opts.(*rsa.PSSOptions); isPSS {
			ok = rsa.VerifyPSS(p, crypto.SHA256, d, sig, pss) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(p, crypto.SHA256, d, sig) == nil
		}
	}
	if !ok {
		return fmt.Errorf("%w: memkey %s", provider.ErrInvalidSignature, k.info.ID)
	}
	return nil
}
