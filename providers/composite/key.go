package composite

import (
	"crypto"
	"errors"
	"fmt"
	"sync"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// Key is a composite ML-DSA key: an ML-DSA component and a classical
// component, each a provider.Key of any backend, used as one key of a
// composite algorithm. It signs with both components at once and its
// signature is the ML-DSA signature followed by the classical one. A Key made
// by [NewVerifier] only verifies. Its methods are safe for concurrent use.
type Key struct {
	c    *combination
	info provider.KeyInfo
	pub  *PublicKey
	spki []byte

	// pq and trad are the component handles; both nil for a verify-only key.
	pq, trad provider.Key
	// pqLocal verifies the ML-DSA half with the public key and the draft's
	// context; it serves a verify-only key.
	pqLocal *pqc.Key

	// overlap decides whether signing offers the ML-DSA half to a second
	// goroutine or signs the halves in turn.
	overlap overlapGate

	mu     sync.RWMutex // guards closed against Close
	closed bool
}

var (
	_ provider.Key            = (*Key)(nil)
	_ provider.AppendSigner   = (*Key)(nil)
	_ provider.PublicKeyer    = (*Key)(nil)
	_ provider.PublicKeyPEMer = (*Key)(nil)
	_ provider.Determinism    = (*Key)(nil)
)

// Info describes the key. Its ID is derived from the composite public key
// (the SubjectPublicKeyInfo), so it names the pair, not either component.
func (k *Key) Info() provider.KeyInfo { return k.info }

// Components returns the component handles, ML-DSA first; both are nil for
// a verify-only key.
func (k *Key) Components() (pq, trad provider.Key) { return k.pq, k.trad }

// Deterministic reports whether both components sign deterministically.
func (k *Key) Deterministic() bool {
	return deterministic(k.pq) && deterministic(k.trad)
}

func deterministic(k provider.Key) bool {
	d, ok := k.(provider.Determinism)
	return ok && d.Deterministic()
}

// Public returns the composite public key, a *PublicKey.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// PublicKeyDER returns the DER SubjectPublicKeyInfo of the composite public
// key, with the draft's OID.
func (k *Key) PublicKeyDER() []byte { return append([]byte(nil), k.spki...) }

// PublicKeyPEM returns the composite public key as a PEM "PUBLIC KEY" block.
func (k *Key) PublicKeyPEM() ([]byte, error) { return k.pub.MarshalPEM() }

// Close closes both component handles. It is idempotent; any use after it
// fails with an error matching [provider.ErrClosed].
func (k *Key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	var errs []error
	for _, c := range []provider.Key{k.pq, k.trad, k.pqLocal} {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

func (k *Key) errClosed() error {
	return fmt.Errorf("%w: composite key %s", provider.ErrClosed, k.info.ID)
}
