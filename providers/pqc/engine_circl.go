package pqc

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha3"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"github.com/cloudflare/circl/sign/slhdsa"

	"github.com/tinywindow/tinywindow/provider"
)

// circlEngine implements every parameter set with github.com/cloudflare/circl.
type circlEngine struct{}

func (circlEngine) name() string { return "circl" }

func (circlEngine) scheme(alg provider.Algorithm) (scheme, bool) {
	s, ok := circlSchemes[alg]
	return s, ok
}

var circlSchemes = map[provider.Algorithm]scheme{
	provider.MLDSA44: &mldsaScheme[mldsa44.PublicKey, mldsa44.PrivateKey, *mldsa44.PublicKey, *mldsa44.PrivateKey]{
		p: mustParams(provider.MLDSA44), eta: 2, k: 4, l: 4,
		fromSeedFn: mldsa44.NewKeyFromSeed, signFn: mldsa44.SignTo, verifyFn: mldsa44.Verify,
	},
	provider.MLDSA65: &mldsaScheme[mldsa65.PublicKey, mldsa65.PrivateKey, *mldsa65.PublicKey, *mldsa65.PrivateKey]{
		p: mustParams(provider.MLDSA65), eta: 4, k: 6, l: 5,
		fromSeedFn: mldsa65.NewKeyFromSeed, signFn: mldsa65.SignTo, verifyFn: mldsa65.Verify,
	},
	provider.MLDSA87: &mldsaScheme[mldsa87.PublicKey, mldsa87.PrivateKey, *mldsa87.PublicKey, *mldsa87.PrivateKey]{
		p: mustParams(provider.MLDSA87), eta: 2, k: 8, l: 7,
		fromSeedFn: mldsa87.NewKeyFromSeed, signFn: mldsa87.SignTo, verifyFn: mldsa87.Verify,
	},
	provider.SLHDSASHA2128s: &slhScheme{p: mustParams(provider.SLHDSASHA2128s), id: slhdsa.SHA2_128s},
	provider.SLHDSASHA2128f: &slhScheme{p: mustParams(provider.SLHDSASHA2128f), id: slhdsa.SHA2_128f},
}

func mustParams(alg provider.Algorithm) *paramSet {
	p, err := lookupParams(alg)
	if err != nil {
		panic(err)
	}
	return p
}

// ---- ML-DSA ----

// mldsaPublic and mldsaPrivate are the methods shared by circl's per-set key
// types.
type mldsaPublic[T any] interface {
	*T
	crypto.PublicKey
	Bytes() []byte
	UnmarshalBinary([]byte) error
}

type mldsaPrivate[T any] interface {
	*T
	Bytes() []byte
	UnmarshalBinary([]byte) error
	Public() crypto.PublicKey
}

// mldsaScheme adapts one of circl's mldsa44/65/87 packages.
type mldsaScheme[PK, SK any, PPK mldsaPublic[PK], PSK mldsaPrivate[SK]] struct {
	p          *paramSet
	eta        int // η: s1 and s2 coefficients lie in [-η, η]
	k, l       int // dimensions of s2 and s1
	fromSeedFn func(*[32]byte) (PPK, PSK)
	signFn     func(PSK, []byte, []byte, bool, []byte) error
	verifyFn   func(PPK, []byte, []byte, []byte) bool
}

type mldsaPrivKey[PK, SK any, PPK mldsaPublic[PK], PSK mldsaPrivate[SK]] struct {
	s  *mldsaScheme[PK, SK, PPK, PSK]
	sk PSK
}

type mldsaPubKey[PK, SK any, PPK mldsaPublic[PK], PSK mldsaPrivate[SK]] struct {
	s   *mldsaScheme[PK, SK, PPK, PSK]
	pk  PPK // may share its matrix A with a private key (see fromSeed)
	raw []byte

	// own is a public key that shares nothing with a private key, handed
	// out by crypto(), so that it stays valid after the key is destroyed.
	own     PPK
	ownOnce sync.Once
}

func (s *mldsaScheme[PK, SK, PPK, PSK]) fromSeed(seed []byte) (privateKey, publicKey, error) {
	var xi [32]byte
	copy(xi[:], seed)
	// circl's public key points at the private key's matrix A, which
	// destroy zeroes: it serves Verify while the key is open, and crypto()
	// hands out an independent copy.
	pk, sk := s.fromSeedFn(&xi)
	provider.Zero(xi[:])
	return &mldsaPrivKey[PK, SK, PPK, PSK]{s: s, sk: sk}, &mldsaPubKey[PK, SK, PPK, PSK]{s: s, pk: pk, raw: pk.Bytes()}, nil
}

