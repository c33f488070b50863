//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
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
// An HMAC-SHA256 key is a *Key; an asymmetric key is an *AsymmetricKey, which
// adds its public key and a digest signer.
type Key struct {
	cfg  *Config
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
// signer, so that provider.CryptoSigner makes a crypto.Signer of it.
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
		return fmt.Errorf("%w: pkcs11 key %s", provider.ErrClosed, k.info.ID)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
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
		return dst, fmt.Errorf("%w: pkcs11 key %s: from the token: %w", provider.ErrUnavailable, k.info.ID, err)
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
		return nil, k.opError("sign", err)
	}
	return sig, nil
}

// opError wraps a failed operation with its kind. A Sign never returns
// ErrInvalidSignature, whatever the token said.
func (k *Key) opError(op string, err error) error {
	if rv(err) == pkcs11.CKR_OK { // already one of ours (ErrClosed, a context error)
		return err
	}
	kd := kind(err)
	if kd == provider.ErrInvalidSignature {
		kd = provider.ErrUnavailable
	}
	return fmt.Errorf("%w: pkcs11 %s with %s key %s: %w", kd, op, k.info.Algorithm, k.info.ID, err)
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
	if kind(err) == provider.ErrInvalidSignature {
		return fmt.Errorf("%w: %s key %s: %w", provider.ErrInvalidSignature, alg, k.info.ID, err)
	}
	return k.opError("verify", err)
}

// verifyLocal checks an asymmetric signature in Go with the public key read
// when the key was opened, under the rule every backend shares.
func (k *Key) verifyLocal(msg, sig []byte) error {
	if err := stdverify.Verify(k.info.Algorithm, k.pub, msg, sig); err != nil {
		return fmt.Errorf("pkcs11 key %s: %w", k.info.ID, err)
	}
	return nil
}

// do runs fn on a session borrowed from the pool and gives the session back,
// whatever fn does. A session that broke is closed and the operation runs
// once more on a fresh one; a token that logged out is logged in to once; a
// stale key handle (a session copy that died with its session) is looked up
// again once.
func (k *Key) do(ctx context.Context, fn func(pkcs11.SessionHandle, *handles) error) error {
	var retried, relogged, reloaded bool
	for {
		sh, err := k.pool.borrow(ctx, retried)
		if err != nil {
			return err
		}
		h := k.handles.Load()
		err = fn(sh, h)
		if err == nil {
			k.pool.put(sh)
			return nil
		}
		if sessionBroken(err) {
			k.pool.discard(sh)
			if retried {
				return err
			}
			retried = true
		} else {
			code := rv(err)
			k.pool.put(sh)
			switch {
			case code == pkcs11.CKR_USER_NOT_LOGGED_IN && !relogged && k.pin != nil:
				relogged = true
				if lerr := k.relogin(ctx); lerr != nil {
					return lerr
				}
			case keyHandleStale(err) && !reloaded:
				reloaded = true
				if rerr := k.reload(h); rerr != nil {
					return rerr
				}
			default:
				return err
			}
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w: %w (after %w)", provider.ErrUnavailable, cerr, err)
		}
	}
}

// relogin logs the user in again on a session of the pool.
func (k *Key) relogin(ctx context.Context) error {
	k.relogins.Add(1)
	sh, err := k.pool.get(ctx)
	if err != nil {
		return err
	}
	err = k.mod.login(sh, k.slot, k.pin)
	k.pool.put(sh)
	return err
}

// Close closes the key's sessions (which destroys its session-object copies),
// zeroes its copy of the PIN and releases the module. It waits for operations
// in flight to finish. It is idempotent; later calls fail with ErrClosed.
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

// Public returns the public key: *ecdsa.PublicKey, ed25519.PublicKey or
// *rsa.PublicKey.
func (k *AsymmetricKey) Public() crypto.PublicKey { return k.pub }

