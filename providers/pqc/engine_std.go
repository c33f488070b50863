//go:build go1.27

package pqc

import (
	"crypto"
	"crypto/mldsa"
	"fmt"

	"github.com/tinywindow/tinywindow/provider"
)

func init() { engines[EngineStd] = stdEngine{} }

// stdEngine implements ML-DSA with the standard library's crypto/mldsa, which
// lies inside the FIPS 140-3 Go Cryptographic Module (v1.26.0 and later).
type stdEngine struct{}

func (stdEngine) name() string { return EngineStd }

func (stdEngine) scheme(alg provider.Algorithm) (scheme, bool) {
	s, ok := stdSchemes[alg]
	return s, ok
}

var stdSchemes = map[provider.Algorithm]scheme{
	provider.MLDSA44: &stdScheme{p: mustParams(provider.MLDSA44), params: mldsa.MLDSA44()},
	provider.MLDSA65: &stdScheme{p: mustParams(provider.MLDSA65), params: mldsa.MLDSA65()},
	provider.MLDSA87: &stdScheme{p: mustParams(provider.MLDSA87), params: mldsa.MLDSA87()},
}

// stdParams returns the crypto/mldsa parameters of an ML-DSA parameter set.
func stdParams(alg provider.Algorithm) (mldsa.Parameters, bool) {
	s, ok := stdSchemes[alg]
	if !ok {
		return mldsa.Parameters{}, false
	}
	return s.(*stdScheme).params, true
}

type stdScheme struct {
	p      *paramSet
	params mldsa.Parameters
}

type stdPrivKey struct {
	sk *mldsa.PrivateKey
}

type stdPubKey struct {
	pk  *mldsa.PublicKey
	raw []byte
}

func (s *stdScheme) fromSeed(seed []byte) (privateKey, publicKey, error) {
	sk, err := mldsa.NewPrivateKey(s.params, seed)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s key from seed (crypto/mldsa): %w", provider.ErrUnsupported, s.p.alg, err)
	}
	pk := sk.PublicKey()
	return &stdPrivKey{sk: sk}, &stdPubKey{pk: pk, raw: pk.Bytes()}, nil
}

// parsePrivate refuses: crypto/mldsa takes a key only as its 32-byte seed,
// never in the expanded FIPS 204 encoding.
func (s *stdScheme) parsePrivate([]byte) (privateKey, error) {
	return nil, fmt.Errorf("%w: the std engine (crypto/mldsa) opens %s keys from their 32-byte seed only, not from an expanded private key; use seed-source=, or engine=circl outside FIPS 140-3 mode",
		provider.ErrUnsupported, s.p.alg)
}

func (s *stdScheme) validatePrivate(privateKey, []byte) (publicKey, error) {
	return nil, fmt.Errorf("%w: the std engine has no expanded %s private keys", provider.ErrUnsupported, s.p.alg)
}

func (s *stdScheme) parsePublic(b []byte) (publicKey, error) {
	pk, err := mldsa.NewPublicKey(s.params, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s public key (crypto/mldsa): %w", provider.ErrInvalidConfig, s.p.alg, err)
	}
	return &stdPubKey{pk: pk, raw: pk.Bytes()}, nil
}

func (k *stdPrivKey) signAppend(dst, msg, ctx []byte, deterministic bool) ([]byte, error) {
	var opts crypto.SignerOpts
	if len(ctx) > 0 {
		opts = &mldsa.Options{Context: string(ctx)}
	}
	return k.sign(dst, msg, opts, deterministic)
}

func (k *stdPrivKey) signMu(dst, mu []byte, deterministic bool) ([]byte, error) {
	return k.sign(dst, mu, crypto.MLDSAMu, deterministic)
}

func (k *stdPrivKey) sign(dst, msg []byte, opts crypto.SignerOpts, deterministic bool) ([]byte, error) {
	var sig []byte
	var err error
	if deterministic {
		sig, err = k.sk.SignDeterministic(msg, opts)
	} else {
		// crypto/mldsa draws its randomness from crypto/rand itself.
		sig, err = k.sk.Sign(nil, msg, opts)
	}
	if err != nil {
		return dst, err
	}
	return append(dst, sig...), nil
}

// destroy drops the key. crypto/mldsa keeps the seed and the expanded key in
// unexported fields that this package cannot overwrite; they are left to the
// garbage collector.
func (k *stdPrivKey) destroy() { k.sk = nil }

func (k *stdPubKey) verify(msg, ctx, sig []byte) bool {
	var opts *mldsa.Options
	if len(ctx) > 0 {
		opts = &mldsa.Options{Context: string(ctx)}
	}
	return mldsa.Verify(k.pk, msg, sig, opts) == nil
}

func (k *stdPubKey) bytes() []byte { return k.raw }

func (k *stdPubKey) crypto() crypto.PublicKey { return k.pk }

// stdPublicKey returns the standard library's *mldsa.PublicKey for an ML-DSA
// key of any engine, and nil for SLH-DSA or when crypto/mldsa is unavailable
// (the FIPS 140-3 module v1.0.0).
func stdPublicKey(p *paramSet, pub publicKey) crypto.PublicKey {
	if s, ok := pub.(*stdPubKey); ok {
		return s.pk
	}
	params, ok := stdParams(p.alg)
	if !ok {
		return nil
	}
	pk, err := mldsa.NewPublicKey(params, pub.bytes())
	if err != nil {
		return nil
	}
	return pk
}
