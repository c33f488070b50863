package composite

import (
	"context"
	"crypto/sha512"
	"fmt"
	"sync/atomic"

	"github.com/tinywindow/tinywindow/provider"
)

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
// signature of M' followed by the classical signature of M'. If either
// component fails, the error names the component and wraps its error, so
// an outage stays [provider.ErrUnavailable]. The two components sign at
// once where a second thread is free, so signing takes about as long as
// the slower one.
func (k *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	// The calling goroutine signs with the classical component while the
	// ML-DSA signature is offered to a new goroutine (offeredSign). Where no
	// second thread takes the offer up in time (idle cores that wake
	// slowly), the key signs the halves in turn, offering only now and then
	// to notice a change (overlapGate).
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
