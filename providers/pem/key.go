package pem

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sync"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// MinRSABits is the smallest RSA modulus this backend accepts.
const MinRSABits = 2048

// Key is a private key held in memory or, made by [NewVerifier], a public key
// that verifies only. Its methods are safe for concurrent
// use, and Close may run while other goroutines sign.
type Key struct {
	info provider.KeyInfo
	hash crypto.Hash // 0 for Ed25519
	pub  crypto.PublicKey
	spki []byte
	// public is set for a key opened from a public key (NewVerifier): it
	// verifies only.
	public bool

	mu     sync.RWMutex // guards priv and closed against Close
	priv   crypto.Signer
	closed bool
}

var (
	_ provider.Key            = (*Key)(nil)
	_ provider.PublicKeyer    = (*Key)(nil)
	_ provider.PublicKeyPEMer = (*Key)(nil)
	_ provider.DigestSigner   = (*Key)(nil)
	_ provider.Determinism    = (*Key)(nil)
)

// New returns a Key for priv, an *ecdsa.PrivateKey (P-256, P-384 or P-521),
// ed25519.PrivateKey or *rsa.PrivateKey (at least [MinRSABits]), which it takes
// over: Close zeroes it. alg is the algorithm the key must have; empty means
// the key's own, RSA-PSS-SHA256 for an RSA key, whose only other algorithm is
// RSA-PKCS1-SHA256.
func New(priv crypto.Signer, alg provider.Algorithm) (*Key, error) {
	own, err := algorithmOf(priv)
	if err != nil {
		return nil, err
	}
	alg, err = chooseAlgorithm(own, alg)
	if err != nil {
		return nil, err
	}
	pub := priv.Public()
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding the public key: %w", provider.ErrInvalidConfig, err)
	}
	h := alg.Hash()
	return &Key{
		info: provider.KeyInfo{ID: provider.KeyIDFromPublic(spki), Algorithm: alg, Backend: Scheme},
		hash: h,
		pub:  pub,
		spki: spki,
		priv: priv,
	}, nil
}

// chooseAlgorithm returns the algorithm of a key whose own algorithm is own
// when the caller asks for alg: own when alg is empty or own, and
// RSA-PKCS1-SHA256 for an RSA key asked for it.
func chooseAlgorithm(own, alg provider.Algorithm) (provider.Algorithm, error) {
	switch {
	case alg == "" || alg == own:
		return own, nil
	case own == provider.RSAPSSSHA256 && alg == provider.RSAPKCS1SHA256:
		return alg, nil
	}
	return "", fmt.Errorf("%w: the key is for %s, not for %s (alg=%s); name a key of that type, or drop alg", provider.ErrUnsupported, own, alg, alg)
}

// algorithmOf names the algorithm of a private key, checking that it is one
// this backend signs with.
func algorithmOf(priv crypto.Signer) (provider.Algorithm, error) {
	switch p := priv.(type) {
	case ed25519.PrivateKey:
		if len(p) != ed25519.PrivateKeySize {
			return "", fmt.Errorf("%w: Ed25519 private key of %d bytes", provider.ErrInvalidConfig, len(p))
		}
		return provider.Ed25519, nil
	case *ecdsa.PrivateKey:
		for _, a := range []provider.Algorithm{provider.ECDSAP256SHA256, provider.ECDSAP384SHA384, provider.ECDSAP521SHA512} {
			if p.Curve == stdverify.Curve(a) {
				return a, nil
			}
		}
		return "", fmt.Errorf("%w: ECDSA key on curve %s; this backend signs on P-256, P-384 and P-521", provider.ErrUnsupported, p.Curve.Params().Name)
	case *rsa.PrivateKey:
		if n := p.N.BitLen(); n < MinRSABits {
			return "", fmt.Errorf("%w: RSA key of %d bits; at least %d are required", provider.ErrUnsupported, n, MinRSABits)
		}
		return provider.RSAPSSSHA256, nil
	}
	return "", fmt.Errorf("%w: a %T key; this backend signs with Ed25519, ECDSA and RSA keys", provider.ErrUnsupported, priv)
}

// Info describes the key.
func (k *Key) Info() provider.KeyInfo { return k.info }

// Deterministic reports whether signing the same message twice gives the same
// signature: true for Ed25519 and RSA PKCS#1 v1.5, false for ECDSA and
// RSA-PSS, which draw fresh randomness for every signature.
func (k *Key) Deterministic() bool {
	return k.info.Algorithm == provider.Ed25519 || k.info.Algorithm == provider.RSAPKCS1SHA256
}

