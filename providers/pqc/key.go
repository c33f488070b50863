package pqc

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"sync"

	"github.com/tinywindow/tinywindow/provider"
)

// Options says how a key signs and verifies.
type Options struct {
	// Algorithm is the key's algorithm; empty means DefaultAlgorithm
	// (ML-DSA-65). A key read from a PEM public key takes the PEM's
	// algorithm, and Algorithm, if set, must match it.
	Algorithm provider.Algorithm
	// Deterministic selects FIPS 204's and FIPS 205's deterministic
	// signing. The default is hedged signing, with fresh randomness mixed
	// into every signature, as FIPS 204 recommends.
	Deterministic bool
	// Context is the context string bound into every signature and checked
	// by every verification, at most MaxContextSize bytes. Empty by default.
	Context []byte
	// Engine names the implementation: EngineCircl or EngineStd. Empty
	// means DefaultEngine(): std in FIPS 140-3 mode, circl otherwise. Both
	// derive the same keys from a seed and make the same deterministic
	// signatures.
	Engine string
}

func (o *Options) params() (*paramSet, error) {
	alg := o.Algorithm
	if alg == "" {
		alg = DefaultAlgorithm
	}
	p, err := lookupParams(alg)
	if err != nil {
		return nil, err
	}
	if len(o.Context) > MaxContextSize {
		return nil, fmt.Errorf("%w: context string is %d bytes; FIPS 204 and FIPS 205 allow at most %d", provider.ErrInvalidConfig, len(o.Context), MaxContextSize)
	}
	return p, nil
}

// Key is a post-quantum key handle. It signs when it was opened from a seed
// or a private key, and only verifies when it was opened from a public key.
// Its methods are safe for concurrent use. The parsed public key is kept, so
// verifying never decodes the key again.
type Key struct {
	p             *paramSet
	engine        string
	info          provider.KeyInfo
	deterministic bool
	context       []byte
	pub           publicKey
	spki          []byte

	publicOnce sync.Once // fills public (see Public)
	public     crypto.PublicKey

	mu     sync.RWMutex // guards priv and closed against Close
	priv   privateKey   // nil for a verify-only key
	closed bool
}

var (
	_ provider.Key            = (*Key)(nil)
	_ provider.AppendSigner   = (*Key)(nil)
	_ provider.PublicKeyer    = (*Key)(nil)
	_ provider.PublicKeyPEMer = (*Key)(nil)
	_ provider.DigestSigner   = (*Key)(nil)
	_ provider.Determinism    = (*Key)(nil)
)

// NewFromSeed returns the key derived from seed: FIPS 204's 32-byte ξ for
// ML-DSA, FIPS 205's SK.seed ‖ SK.prf ‖ PK.seed (48 bytes) for
// SLH-DSA-SHA2-128s/f. The key keeps no reference to seed.
func NewFromSeed(seed []byte, opts Options) (*Key, error) {
	p, err := opts.params()
	if err != nil {
		return nil, err
	}
	if len(seed) != p.seedSize {
		return nil, fmt.Errorf("%w: %s seed is %d bytes; it must be exactly %d (%d hex digits)", provider.ErrInvalidConfig, p.alg, len(seed), p.seedSize, 2*p.seedSize)
	}
	e, s, err := selectEngine(opts.Engine, p)
	if err != nil {
		return nil, err
	}
	priv, pub, err := s.fromSeed(seed)
	if err != nil {
		return nil, err
	}
	return newKey(p, e, opts, priv, pub)
}

// NewFromPrivateKey returns the key whose expanded private key (the FIPS 204
// or FIPS 205 encoding) is sk, after validating it: a key with an
// ML-DSA coefficient out of range, a hash or root that does not match, or a
// wrong size is refused with ErrInvalidConfig.
func NewFromPrivateKey(sk []byte, opts Options) (*Key, error) {
	p, err := opts.params()
	if err != nil {
		return nil, err
	}
	if len(sk) != p.privKeySize {
		return nil, fmt.Errorf("%w: %s private key is %d bytes; it must be exactly %d (%d hex digits)", provider.ErrInvalidConfig, p.alg, len(sk), p.privKeySize, 2*p.privKeySize)
	}
	e, s, err := selectEngine(opts.Engine, p)
	if err != nil {
		return nil, err
	}
	priv, err := s.parsePrivate(sk)
	if err != nil {
		return nil, err
	}
	pub, err := s.validatePrivate(priv, sk)
	if err != nil {
		priv.destroy()
		return nil, err
	}
	return newKey(p, e, opts, priv, pub)
}

