package execadapter

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// DefaultBatchMax is the most orders of one batch when Config.BatchWindow is
// set and Config.BatchMax is not.
const DefaultBatchMax = 256

// batcher gathers the orders that arrive within a window into batches and
// signs each batch once (venue.BatchSigner). A batch closes when its window,
// begun by its first order, ends, when it holds the most orders allowed, or
// when it holds every order in progress (see holdsAll), and is signed while
// the next batch gathers. At most signers batches are
// signed at once (default 1): a batch whose window ends while every signer
// is busy goes on gathering and is signed as soon as one is free, and a
// batch that fills meanwhile waits, in order, for a signer. So an order
// waits at most the window and one signature when a signer is free, and at
// most the longer of the window and one signature, plus one signature, when
// none is; and when orders come faster than the signers sign, batches grow
// instead of their signatures competing for the CPU.
type batcher struct {
	signer  *venue.BatchSigner
	held    venue.HoldingVenue // nil unless the venue can hold orders back
	window  time.Duration
	max     int
	signers int // most batches signed at once
	now     func() time.Time

	mu      sync.Mutex
	cur     *pendingBatch   // gathering; nil until an order comes
	signing int             // batches being signed
	queue   []*pendingBatch // full batches waiting for a signer

	batches, leaves, wait, batchBytes, envBytes atomic.Uint64 // see BatchStats

	active    atomic.Int64 // orders in progress: SendOrder calls not yet returned
	gathering atomic.Int64 // orders in b.cur; written with b.mu held
}

// BatchStats counts the work of batch signing (Config.BatchWindow) since
// the Adapter was made: all zero when each order is signed on its own.
type BatchStats struct {
	Batches uint64 // batches signed
	Leaves  uint64 // orders in them
	// Wait is the total time orders waited, from their arrival in their
	// batch until its signature: the latency batching adds.
	Wait time.Duration
	// BatchBytes is the size of the batches' signatures (FrameBatch
	// bodies), EnvelopeBytes that of the orders' envelopes.
	BatchBytes, EnvelopeBytes uint64
}

// BytesPerOrder returns the mean bytes on the wire of a batch-signed order:
// its frame and its share of its batch's frame (venue.FrameOverhead and
// the body of each); 0 before the first batch.
func (s BatchStats) BytesPerOrder() float64 {
	if s.Leaves == 0 {
		return 0
	}
	return float64(s.EnvelopeBytes+venue.FrameOverhead*s.Leaves+s.BatchBytes+venue.FrameOverhead*s.Batches) / float64(s.Leaves)
}

// BatchStats returns the counters of batch signing.
func (a *Adapter) BatchStats() BatchStats {
	b := a.batches
	if b == nil {
		return BatchStats{}
	}
	return BatchStats{Batches: b.batches.Load(), Leaves: b.leaves.Load(), Wait: time.Duration(b.wait.Load()),
		BatchBytes: b.batchBytes.Load(), EnvelopeBytes: b.envBytes.Load()}
}

// pendingBatch is a batch gathering or being signed.
type pendingBatch struct {
	orders [][]byte
	timer  *time.Timer
	due    bool          // its window has ended; it closes when a signer is free
	closed atomic.Bool   // no longer gathering
	done   chan struct{} // closed once signed (or failed)
	sb     *venue.SignedBatch
	err    error

	audited  sync.Once // the batch's audit record, by its first order
	auditErr error

	// unsent counts the batch's orders not yet in the venue's queue nor
	// given up: with a venue.HoldingVenue every order is held, and the last
	// to be counted out has the venue write them all, so that the batch
	// goes to the venue in one write (see Adapter.submit).
	unsent atomic.Int32
}

// newBatcher returns a batcher for cfg, or nil when cfg.BatchWindow is zero
// (each order signed on its own).
func newBatcher(cfg *Config) (*batcher, error) {
	switch {
	case cfg.BatchWindow < 0 || cfg.BatchMax < 0 || cfg.BatchMax > venue.MaxBatchLeaves || cfg.BatchSigners < 0:
		return nil, fmt.Errorf("%w: execadapter: BatchWindow %v and BatchSigners %d must not be negative, and BatchMax %d must be 0 to %d", provider.ErrInvalidConfig, cfg.BatchWindow, cfg.BatchSigners, cfg.BatchMax, venue.MaxBatchLeaves)
	case cfg.BatchWindow == 0 && (cfg.BatchMax != 0 || cfg.BatchSigners != 0):
		return nil, fmt.Errorf("%w: execadapter: BatchMax %d or BatchSigners %d without a BatchWindow; set the window too, or none of them to sign each order on its own", provider.ErrInvalidConfig, cfg.BatchMax, cfg.BatchSigners)
	case cfg.BatchWindow == 0:
		return nil, nil
	}
	if _, ok := cfg.Venue.(venue.BatchVenue); !ok {
		return nil, fmt.Errorf("%w: execadapter: BatchWindow needs a venue that takes batch-signed orders (venue.BatchVenue); %T does not", provider.ErrInvalidConfig, cfg.Venue)
	}
	s, err := venue.NewBatchSigner(cfg.Signer)
	if err != nil {
		return nil, err
	}
	b := &batcher{signer: s, window: cfg.BatchWindow, max: cfg.BatchMax, signers: cfg.BatchSigners, now: cfg.Now}
	b.held, _ = cfg.Venue.(venue.HoldingVenue)
	if b.max == 0 {
		b.max = DefaultBatchMax
	}
	if b.signers == 0 {
		b.signers = 1
	}
	return b, nil
}

