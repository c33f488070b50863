package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// Keyring holds several keys by key ID: one primary key that signs, and every
// key (the primary among them) for verifying. Rotating a key is adding the
// new one, making it primary, and removing the old one once nothing signed
// with it needs checking any more. A Keyring is safe for concurrent use;
// lookups take no lock.
type Keyring struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[keyringSnapshot]
}

type keyringSnapshot struct {
	primary   Signer
	verifiers map[string]Verifier
}

// NewKeyring returns a keyring whose primary key is primary (which must also
// be a Verifier), and which verifies with the others too.
func NewKeyring(primary Signer, others ...Verifier) (*Keyring, error) {
	r := &Keyring{}
	r.snap.Store(&keyringSnapshot{verifiers: map[string]Verifier{}})
	for _, v := range others {
		if err := r.Add(v); err != nil {
			return nil, err
		}
	}
	if err := r.SetPrimary(primary); err != nil {
		return nil, err
	}
	return r, nil
}

// Add adds a verification key. Adding a second key with the same ID is an
// error.
func (r *Keyring) Add(v Verifier) error {
	id := v.Info().ID
	if id == "" {
		return fmt.Errorf("%w: keyring: key has an empty ID", ErrInvalidConfig)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	if _, dup := old.verifiers[id]; dup {
		return fmt.Errorf("%w: keyring: key %q is already in the keyring", ErrInvalidConfig, id)
	}
	next := &keyringSnapshot{primary: old.primary, verifiers: maps.Clone(old.verifiers)}
	next.verifiers[id] = v
	r.snap.Store(next)
	return nil
}

// SetPrimary makes s the signing key. s must also be a Verifier; it is added
// for verification if its ID is not in the keyring yet.
func (r *Keyring) SetPrimary(s Signer) error {
	v, ok := s.(Verifier)
	if !ok {
		return fmt.Errorf("%w: keyring: primary key %q cannot verify", ErrInvalidConfig, s.Info().ID)
	}
	id := s.Info().ID
	if id == "" {
		return fmt.Errorf("%w: keyring: key has an empty ID", ErrInvalidConfig)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	next := &keyringSnapshot{primary: s, verifiers: maps.Clone(old.verifiers)}
	if _, ok := next.verifiers[id]; !ok {
		next.verifiers[id] = v
	}
	r.snap.Store(next)
	return nil
}

// Remove removes a verification key. The primary key cannot be removed.
func (r *Keyring) Remove(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.snap.Load()
	if _, ok := old.verifiers[id]; !ok {
		return fmt.Errorf("%w: keyring: no key %q", ErrKeyNotFound, id)
	}
	if old.primary != nil && old.primary.Info().ID == id {
		return fmt.Errorf("%w: keyring: key %q is the primary key; make another key primary first", ErrInvalidConfig, id)
	}
	next := &keyringSnapshot{primary: old.primary, verifiers: maps.Clone(old.verifiers)}
	delete(next.verifiers, id)
	r.snap.Store(next)
	return nil
}

// Primary returns the signing key.
func (r *Keyring) Primary() Signer { return r.snap.Load().primary }

// Verifier returns the key with the given ID, or an error matching
// ErrKeyNotFound.
func (r *Keyring) Verifier(id string) (Verifier, error) {
	v, ok := r.snap.Load().verifiers[id]
	if !ok {
		return nil, fmt.Errorf("%w: keyring has no key %q", ErrKeyNotFound, id)
	}
	return v, nil
}

// IDs returns the IDs of every key in the keyring, sorted.
func (r *Keyring) IDs() []string {
	return slices.Sorted(maps.Keys(r.snap.Load().verifiers))
}

// Sign signs msg with the primary key and returns the key's ID with the
// signature.
func (r *Keyring) Sign(ctx context.Context, msg []byte) (keyID string, sig []byte, err error) {
	p := r.Primary()
	sig, err = p.Sign(ctx, msg)
	return p.Info().ID, sig, err
}

// Verify checks sig over msg with the key whose ID is keyID. An unknown key
// ID yields an error matching ErrKeyNotFound, not ErrInvalidSignature.
func (r *Keyring) Verify(ctx context.Context, keyID string, msg, sig []byte) error {
	v, err := r.Verifier(keyID)
	if err != nil {
		return err
	}
	return v.Verify(ctx, msg, sig)
}
