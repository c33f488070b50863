package composite

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha512"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tinywindow/tinywindow/internal/stdverify"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// Key is a composite ML-DSA key: an ML-DSA component and a classical
// component, each a provider.Key of any backend, used as one key of a
// composite algorithm. It signs with both components at once and its
// signature is the ML-DSA signature followed by the classical one. A Key made
// by NewVerifier only verifies. Its methods are safe for concurrent use.
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

// New returns the composite key of algorithm alg made of two open component
// keys: pq, an ML-DSA key of the combination's parameter set that signs with
// the combination's label as its FIPS 204 context string (see Label), and
// trad, a classical key of the combination's algorithm, curve and size. The
// composite key owns both handles and closes them on Close.
//
// New signs one probe message with pq and checks it against the draft's
// context, so that a component opened without the label is refused rather
// than producing signatures nobody else verifies.
func New(ctx context.Context, alg provider.Algorithm, pq, trad provider.Key) (*Key, error) {
	c, err := lookup(string(alg))
	if err != nil {
		return nil, err
	}
	if pq == nil || trad == nil {
		return nil, fmt.Errorf("%w: composite %s needs two component keys", provider.ErrInvalidConfig, c.name)
	}
	if got := pq.Info().Algorithm; got != c.mldsa {
		return nil, fmt.Errorf("%w: %s wants an %s key as its ML-DSA component; the pq key %s is %s", provider.ErrInvalidConfig, c.name, c.mldsa, pq.Info().ID, got)
	}
	if got := trad.Info().Algorithm; got != c.classical.alg {
		return nil, fmt.Errorf("%w: %s wants a %s key as its classical component; the trad key %s is %s", provider.ErrInvalidConfig, c.name, c.classical.alg, trad.Info().ID, got)
	}
	if pq.Info().ID == trad.Info().ID {
		return nil, fmt.Errorf("%w: %s: both components are key %s; give two different keys", provider.ErrInvalidConfig, c.name, pq.Info().ID)
	}
	pqPEM, ok := pq.(provider.PublicKeyPEMer)
	if !ok {
		return nil, fmt.Errorf("%w: %s: the ML-DSA component (%s backend) exports no public key", provider.ErrUnsupported, c.name, pq.Info().Backend)
	}
	data, err := pqPEM.PublicKeyPEM()
	if err != nil {
		return nil, fmt.Errorf("%s: ML-DSA component public key: %w", c.name, err)
	}
	mlAlg, mlRaw, err := pqc.ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: ML-DSA component public key: %w", c.name, err)
	}
	if mlAlg != c.mldsa {
		return nil, fmt.Errorf("%w: %s: the ML-DSA component's public key is %s, not %s", provider.ErrInvalidConfig, c.name, mlAlg, c.mldsa)
	}
	tradPub, ok := trad.(provider.PublicKeyer)
	if !ok {
		return nil, fmt.Errorf("%w: %s: the classical component (%s backend) exports no public key", provider.ErrUnsupported, c.name, trad.Info().Backend)
	}
	k, err := newKey(c, &PublicKey{Algorithm: c.name, MLDSA: mlRaw, Classical: tradPub.Public()})
	if err != nil {
		return nil, err
	}
	k.pq, k.trad = pq, trad
	if err := k.probe(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// NewVerifier returns a verify-only composite key for a public key.
func NewVerifier(pub *PublicKey) (*Key, error) {
	if pub == nil {
		return nil, fmt.Errorf("%w: nil composite public key", provider.ErrInvalidConfig)
	}
	c, err := lookup(string(pub.Algorithm))
	if err != nil {
		return nil, err
	}
	return newKey(c, pub)
}

func newKey(c *combination, pub *PublicKey) (*Key, error) {
	spki, err := pub.MarshalPKIX()
	if err != nil {
		return nil, err
	}
	mlSPKI, err := c.mldsaSPKI(pub.MLDSA)
	if err != nil {
		return nil, err
	}
	pqLocal, err := pqc.NewVerifier(mlSPKI, pqc.Options{Algorithm: c.mldsa, Context: []byte(c.label)})
	if err != nil {
		return nil, err
	}
	return &Key{
		c:       c,
		pub:     pub,
		spki:    spki,
		pqLocal: pqLocal,
		info: provider.KeyInfo{
			ID:        provider.KeyIDFromPublic(spki),
			Algorithm: c.name,
			Backend:   Scheme,
		},
	}, nil
}

// probe signs a fixed message with the ML-DSA component and verifies it
// under the draft's context.
func (k *Key) probe(ctx context.Context) error {
	msg := []byte("tinywindow composite ML-DSA context probe")
	sig, err := k.pq.Sign(ctx, msg)
	if err != nil {
		return fmt.Errorf("%s: ML-DSA component: probe signature: %w", k.c.name, err)
	}
	if err := k.pqLocal.Verify(ctx, msg, sig); err != nil {
		if errors.Is(err, provider.ErrInvalidSignature) {
			return fmt.Errorf("%w: %s: the ML-DSA component does not sign with the context string %q that %s requires; open it with ctx=%s (the composite URI does this)",
				provider.ErrInvalidConfig, k.c.name, k.c.label, Draft, k.c.label)
		}
		return fmt.Errorf("%s: ML-DSA component: probe: %w", k.c.name, err)
	}
	return nil
}

// Label returns the draft's label of the composite algorithm alg: the
// domain separator bound into the message representative and the FIPS 204
// context string of the ML-DSA component.
func Label(alg provider.Algorithm) (string, error) {
	c, err := lookup(string(alg))
	if err != nil {
		return "", err
	}
	return c.label, nil
}

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

// Sign returns the composite signature of msg.
func (k *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	return k.SignAppend(ctx, nil, msg)
}

// offeredSign is a component signature offered to another goroutine. Both
// that goroutine and the caller that offered it try to claim it once the
// caller is done with its own component; whichever claims it signs. So the
// two components overlap whenever a second thread is free to start at once
// (or the caller's component blocks on I/O and frees its thread), and
// signing never waits for a thread to wake: on a machine whose idle cores
// take longer to wake than a signature takes (a virtual CPU halted without
// polling can take over 100 µs), the caller signs both, one after the other.
type offeredSign struct {
	claimed atomic.Bool
	done    chan struct{} // closed when the goroutine that claimed it is done
	sig     []byte
	err     error
}

// claim reports whether the caller is the one to sign.
func (o *offeredSign) claim() bool { return o.claimed.CompareAndSwap(false, true) }

// run signs msg with key if the caller has not claimed the offer first.
func (o *offeredSign) run(ctx context.Context, key provider.Key, msg []byte) {
	if !o.claim() {
		return
	}
	defer close(o.done)
	o.sig, o.err = key.Sign(ctx, msg)
}

// SignAppend appends the composite signature of msg to dst: the ML-DSA
// signature of M' followed by the classical signature of M'. The calling
// goroutine signs with the classical component while the ML-DSA signature
// is offered to a new goroutine (see offeredSign), so signing takes about
// as long as the slower component when a second thread starts at once or
// the classical component waits on I/O. Where no second thread takes the
// offer up in time (idle cores that wake slowly), the key signs the halves
// in turn, offering only now and then to notice a change (see overlapGate). If either fails, the error names the
// component and wraps its error, so an outage stays ErrUnavailable.
func (k *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return dst, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return dst, k.errClosed()
	}
	if k.pq == nil {
		return dst, fmt.Errorf("%w: composite key %s is verify-only (made from a public key)", provider.ErrUnsupported, k.info.ID)
	}
	mp := k.c.messageRepresentative(make([]byte, 0, len(prefix)+len(k.c.label)+1+sha512.Size), msg)
	var pq *offeredSign
	if k.overlap.overlap() {
		pq = &offeredSign{done: make(chan struct{})}
		go pq.run(ctx, k.pq, mp)
	}
	tradSig, tradErr := k.trad.Sign(ctx, mp)
	start := len(dst)
	var out []byte
	var pqErr error
	if pq == nil || pq.claim() {
		if pq != nil {
			k.overlap.record(false)
		}
		out, pqErr = provider.SignAppend(ctx, k.pq, dst, mp)
	} else {
		k.overlap.record(true)
		<-pq.done
		out, pqErr = append(dst, pq.sig...), pq.err
	}
	switch {
	case pqErr != nil && tradErr != nil:
		return dst, fmt.Errorf("%s: ML-DSA component: %w; classical component: %w", k.c.name, pqErr, tradErr)
	case pqErr != nil:
		return dst, fmt.Errorf("%s: ML-DSA component: %w", k.c.name, pqErr)
	case tradErr != nil:
		return dst, fmt.Errorf("%s: classical component: %w", k.c.name, tradErr)
	}
	if n := len(out) - start; n != k.c.mldsaSignatureSize {
		return dst, fmt.Errorf("%w: %s: the ML-DSA component returned %d bytes, want %d", provider.ErrUnavailable, k.c.name, n, k.c.mldsaSignatureSize)
	}
	return append(out, tradSig...), nil
}