// seal makes canonical a leaf of the batch gathering and returns, once the
// batch is signed, the batch and the order's index in it. canonical must
// not change until the batch is signed. If ctx ends first, the order stays
// a leaf of its batch but is never sent.
func (b *batcher) seal(ctx context.Context, canonical []byte) (*pendingBatch, int, error) {
	t0 := time.Now()
	b.mu.Lock()
	p := b.cur
	if p == nil {
		p = &pendingBatch{orders: make([][]byte, 0, b.max), done: make(chan struct{})}
		b.cur = p
	}
	i := len(p.orders)
	p.orders = append(p.orders, canonical)
	p.unsent.Add(1)
	b.gathering.Store(int64(len(p.orders)))
	start, spin := false, false
	switch {
	case len(p.orders) == b.max, b.holdsAll(p) && b.signing < b.signers:
		b.closeCur()
		start = b.take(p)
	case i == 0 && b.window < timerWindow:
		spin = true
	case i == 0:
		p.timer = time.AfterFunc(b.window, func() { b.close(p) })
	}
	b.mu.Unlock()
	if spin {
		b.gather(p, t0.Add(b.window))
	}
	switch {
	case start && len(p.orders) == 1:
		// A batch of this order alone is this order's: signed in its
		// goroutine, with no hand-off, under its context.
		b.signAlone(ctx, p)
	case start:
		go b.sign(p) // not in this order's goroutine: its context may end first
	}
	select {
	case <-p.done:
		if p.err != nil {
			return nil, 0, p.err
		}
		b.wait.Add(uint64(time.Since(t0)))
		b.envBytes.Add(uint64(len(p.sb.Envelopes[i])))
		return p, i, nil
	case <-ctx.Done():
		b.settle(p)
		return nil, 0, fmt.Errorf("waiting for batch signing: %w", ctx.Err())
	}
}

// settle counts out an order of p that is in the venue's queue or will not
// be sent; once every order of p is, the orders held by the venue are
// written.
func (b *batcher) settle(p *pendingBatch) {
	if p.unsent.Add(-1) == 0 && b.held != nil {
		b.held.Flush()
	}
}

// timerWindow is the shortest window timed by a timer; shorter ones are
// timed by the batch's first order (gather).
const timerWindow = time.Millisecond

// gather is the first order of p waiting, in its own goroutine, for p's
// window to end at end, yielding the processor to other goroutines, unless
// p closes first; then it closes p. A window shorter than timerWindow is
// timed so rather than by a timer: in a process whose processors are idle,
// a timer's wake-up comes up to a millisecond late (the runtime's network
// poller sleeps in whole milliseconds), many times a 50µs window.
func (b *batcher) gather(p *pendingBatch, end time.Time) {
	for !p.closed.Load() && time.Now().Before(end) {
		runtime.Gosched()
	}
	b.close(p)
}

// closeCur ends the gathering of b.cur, which is not nil. b.mu is held.
func (b *batcher) closeCur() {
	b.cur.closed.Store(true)
	if b.cur.timer != nil {
		b.cur.timer.Stop()
	}
	b.cur = nil
	b.gathering.Store(0)
}

// enter counts an order in progress; leave, called once for each enter
// when the order is done, uncounts it and, if the batch gathering now
// holds every order in progress, closes it (see holdsAll).
func (b *batcher) enter() { b.active.Add(1) }

func (b *batcher) leave() {
	if b.active.Add(-1) > b.gathering.Load() {
		return
	}
	b.mu.Lock()
	p := b.cur
	start := p != nil && b.holdsAll(p) && b.signing < b.signers
	if start {
		b.closeCur()
		b.signing++
	}
	b.mu.Unlock()
	if start {
		go b.sign(p)
	}
}