func (s *mldsaScheme[PK, SK, PPK, PSK]) parsePrivate(b []byte) (privateKey, error) {
	sk := PSK(new(SK))
	if err := sk.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: %s private key: %w", provider.ErrInvalidConfig, s.p.alg, err)
	}
	return &mldsaPrivKey[PK, SK, PPK, PSK]{s: s, sk: sk}, nil
}

// validatePrivate checks an expanded ML-DSA private key, which FIPS 204 lays
// out as ρ ‖ K ‖ tr ‖ s1 ‖ s2 ‖ t0:
//   - every coefficient of s1 and s2 lies in [-η, η] (an encoded value of at
//     most 2η), which circl and liboqs do not check;
//   - t0 is the low part of t = A·s1 + s2 (see t0Matches);
//   - tr is H(pk) for the public key that ρ, s1 and s2 give;
//   - a signature made with the key verifies under that public key (a
//     pairwise consistency test, as FIPS 140-3 asks of a new key).
func (s *mldsaScheme[PK, SK, PPK, PSK]) validatePrivate(key privateKey, encoded []byte) (publicKey, error) {
	priv := key.(*mldsaPrivKey[PK, SK, PPK, PSK])
	if err := s.checkEtaRange(encoded); err != nil {
		return nil, err
	}
	if !s.t0Matches(encoded) {
		return nil, fmt.Errorf("%w: %s private key is corrupted: its t0 is not the one its ρ, s1 and s2 give", provider.ErrInvalidConfig, s.p.alg)
	}
	derived, ok := priv.sk.Public().(PPK)
	if !ok {
		return nil, fmt.Errorf("%w: %s private key: circl returned a public key of type %T", provider.ErrInvalidConfig, s.p.alg, priv.sk.Public())
	}
	pub, err := s.parsePublic(derived.Bytes())
	if err != nil {
		return nil, err
	}
	tr := sha3.SumSHAKE256(pub.bytes(), 64)
	if subtle.ConstantTimeCompare(tr, encoded[64:128]) != 1 {
		return nil, fmt.Errorf("%w: %s private key is corrupted: its tr is not the hash of the public key its ρ, s1 and s2 give", provider.ErrInvalidConfig, s.p.alg)
	}
	msg := []byte("tinywindow/pqc pairwise consistency test")
	sig, err := priv.signAppend(nil, msg, nil, true)
	if err != nil {
		return nil, fmt.Errorf("%w: %s private key: pairwise consistency test: %w", provider.ErrInvalidConfig, s.p.alg, err)
	}
	if !pub.verify(msg, nil, sig) {
		return nil, fmt.Errorf("%w: %s private key is corrupted: a signature it makes does not verify under its own public key", provider.ErrInvalidConfig, s.p.alg)
	}
	return pub, nil
}

// checkEtaRange checks that every encoded coefficient of s1 and s2 is at most
// 2η. With η = 2 each coefficient takes 3 bits, with η = 4 four.
func (s *mldsaScheme[PK, SK, PPK, PSK]) checkEtaRange(encoded []byte) error {
	bits := 3
	if s.eta == 4 {
		bits = 4
	}
	polySize := 256 * bits / 8
	off := 128
	for i := 0; i < s.l+s.k; i++ {
		poly := encoded[off : off+polySize]
		off += polySize
		for j := 0; j < 256; j++ {
			bit := j * bits
			v := int(poly[bit/8]) >> (bit % 8)
			if bit%8+bits > 8 {
				v |= int(poly[bit/8+1]) << (8 - bit%8)
			}
			v &= 1<<bits - 1
			if v > 2*s.eta {
				vec, idx := "s1", i
				if i >= s.l {
					vec, idx = "s2", i-s.l
				}
				return fmt.Errorf("%w: %s private key is corrupted: coefficient %d of %s[%d] is %d, outside [-%d, %d]",
					provider.ErrInvalidConfig, s.p.alg, j, vec, idx, s.eta-v, s.eta, s.eta)
			}
		}
	}
	return nil
}

func (s *mldsaScheme[PK, SK, PPK, PSK]) parsePublic(b []byte) (publicKey, error) {
	pk := PPK(new(PK))
	if err := pk.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: %s public key: %w", provider.ErrInvalidConfig, s.p.alg, err)
	}
	return &mldsaPubKey[PK, SK, PPK, PSK]{s: s, pk: pk, raw: bytes.Clone(b), own: pk}, nil
}