// Verify checks a composite signature of msg: both components must verify.
// It returns an error matching ErrInvalidSignature when the signature is
// malformed or either component rejects its half, and another error (such
// as ErrUnavailable) when a component could not decide and the other did not
// reject.
func (k *Key) Verify(ctx context.Context, msg, sig []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return k.errClosed()
	}
	if len(sig) <= k.c.mldsaSignatureSize {
		return fmt.Errorf("%w: %s signature is %d bytes, not longer than its %d-byte ML-DSA half", provider.ErrInvalidSignature, k.c.name, len(sig), k.c.mldsaSignatureSize)
	}
	pqSig, tradSig := sig[:k.c.mldsaSignatureSize], sig[k.c.mldsaSignatureSize:]
	if err := k.c.checkClassicalSize(k.pub.Classical, tradSig); err != nil {
		return err
	}
	var buf [len(prefix) + 64 + 1 + sha512.Size]byte
	mp := k.c.messageRepresentative(buf[:0], msg)
	var pqErr, tradErr error
	if k.pq != nil {
		pqErr = k.pq.Verify(ctx, mp, pqSig)
		tradErr = k.trad.Verify(ctx, mp, tradSig)
	} else {
		pqErr = k.pqLocal.Verify(ctx, mp, pqSig)
		tradErr = stdverify.Verify(k.c.classical.alg, k.pub.Classical, mp, tradSig)
	}
	pqBad, tradBad := errors.Is(pqErr, provider.ErrInvalidSignature), errors.Is(tradErr, provider.ErrInvalidSignature)
	switch {
	case pqErr == nil && tradErr == nil:
		return nil
	case pqBad && tradBad:
		return fmt.Errorf("%w: %s: neither component verifies (ML-DSA: %v; classical: %v)", provider.ErrInvalidSignature, k.c.name, pqErr, tradErr)
	case pqBad:
		return fmt.Errorf("%w: %s: the ML-DSA component does not verify: %v", provider.ErrInvalidSignature, k.c.name, pqErr)
	case tradBad:
		return fmt.Errorf("%w: %s: the classical component does not verify: %v", provider.ErrInvalidSignature, k.c.name, tradErr)
	case pqErr != nil:
		return fmt.Errorf("%s: ML-DSA component could not verify: %w", k.c.name, pqErr)
	default:
		return fmt.Errorf("%s: classical component could not verify: %w", k.c.name, tradErr)
	}
}

// checkClassicalSize refuses a classical signature of a length the key
// cannot produce.
func (c *combination) checkClassicalSize(pub crypto.PublicKey, sig []byte) error {
	var ok bool
	switch p := pub.(type) {
	case ed25519.PublicKey:
		ok = len(sig) == ed25519.SignatureSize
	case *rsa.PublicKey:
		ok = len(sig) == p.Size()
	case *ecdsa.PublicKey:
		// A DER Ecdsa-Sig-Value: at least 8 bytes, at most two INTEGERs of
		// one byte more than the order plus headers.
		n := (p.Curve.Params().N.BitLen() + 7) / 8
		ok = len(sig) >= 8 && len(sig) <= 2*(n+1+3)+3
	}
	if !ok {
		return fmt.Errorf("%w: %s: classical signature of %d bytes cannot be a %s signature of this key", provider.ErrInvalidSignature, c.name, len(sig), c.classical.alg)
	}
	return nil
}

// Close closes both component handles. It is idempotent; any use after it
// fails with an error matching ErrClosed.
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