// holdsAll reports whether the gathering batch p holds every order in
// progress (b.active): then no order can join it but one from a new call,
// so waiting for the rest of its window gains nothing. b.mu is held.
func (b *batcher) holdsAll(p *pendingBatch) bool {
	return int64(len(p.orders)) >= b.active.Load()
}

// take gives the closed batch p a signer, if one is free, and reports
// whether it did; otherwise p waits in the queue. b.mu is held.
func (b *batcher) take(p *pendingBatch) bool {
	if b.signing < b.signers {
		b.signing++
		return true
	}
	b.queue = append(b.queue, p)
	return false
}

// close closes p when its window ends, unless it filled up first, and
// signs it; if every signer is busy, p goes on gathering and is signed
// when one is free.
func (b *batcher) close(p *pendingBatch) {
	b.mu.Lock()
	if b.cur != p {
		b.mu.Unlock()
		return // full: being signed already, or waiting for a signer
	}
	if b.signing == b.signers {
		p.due = true
		b.mu.Unlock()
		return
	}
	b.closeCur()
	b.signing++
	b.mu.Unlock()
	b.sign(p)
}

// sign signs the closed batch p and wakes its orders, then, while there is
// one, signs the next batch waiting for a signer: a full one from the
// queue first, else the gathering one whose window has ended.
func (b *batcher) sign(p *pendingBatch) {
	for p != nil {
		// The batch is its orders' and no one order's: signing is not cut
		// short by the context of the order that closed it.
		b.signOne(context.Background(), p)
		p = b.next()
	}
}

// signAlone signs p, a batch of one order, under that order's context, in
// its goroutine, then passes the signer on to the next batch, if one waits.
func (b *batcher) signAlone(ctx context.Context, p *pendingBatch) {
	b.signOne(ctx, p)
	if p := b.next(); p != nil {
		go b.sign(p)
	}
}

// signOne signs the closed batch p and wakes its orders.
func (b *batcher) signOne(ctx context.Context, p *pendingBatch) {
	p.sb, p.err = b.signer.Sign(ctx, p.orders, b.now().UnixNano())
	if p.err == nil {
		b.batches.Add(1)
		b.leaves.Add(uint64(len(p.orders)))
		b.batchBytes.Add(uint64(len(p.sb.Body)))
	}
	close(p.done)
}

// next returns the batch the signer that just finished is to sign next,
// closing it: a full one from the queue first, else the gathering one if
// its window has ended or it holds every order in progress; or nil, and
// the signer is free.
func (b *batcher) next() *pendingBatch {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case len(b.queue) > 0:
		p := b.queue[0]
		b.queue[0] = nil
		b.queue = b.queue[1:]
		return p
	case b.cur != nil && (b.cur.due || b.holdsAll(b.cur)):
		p := b.cur
		b.closeCur()
		return p
	}
	b.signing--
	return nil
}

// sealInBatch seals canonical as a leaf of a batch and returns its version 2
// envelope and its batch.
func (a *Adapter) sealInBatch(ctx context.Context, canonical []byte) ([]byte, *pendingBatch, error) {
	p, i, err := a.batches.seal(ctx, canonical)
	if err != nil {
		return nil, nil, err
	}
	return p.sb.Envelopes[i], p, nil
}

// auditBatch records the signature of batch p (audit.TypeBatch, its
// FrameBatch body) in the audit log, once, and returns the error of that
// one write to each of its orders; orders of the batch that come meanwhile
// wait for it, so the record precedes every order record of its batch. It
// does nothing for an order signed on its own (p nil).
func (a *Adapter) auditBatch(p *pendingBatch, now int64) error {
	if p == nil {
		return nil
	}
	p.audited.Do(func() { p.auditErr = a.cfg.Audit.Append(audit.TypeBatch, now, p.sb.Body) })
	return p.auditErr
}

// submit sends env to the venue, with its batch's signature when it is
// batch-signed (p not nil). A venue.HoldingVenue holds the orders of a
// batch until the last is in its queue (settle), or until the last to be
// submitted, sent unheld, writes them with its own: an order that finds
// every other order of its batch settled is that one, and a batch of one
// order is sent as if it were signed on its own.
func (a *Adapter) submit(ctx context.Context, p *pendingBatch, env, clientOrderID []byte) (Ack, error) {
	if p == nil {
		return a.cfg.Venue.Submit(ctx, env, clientOrderID)
	}
	if h := a.batches.held; h != nil && p.unsent.Load() > 1 {
		return h.SubmitHeld(ctx, p.sb.ID, p.sb.Body, env, clientOrderID, func() { a.batches.settle(p) })
	}
	return a.cfg.Venue.(venue.BatchVenue).SubmitInBatch(ctx, p.sb.ID, p.sb.Body, env, clientOrderID)
}
