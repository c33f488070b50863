package hmac

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"

	"github.com/tinywindow/tinywindow/provider"
)

// TagSize is the size in bytes of an HMAC-SHA256 tag. Verify rejects a tag of
// any other length.
const TagSize = sha256.Size

// Key is an HMAC-SHA256 key. Its Sign and Verify are safe for concurrent use,
// and SignAppend allocates nothing once warm.
//
// HMAC is a MAC, not a signature: whoever can verify a tag can also make one.
// Use it where signer and verifier are the same party or trust each other.
type Key struct {
	info   provider.KeyInfo
	pool   sync.Pool // of *macState
	closed atomic.Bool
	mu     sync.RWMutex // guards secret against Close while a state is keyed
	secret []byte       // the pool keys new states with it; zeroed by Close
	seeded bool         // made by NewFromSeed: the secret follows from a public seed
}

// macState is a keyed HMAC with a scratch buffer for its tag, reused through
// the pool so that signing and verifying allocate nothing.
type macState struct {
	h   hash.Hash
	tag [TagSize]byte
}

var (
	_ provider.Key          = (*Key)(nil)
	_ provider.AppendSigner = (*Key)(nil)
	_ provider.Determinism  = (*Key)(nil)
)

// New returns a [Key] for secret, which must be at least [KeySize] bytes. The key
// keeps its own copy of secret; the caller may zero its slice afterwards.
func New(secret []byte) (*Key, error) {
	if len(secret) < KeySize {
		return nil, fmt.Errorf("%w: HMAC key is %d bytes; at least %d are required (64 hex digits)", provider.ErrInvalidConfig, len(secret), KeySize)
	}
	return newKey(secret), nil
}

// newKey returns a Key for secret of any length. Only known-answer tests use
// short keys.
func newKey(secret []byte) *Key {
	k := &Key{secret: append([]byte(nil), secret...)}
	k.info = provider.KeyInfo{
		ID:        keyID(k.secret),
		Algorithm: provider.HMACSHA256,
		Backend:   Scheme,
	}
	k.pool.New = func() any {
		k.mu.RLock()
		defer k.mu.RUnlock()
		return &macState{h: hmac.New(sha256.New, k.secret)}
	}
	return k
}

// NewFromSeed returns the MVP's deterministic key for seed (see [Keygen]).
func NewFromSeed(seed uint64) *Key {
	secret := Keygen(seed)
	k, _ := New(secret[:]) // 32 bytes: cannot fail
	provider.Zero(secret[:])
	k.seeded = true
	return k
}

// PublicSeed reports whether the key was made by [NewFromSeed] (the URI
// hmac:seed=N): its secret follows from the seed, which is public, so anyone
// can make its tags. Conformance reports warn of such a key.
func (k *Key) PublicSeed() bool { return k.seeded }

// keyID derives the key's ID with a one-way function of the key, so the ID
// reveals nothing of it: the first 8 bytes of HMAC-SHA256(key, label), in hex.
func keyID(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tinywindow/hmac/key-id/v1"))
	return "hmac-" + hex.EncodeToString(m.Sum(nil)[:8])
}

// Info describes the key.
func (k *Key) Info() provider.KeyInfo { return k.info }

// Deterministic reports true: the same message always gives the same tag.
func (k *Key) Deterministic() bool { return true }

// Sign returns the 32-byte HMAC-SHA256 tag of msg.
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	return k.SignAppend(ctx, make([]byte, 0, TagSize), msg)
}

// SignAppend appends the tag of msg to dst. It allocates nothing when dst has
// room for TagSize more bytes.
func (k *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	if err := k.check(ctx); err != nil {
		return dst, err
	}
	s := k.pool.Get().(*macState)
	s.h.Reset()
	s.h.Write(msg)
	n := len(dst)
	dst = s.h.Sum(dst)
	k.pool.Put(s)
	if k.closed.Load() {
		// Close ran meanwhile; the state may have been keyed with the
		// zeroed secret, so the tag must not be used.
		clear(dst[n:])
		return dst[:n], k.errClosed()
	}
	return dst, nil
}

// Verify checks tag over msg in constant time. A tag that is not exactly
// TagSize bytes long is an invalid signature: a truncated tag never matches.
func (k *Key) Verify(ctx context.Context, msg, tag []byte) error {
	if err := k.check(ctx); err != nil {
		return err
	}
	if len(tag) != TagSize {
		return fmt.Errorf("%w: HMAC-SHA256 tag is %d bytes, want %d", provider.ErrInvalidSignature, len(tag), TagSize)
	}
	s := k.pool.Get().(*macState)
	s.h.Reset()
	s.h.Write(msg)
	want := s.h.Sum(s.tag[:0])
	ok := subtle.ConstantTimeCompare(want, tag) == 1
	k.pool.Put(s)
	if k.closed.Load() {
		return k.errClosed()
	}
	if !ok {
		return errInvalidTag
	}
	return nil
}

var errInvalidTag = fmt.Errorf("%w: HMAC-SHA256 tag does not match", provider.ErrInvalidSignature)

func (k *Key) check(ctx context.Context) error {
	if k.closed.Load() {
		return k.errClosed()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	return nil
}

func (k *Key) errClosed() error {
	return fmt.Errorf("%w: hmac key %s", provider.ErrClosed, k.info.ID)
}

// Close zeroes the key's own copy of its secret and makes every later call
// fail with [provider.ErrClosed], including calls already under way when it runs. It is
// idempotent and safe to call while other goroutines sign. Keyed HMAC states
// still in the pool are left to the garbage collector.
func (k *Key) Close() error {
	if k.closed.CompareAndSwap(false, true) {
		k.mu.Lock()
		provider.Zero(k.secret)
		k.mu.Unlock()
	}
	return nil
}

// Identity describes the key for an audit report: it is held in this
// process, which also verifies its signatures.
func (k *Key) Identity(context.Context) (provider.Identity, error) {
	return provider.Identity{VerifyMode: "local"}, nil
}
