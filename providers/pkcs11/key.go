//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/internal/ecdsasig"
	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
)

// Key is a key held in a PKCS#11 token. Its methods are safe for concurrent
// use: every operation borrows a session of its own from the key's pool.
//
// An HMAC-SHA256 key is a *Key; an asymmetric key is an [AsymmetricKey],
// which adds its public key and a digest signer.
type Key struct {
	cfg  *Config
	name string // the key as the URI named it, for errors
	mod  *module
	slot uint
	pin  []byte // nil: no login
	info provider.KeyInfo
	pool *pool

	hash       crypto.Hash // message hash of the algorithm; 0 for Ed25519 and HMAC
	coordSize  int         // ECDSA: bytes of r and of s
	signMech   []*pkcs11.Mechanism
	digestMech []*pkcs11.Mechanism // mechanism over a digest computed in Go
	pub        crypto.PublicKey
	spki       []byte

	handles atomic.Pointer[handles]

	reloadMu  sync.Mutex
	holder    pkcs11.SessionHandle // owns the session-object copies; guarded by reloadMu
	hasHolder bool

	closed    atomic.Bool
	closeOnce sync.Once
	reloads   atomic.Int64 // key lookups after a stale handle
	relogins  atomic.Int64 // logins after CKR_USER_NOT_LOGGED_IN
}

// handles are the object handles an operation uses: session-object copies of
// the key where the token allows it, else the token objects.
type handles struct {
	sign   pkcs11.ObjectHandle
	verify pkcs11.ObjectHandle // the secret key, or the public key; 0 if none
	copied bool
}

// AsymmetricKey is an ECDSA, Ed25519 or RSA key held in a token. Besides
// signing in the token, it offers its public key (read from CKA_EC_POINT or
// CKA_MODULUS and CKA_PUBLIC_EXPONENT when the key is opened), and a digest
// signer, so that [provider.CryptoSigner] makes a [crypto.Signer] of it.
type AsymmetricKey struct {
	*Key
}

var (
	_ provider.Key            = (*Key)(nil)
	_ provider.AppendSigner   = (*Key)(nil)
	_ provider.Determinism    = (*Key)(nil)
	_ provider.Key            = (*AsymmetricKey)(nil)
	_ provider.PublicKeyer    = (*AsymmetricKey)(nil)
	_ provider.PublicKeyPEMer = (*AsymmetricKey)(nil)
	_ provider.DigestSigner   = (*AsymmetricKey)(nil)
)

// Info describes the key.
func (k *Key) Info() provider.KeyInfo { return k.info }

// Deterministic reports whether signing one message twice gives one signature:
// true for HMAC-SHA256, Ed25519 and RSA-PKCS1-SHA256, false for ECDSA and
// RSA-PSS, whose signatures are randomised.
func (k *Key) Deterministic() bool {
	switch k.info.Algorithm {
	case provider.HMACSHA256, provider.Ed25519, provider.RSAPKCS1SHA256:
		return true
	}
	return false
}

// SessionCopy reports whether the key works on session-object copies of its
// token objects (see session-keys in the package documentation).
func (k *Key) SessionCopy() bool { return k.handles.Load().copied }

func (k *Key) check(ctx context.Context) error {
	if k.closed.Load() {
		return &provider.OpError{Backend: Scheme, Key: k.name, Kind: provider.ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return &provider.OpError{Backend: Scheme, Key: k.name, Kind: provider.ErrUnavailable, Err: err}
	}
	return nil
}

// Sign signs msg in the token. ECDSA signatures are ASN.1 DER.
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	return k.SignAppend(ctx, nil, msg)
}

// SignAppend appends the signature of msg to dst.
func (k *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return dst, err
	}
	mech, data := k.signMech, msg
	var sum [64]byte
	if k.digestMech != nil && k.coordSize > 0 {
		// CKM_ECDSA signs a digest: hash in Go.
		data = k.digest(sum[:0], msg)
		mech = k.digestMech
	}
	sig, err := k.signRaw(ctx, mech, data)
	if err != nil {
		return dst, err
	}
	return k.encode(dst, sig)
}

// encode appends the signature in TinyWindow's encoding for the algorithm.
func (k *Key) encode(dst, sig []byte) ([]byte, error) {
	if k.coordSize == 0 {
		return append(dst, sig...), nil
	}
	out, err := ecdsasig.AppendDER(dst, sig, k.coordSize)
	if err != nil {
		return dst, provider.OpErrorf(Scheme, "C_Sign", k.name, provider.ErrUnavailable, "the token's signature: %w", err)
	}
	return out, nil
}