// PublicKeyPEM returns the public key as a PEM "PUBLIC KEY" block.
func (k *AsymmetricKey) PublicKeyPEM() ([]byte, error) {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.spki}), nil
}

// SignDigest signs a digest computed by the caller, as crypto.Signer does:
// ECDSA keys sign any digest whose length matches opts.HashFunc(); RSA-PSS keys
// take *rsa.PSSOptions (salt length equal to the hash, or auto); Ed25519 keys
// want opts.HashFunc() == 0 and the whole message as digest.
func (k *AsymmetricKey) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return nil, err
	}
	if opts == nil {
		return nil, fmt.Errorf("%w: SignDigest: nil SignerOpts", provider.ErrInvalidConfig)
	}
	h := opts.HashFunc()
	alg := k.info.Algorithm
	if alg != provider.Ed25519 {
		if h == 0 || !h.Available() {
			return nil, fmt.Errorf("%w: SignDigest: %s needs a hash in SignerOpts", provider.ErrInvalidConfig, alg)
		}
		if len(digest) != h.Size() {
			return nil, fmt.Errorf("%w: SignDigest: digest is %d bytes, %v wants %d", provider.ErrInvalidConfig, len(digest), h, h.Size())
		}
	}
	var mech []*pkcs11.Mechanism
	data := digest
	switch alg {
	case provider.ECDSAP256SHA256, provider.ECDSAP384SHA384:
		mech = k.digestMech
	case provider.Ed25519:
		if h != 0 {
			return nil, fmt.Errorf("%w: SignDigest: Ed25519 signs the message itself (crypto.Hash(0)), not a %v digest; Ed25519ph is not offered", provider.ErrUnsupported, h)
		}
		mech = k.signMech
	case provider.RSAPSSSHA256:
		salt := h.Size()
		if po, ok := opts.(*rsa.PSSOptions); ok && po.SaltLength != rsa.PSSSaltLengthAuto && po.SaltLength != rsa.PSSSaltLengthEqualsHash && po.SaltLength != h.Size() {
			return nil, fmt.Errorf("%w: SignDigest: RSA-PSS salt length %d; this key signs with a salt as long as the hash (%d)", provider.ErrUnsupported, po.SaltLength, h.Size())
		}
		hm, mgf, err := pssHash(h)
		if err != nil {
			return nil, err
		}
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(hm, mgf, uint(salt)))}
	case provider.RSAPKCS1SHA256:
		prefix, err := digestInfoPrefix(h)
		if err != nil {
			return nil, err
		}
		data = append(append([]byte(nil), prefix...), digest...)
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)}
	}
	sig, err := k.signRaw(ctx, mech, data)
	if err != nil {
		return nil, err
	}
	return k.encode(nil, sig)
}

func pssHash(h crypto.Hash) (hashMech, mgf uint, err error) {
	switch h {
	case crypto.SHA256:
		return pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, nil
	case crypto.SHA384:
		return pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384, nil
	case crypto.SHA512:
		return pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512, nil
	}
	return 0, 0, fmt.Errorf("%w: SignDigest: RSA-PSS with %v; use SHA-256, SHA-384 or SHA-512", provider.ErrUnsupported, h)
}

// digestInfoPrefix returns the DER DigestInfo header that PKCS#1 v1.5 puts
// before a digest (RFC 8017, section 9.2, note 1).
func digestInfoPrefix(h crypto.Hash) ([]byte, error) {
	switch h {
	case crypto.SHA256:
		return []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, nil
	case crypto.SHA384:
		return []byte{0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30}, nil
	case crypto.SHA512:
		return []byte{0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40}, nil
	}
	return nil, fmt.Errorf("%w: SignDigest: RSA PKCS#1 v1.5 with %v; use SHA-256, SHA-384 or SHA-512", provider.ErrUnsupported, h)
}

// marshalSPKI encodes pub as a DER SubjectPublicKeyInfo.
func marshalSPKI(pub crypto.PublicKey) ([]byte, error) {
	return x509.MarshalPKIXPublicKey(pub)
}