func (k *mldsaPrivKey[PK, SK, PPK, PSK]) signAppend(dst, msg, ctx []byte, deterministic bool) ([]byte, error) {
	n := len(dst)
	dst = grow(dst, k.s.p.signatureSize)
	if err := k.s.signFn(k.sk, msg, ctx, !deterministic, dst[n:]); err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// destroy zeroes circl's private key, including the matrix A that a public
// key from fromSeed shares: the Key handle stops verifying before it calls
// destroy.
func (k *mldsaPrivKey[PK, SK, PPK, PSK]) destroy() {
	var zero SK
	*k.sk = zero
}

func (k *mldsaPubKey[PK, SK, PPK, PSK]) verify(msg, ctx, sig []byte) bool {
	return k.s.verifyFn(k.pk, msg, ctx, sig)
}

func (k *mldsaPubKey[PK, SK, PPK, PSK]) bytes() []byte { return k.raw }

func (k *mldsaPubKey[PK, SK, PPK, PSK]) crypto() crypto.PublicKey {
	k.ownOnce.Do(func() {
		if k.own != nil {
			return
		}
		own := PPK(new(PK))
		if err := own.UnmarshalBinary(k.raw); err != nil {
			// Unreachable: raw is the encoding circl produced, of the exact size.
			panic("pqc: circl cannot decode the public key it encoded: " + err.Error())
		}
		k.own = own
	})
	return k.own
}

// grow extends dst by n bytes, reallocating only when its capacity is short.
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		bigger := make([]byte, len(dst), len(dst)+n)
		copy(bigger, dst)
		dst = bigger
	}
	return dst[:len(dst)+n]
}

// ---- SLH-DSA ----

// slhScheme adapts circl's slhdsa package for one parameter set.
type slhScheme struct {
	p  *paramSet
	id slhdsa.ID
}

type slhPrivKey struct {
	sk slhdsa.PrivateKey
}

type slhPubKey struct {
	pk  slhdsa.PublicKey
	raw []byte
}

func (s *slhScheme) fromSeed(seed []byte) (privateKey, publicKey, error) {
	// FIPS 205 Algorithm 21 draws SK.seed, SK.prf and PK.seed, n bytes
	// each, in that order; circl reads them from the reader in that order.
	pk, sk, err := slhdsa.GenerateKey(bytes.NewReader(seed), s.id)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s key from seed: %w", provider.ErrInvalidConfig, s.p.alg, err)
	}
	raw, err := pk.MarshalBinary()
	if err != nil {
		return nil, nil, fmt.Errorf("%s public key: %w", s.p.alg, err)
	}
	return &slhPrivKey{sk: sk}, &slhPubKey{pk: pk, raw: raw}, nil
}

func (s *slhScheme) parsePrivate(b []byte) (privateKey, error) {
	sk := slhdsa.PrivateKey{ID: s.id}
	if err := sk.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: %s private key: %w", provider.ErrInvalidConfig, s.p.alg, err)
	}
	return &slhPrivKey{sk: sk}, nil
}

// validatePrivate checks an expanded SLH-DSA private key, SK.seed ‖ SK.prf ‖
// PK.seed ‖ PK.root: PK.root must be the root that SK.seed and PK.seed give.
func (s *slhScheme) validatePrivate(_ privateKey, encoded []byte) (publicKey, error) {
	n := s.p.privKeySize / 4
	_, pub, err := s.fromSeed(encoded[:3*n])
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(pub.bytes(), encoded[2*n:]) != 1 {
		return nil, fmt.Errorf("%w: %s private key is corrupted: its PK.root is not the root its SK.seed and PK.seed give", provider.ErrInvalidConfig, s.p.alg)
	}
	return pub, nil
}

func (s *slhScheme) parsePublic(b []byte) (publicKey, error) {
	pk := slhdsa.PublicKey{ID: s.id}
	if err := pk.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: %s public key: %w", provider.ErrInvalidConfig, s.p.alg, err)
	}
	return &slhPubKey{pk: pk, raw: bytes.Clone(b)}, nil
}

func (k *slhPrivKey) signAppend(dst, msg, ctx []byte, deterministic bool) ([]byte, error) {
	m := slhdsa.NewMessage(msg)
	var sig []byte
	var err error
	if deterministic {
		sig, err = slhdsa.SignDeterministic(&k.sk, m, ctx)
	} else {
		sig, err = slhdsa.SignRandomized(&k.sk, rand.Reader, m, ctx)
	}
	if err != nil {
		if errors.Is(err, slhdsa.ErrContext) {
			return dst, fmt.Errorf("%w: %w", provider.ErrInvalidConfig, err)
		}
		return dst, err
	}
	return append(dst, sig...), nil
}

// destroy drops the key. circl's slhdsa.PrivateKey keeps SK.seed and SK.prf
// in unexported slices that this package cannot overwrite; they are left to
// the garbage collector.
func (k *slhPrivKey) destroy() {
	k.sk = slhdsa.PrivateKey{}
}

func (k *slhPubKey) verify(msg, ctx, sig []byte) bool {
	return slhdsa.Verify(&k.pk, slhdsa.NewMessage(msg), sig, ctx)
}

func (k *slhPubKey) bytes() []byte { return k.raw }

func (k *slhPubKey) crypto() crypto.PublicKey { return k.pk }