// NewVerifier returns a verify-only key for a public key given as a PEM
// "PUBLIC KEY" block or as DER, both holding a SubjectPublicKeyInfo (see
// MarshalPublicKey). If opts.Algorithm is set it must match the key's.
// Parsed public keys are cached, so opening the same key again is cheap.
func NewVerifier(public []byte, opts Options) (*Key, error) {
	var alg provider.Algorithm
	var raw []byte
	var err error
	if bytes.HasPrefix(bytes.TrimSpace(public), []byte("-----BEGIN")) {
		alg, raw, err = ParsePublicKeyPEM(public)
	} else {
		alg, raw, err = ParsePublicKey(public)
	}
	if err != nil {
		return nil, err
	}
	if opts.Algorithm != "" && opts.Algorithm != alg {
		return nil, fmt.Errorf("%w: the public key is %s, not %s; drop alg= or make it match", provider.ErrInvalidConfig, alg, opts.Algorithm)
	}
	opts.Algorithm = alg
	p, err := opts.params()
	if err != nil {
		return nil, err
	}
	e, s, err := selectEngine(opts.Engine, p)
	if err != nil {
		return nil, err
	}
	pub, err := cachedPublicKey(e, s, p, raw)
	if err != nil {
		return nil, err
	}
	return newKey(p, e, opts, nil, pub)
}

func newKey(p *paramSet, e engine, opts Options, priv privateKey, pub publicKey) (*Key, error) {
	spki, err := MarshalPublicKey(p.alg, pub.bytes())
	if err != nil {
		if priv != nil {
			priv.destroy()
		}
		return nil, err
	}
	return &Key{
		p:      p,
		engine: e.name(),
		info: provider.KeyInfo{
			ID:        provider.KeyIDFromPublic(spki),
			Algorithm: p.alg,
			Backend:   Scheme,
		},
		deterministic: opts.Deterministic,
		context:       bytes.Clone(opts.Context),
		pub:           pub,
		spki:          spki,
		priv:          priv,
	}, nil
}

// Info describes the key. Its ID is derived from the public key, so a
// verify-only key has the ID of the signing key it belongs to.
func (k *Key) Info() provider.KeyInfo { return k.info }

// Engine returns the name of the engine that signs and verifies for the key:
// EngineCircl or EngineStd.
func (k *Key) Engine() string { return k.engine }

// SignatureContext returns the context string bound into the key's
// signatures (ctx= in its URI); empty by default.
func (k *Key) SignatureContext() []byte { return bytes.Clone(k.context) }

// Deterministic reports whether the key signs deterministically
// (mode=deterministic).
func (k *Key) Deterministic() bool { return k.deterministic }

// CanSign reports whether the key holds a private key; a key opened from a
// public key only verifies.
func (k *Key) CanSign() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.priv != nil && !k.closed
}

// Sign returns the signature of msg under the key's context string.
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	return k.SignAppend(ctx, make([]byte, 0, k.p.signatureSize), msg)
}

// SignAppend appends the signature of msg to dst. For ML-DSA it allocates no
// signature buffer when dst has room for it.
func (k *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return dst, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return dst, k.errClosed()
	}
	if k.priv == nil {
		return dst, fmt.Errorf("%w: %s key %s is verify-only (opened from a public key); open it with seed-source or key-source to sign",
			provider.ErrUnsupported, k.p.alg, k.info.ID)
	}
	out, err := k.priv.signAppend(dst, msg, k.context, k.deterministic)
	if err != nil {
		return dst, fmt.Errorf("%w: %s sign: %w", provider.ErrUnavailable, k.p.alg, err)
	}
	return out, nil
}

// Verify checks sig over msg under the key's context string. A signature of
// the wrong size is an invalid signature.
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	// The read lock is held while verifying, so that Close, which destroys
	// the private key the public key may share memory with, waits for it.
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return k.errClosed()
	}
	if len(sig) != k.p.signatureSize {
		return fmt.Errorf("%w: %s signature is %d bytes, want %d", provider.ErrInvalidSignature, k.p.alg, len(sig), k.p.signatureSize)
	}
	if !k.pub.verify(msg, k.context, sig) {
		return fmt.Errorf("%w: %s signature does not verify under key %s", provider.ErrInvalidSignature, k.p.alg, k.info.ID)
	}
	return nil
}