func (k *Key) digest(dst, msg []byte) []byte {
	if k.hash == crypto.SHA384 {
		d := sha512.Sum384(msg)
		return append(dst, d[:]...)
	}
	d := sha256.Sum256(msg)
	return append(dst, d[:]...)
}

// signRaw runs C_SignInit and C_Sign on a borrowed session.
func (k *Key) signRaw(ctx context.Context, mech []*pkcs11.Mechanism, data []byte) ([]byte, error) {
	var sig []byte
	err := k.do(ctx, func(sh pkcs11.SessionHandle, h *handles) error {
		if err := k.mod.ctx.SignInit(sh, mech, h.sign); err != nil {
			return err
		}
		s, err := k.mod.ctx.Sign(sh, data)
		sig = s
		return err
	})
	if err != nil {
		return nil, k.opError("C_Sign", err)
	}
	return sig, nil
}

// opError returns the error of the PKCS#11 operation fn (C_Sign or C_Verify,
// each after its Init) on k, failed with err: err itself when it holds a
// [provider.OpError] already or no CKR_* code (ErrClosed, a context error),
// else the [opError] of fn. A C_Sign never fails with ErrInvalidSignature,
// whatever the token said.
func (k *Key) opError(fn string, err error) error {
	if _, ok := errors.AsType[*provider.OpError](err); ok || rv(err) == pkcs11.CKR_OK {
		return err
	}
	e := opError(fn, k.name, err)
	if fn == "C_Sign" && e.Kind == provider.ErrInvalidSignature {
		e.Kind = provider.ErrUnavailable
	}
	return e
}

// Verify checks sig over msg. HMAC tags, and asymmetric signatures of a key
// opened with verify=hsm, are checked in the token (C_Verify); other
// asymmetric signatures are checked locally with the public key read when the
// key was opened, under internal/stdverify's rule, which C_Verify with the
// key's mechanism (an RSA-PSS salt of exactly 32 bytes) applies too.
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	if err := k.check(ctx); err != nil {
		return err
	}
	alg := k.info.Algorithm
	if alg != provider.HMACSHA256 && !k.cfg.VerifyInHSM {
		return k.verifyLocal(msg, sig)
	}
	mech, data := k.signMech, msg
	var sum [64]byte
	switch alg {
	case provider.HMACSHA256:
		if len(sig) != sha256.Size {
			return fmt.Errorf("%w: HMAC-SHA256 tag is %d bytes, want %d", provider.ErrInvalidSignature, len(sig), sha256.Size)
		}
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384:
		raw, ok := ecdsasig.ParseDER(sig, k.coordSize)
		if !ok {
			return fmt.Errorf("%w: %s signature is not a DER SEQUENCE of two integers in range", provider.ErrInvalidSignature, alg)
		}
		sig, mech, data = raw, k.digestMech, k.digest(sum[:0], msg)
	case provider.Ed25519:
		if len(sig) != ed25519.SignatureSize {
			return fmt.Errorf("%w: Ed25519 signature is %d bytes, want %d", provider.ErrInvalidSignature, len(sig), ed25519.SignatureSize)
		}
	case provider.RSAPSSSHA256, provider.RSAPKCS1SHA256:
		if want := k.pub.(*rsa.PublicKey).Size(); len(sig) != want {
			return fmt.Errorf("%w: %s signature is %d bytes, want %d", provider.ErrInvalidSignature, alg, len(sig), want)
		}
	}
	err := k.do(ctx, func(sh pkcs11.SessionHandle, h *handles) error {
		if err := k.mod.ctx.VerifyInit(sh, mech, h.verify); err != nil {
			return err
		}
		return k.mod.ctx.Verify(sh, data, sig)
	})
	if err == nil {
		return nil
	}
	return k.opError("C_Verify", err)
}

// verifyLocal checks an asymmetric signature in Go with the public key read
// when the key was opened, under the rule every backend shares.
func (k *Key) verifyLocal(msg, sig []byte) error {
	if err := stdverify.Verify(k.info.Algorithm, k.pub, msg, sig); err != nil {
		return fmt.Errorf("pkcs11 %s: %w", k.name, err)
	}
	return nil
}

// Close closes the key's sessions (which destroys its session-object copies),
// zeroes its copy of the PIN and releases the module. It waits for operations
// in flight to finish. It is idempotent; later calls fail with [provider.ErrClosed].
func (k *Key) Close() error {
	k.closeOnce.Do(func() {
		k.closed.Store(true)
		k.pool.close()
		k.reloadMu.Lock()
		if k.hasHolder {
			k.mod.ctx.CloseSession(k.holder)
			k.hasHolder = false
		}
		k.reloadMu.Unlock()
		provider.Zero(k.pin)
		k.mod.release()
	})
	return nil
}