// Public returns the public key: *ecdsa.PublicKey, ed25519.PublicKey or
// *rsa.PublicKey.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
func (k *Key) PublicKeyPEM() ([]byte, error) {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.spki}), nil
}

// Sign returns the signature of msg: ECDSA in ASN.1 DER over the hash of msg,
// Ed25519 over msg itself, RSA-PSS (salt as long as the hash) or PKCS#1 v1.5
// over SHA-256 of msg.
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if k.hash == 0 {
		return k.SignDigest(ctx, msg, crypto.Hash(0))
	}
	return k.SignDigest(ctx, stdverify.Digest(k.info.Algorithm, msg), k.hash)
}

// SignDigest signs a digest computed by the caller, as [crypto.Signer] does:
// ECDSA keys sign a digest of any hash whose length matches opts.HashFunc();
// RSA-PSS keys sign with a salt as long as the hash (opts may be
// *rsa.PSSOptions with that salt length, or auto); RSA PKCS#1 v1.5 keys refuse
// *rsa.PSSOptions; Ed25519 keys want opts.HashFunc() == 0 and the whole
// message as digest.
func (k *Key) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	if opts == nil {
		return nil, fmt.Errorf("%w: SignDigest: nil SignerOpts", provider.ErrInvalidConfig)
	}
	h := opts.HashFunc()
	alg := k.info.Algorithm
	if alg == provider.Ed25519 {
		if h != 0 {
			return nil, fmt.Errorf("%w: SignDigest: Ed25519 signs the message itself (crypto.Hash(0)), not a %v digest; Ed25519ph is not offered", provider.ErrUnsupported, h)
		}
	} else {
		if h == 0 || !h.Available() {
			return nil, fmt.Errorf("%w: SignDigest: %s needs a hash in SignerOpts", provider.ErrInvalidConfig, alg)
		}
		if len(digest) != h.Size() {
			return nil, fmt.Errorf("%w: SignDigest: digest is %d bytes, %v wants %d", provider.ErrInvalidConfig, len(digest), h, h.Size())
		}
	}
	po, isPSS := opts.(*rsa.PSSOptions)
	switch alg {
	case provider.RSAPSSSHA256:
		if isPSS && po.SaltLength != rsa.PSSSaltLengthAuto && po.SaltLength != rsa.PSSSaltLengthEqualsHash && po.SaltLength != h.Size() {
			return nil, fmt.Errorf("%w: SignDigest: RSA-PSS salt length %d; this key signs with a salt as long as the hash (%d)", provider.ErrUnsupported, po.SaltLength, h.Size())
		}
		opts = &rsa.PSSOptions{Hash: h, SaltLength: rsa.PSSSaltLengthEqualsHash}
	case provider.RSAPKCS1SHA256:
		if isPSS {
			return nil, fmt.Errorf("%w: SignDigest: the key signs RSA PKCS#1 v1.5 (alg=%s), not RSA-PSS", provider.ErrUnsupported, alg)
		}
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return nil, k.errClosed()
	}
	if k.public {
		return nil, fmt.Errorf("%w: pem key %s is a public key: it verifies only; open the private key with pem:key-source= to sign", provider.ErrUnsupported, k.info.ID)
	}
	var sig []byte
	var err error
	switch p := k.priv.(type) {
	case *ecdsa.PrivateKey:
		sig, err = ecdsa.SignASN1(rand.Reader, p, digest)
	case ed25519.PrivateKey:
		sig = ed25519.Sign(p, digest)
	default:
		sig, err = k.priv.Sign(rand.Reader, digest, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: pem %s sign: %w", provider.ErrUnavailable, alg, err)
	}
	return sig, nil
}

// Verify checks sig over msg with the public key, in Go.
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	k.mu.RLock()
	closed := k.closed
	k.mu.RUnlock()
	if closed {
		return k.errClosed()
	}
	if err := stdverify.Verify(k.info.Algorithm, k.pub, msg, sig); err != nil {
		return fmt.Errorf("pem key %s: %w", k.info.ID, err)
	}
	return nil
}

func (k *Key) errClosed() error {
	return fmt.Errorf("%w: pem key %s", provider.ErrClosed, k.info.ID)
}

// Close zeroes the private key (see the package documentation for what Go
// lets a program zero) and makes every later call fail with [provider.ErrClosed]. It is
// idempotent and waits for signatures under way.
func (k *Key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.priv != nil {
		zeroPrivateKey(k.priv)
		k.priv = nil
	}
	k.closed = true
	return nil
}

// Identity describes the key for an audit report: it is held in this
// process, which also verifies its signatures.
func (k *Key) Identity(context.Context) (provider.Identity, error) {
	return provider.Identity{VerifyMode: "local"}, nil
}