// SignDigest signs digest as the whole message: ML-DSA and SLH-DSA in pure
// mode sign the message itself, so opts.HashFunc() must be zero. HashML-DSA
// and HashSLH-DSA are not offered. With Go 1.27, opts may be an
// *mldsa.Options, whose context string must be the key's, or name
// crypto.MLDSAMu, in which case digest is an external μ of 64 bytes (engine
// std only: circl cannot sign a μ).
func (k *Key) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if provider.ExternalMu(opts) {
		return k.signMu(ctx, digest)
	}
	if c, ok := provider.SignerContext(opts); ok && c != string(k.context) {
		return nil, fmt.Errorf("%w: %s key %s signs with context string %q, not %q; open the key with ctx= set to the context wanted",
			provider.ErrInvalidConfig, k.p.alg, k.info.ID, k.context, c)
	}
	if opts != nil && opts.HashFunc() != 0 {
		return nil, fmt.Errorf("%w: %s signs the message itself (pure mode); pass crypto.Hash(0) and the message, not a %v digest",
			provider.ErrUnsupported, k.p.alg, opts.HashFunc())
	}
	return k.Sign(ctx, digest)
}

// signMu signs an external μ, as SignDigest does for crypto.MLDSAMu.
func (k *Key) signMu(ctx context.Context, mu []byte) ([]byte, error) {
	if len(mu) != provider.MLDSAMuSize {
		return nil, fmt.Errorf("%w: an external ML-DSA μ is %d bytes, not %d", provider.ErrInvalidConfig, provider.MLDSAMuSize, len(mu))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return nil, k.errClosed()
	}
	if k.priv == nil {
		return nil, fmt.Errorf("%w: %s key %s is verify-only (opened from a public key)", provider.ErrUnsupported, k.p.alg, k.info.ID)
	}
	ms, ok := k.priv.(muSigner)
	if !ok {
		return nil, fmt.Errorf("%w: the %s engine cannot sign an external μ for %s key %s; open the key with engine=std (Go 1.27)",
			provider.ErrUnsupported, k.engine, k.p.alg, k.info.ID)
	}
	sig, err := ms.signMu(make([]byte, 0, k.p.signatureSize), mu, k.deterministic)
	if err != nil {
		return nil, fmt.Errorf("%w: %s sign of an external μ: %w", provider.ErrUnavailable, k.p.alg, err)
	}
	return sig, nil
}

// Public returns the public key. Built with Go 1.27 or later, an ML-DSA key's
// is the standard library's *mldsa.PublicKey, whichever the engine, so that
// crypto/x509 and crypto/tls take it; built with Go 1.26 it is circl's
// *mldsa44.PublicKey, *mldsa65.PublicKey or *mldsa87.PublicKey. An SLH-DSA
// key's is circl's slhdsa.PublicKey. It stays valid after Close.
func (k *Key) Public() crypto.PublicKey {
	k.publicOnce.Do(func() {
		k.public = stdPublicKey(k.p, k.pub)
		if k.public == nil {
			k.public = k.pub.crypto()
		}
	})
	return k.public
}

// PublicKeyBytes returns the raw FIPS 204 / FIPS 205 encoding of the public
// key.
func (k *Key) PublicKeyBytes() []byte { return bytes.Clone(k.pub.bytes()) }

// PublicKeyDER returns the DER SubjectPublicKeyInfo of the public key.
func (k *Key) PublicKeyDER() []byte { return bytes.Clone(k.spki) }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block holding its
// SubjectPublicKeyInfo with the NIST algorithm identifier.
func (k *Key) PublicKeyPEM() ([]byte, error) { return encodePublicKeyPEM(k.spki), nil }

// Close drops the private key, overwriting what of it the engine lets us
// reach, and makes every later call fail with [provider.ErrClosed]. It is idempotent.
func (k *Key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.closed {
		k.closed = true
		if k.priv != nil {
			k.priv.destroy()
			k.priv = nil
		}
	}
	return nil
}

func (k *Key) errClosed() error {
	return fmt.Errorf("%w: pqc %s key %s", provider.ErrClosed, k.p.alg, k.info.ID)
}

// Identity describes the key for an audit report: it is held in this
// process, which also verifies its signatures.
func (k *Key) Identity(context.Context) (provider.Identity, error) {
	return provider.Identity{VerifyMode: "local"}, nil
}
