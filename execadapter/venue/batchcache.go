package venue

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tinywindow/tinywindow/provider"
)

// MaxCachedBatches is how many batch signatures a venue remembers per
// connection (per Sim in process), and how many batch IDs a client
// remembers having sent on one connection: a client that sends a batch's
// frame again once it is no longer among the last MaxCachedBatches it sent
// never names a batch the venue has let go.
const MaxCachedBatches = 256

// ErrUnknownBatch is matched by the error of a batch-signed order whose
// batch the venue has not received: its frame never came, came after the
// order, or was pushed out by MaxCachedBatches later batches.
var ErrUnknownBatch = errors.New("batch not received before the order")

// BatchCache remembers the outcome of verifying each batch signature it is
// given, by batch ID, so that each batch is verified once and each of its
// orders only checked against it. It holds at most MaxCachedBatches
// batches, letting go of the oldest first, and keeps of each only what
// checking its orders needs (no signature), so its memory is bounded. It is
// safe for concurrent use.
type BatchCache struct {
	keys    *provider.Keyring
	mu      sync.Mutex
	entries map[uint64]*batchEntry
	order   [MaxCachedBatches]uint64 // batch IDs in the order they came, a ring
	next    int                      // where the next ID goes in order
}

// batchEntry is one batch and the outcome of verifying it.
type batchEntry struct {
	ready chan struct{} // closed once verified: b, err and retry are set
	b     Batch         // owned; its Signature kept only until verified, or while retry
	err   error         // nil when the signature verified
	retry bool          // err is the verifier's failure to decide: verify again
}

// owned returns a copy of b that shares no bytes with what b was parsed
// from, without its signature unless keepSig.
func (b *Batch) owned(keepSig bool) Batch {
	o := *b
	o.Signed = append([]byte(nil), b.Signed...)
	k := 46 // the key ID's offset in Signed (see Batch)
	o.KeyID = o.Signed[k : k+len(b.KeyID) : k+len(b.KeyID)]
	a := k + len(b.KeyID) + 1
	o.Algorithm = o.Signed[a : a+len(b.Algorithm) : a+len(b.Algorithm)]
	o.Signature = nil
	if keepSig {
		o.Signature = append([]byte(nil), b.Signature...)
	}
	return o
}

// NewBatchCache returns an empty cache whose batches are verified with the
// keys of keys.
func NewBatchCache(keys *provider.Keyring) *BatchCache {
	return &BatchCache{keys: keys, entries: make(map[uint64]*batchEntry, MaxCachedBatches)}
}

// Has reports whether the cache holds batch id.
func (c *BatchCache) Has(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[id] != nil
}

// undecided reports whether err is a verifier's failure to decide, rather
// than a verdict on the signature.
func undecided(err error) bool {
	return err != nil && !errors.Is(err, provider.ErrInvalidSignature) && !errors.Is(err, provider.ErrKeyNotFound)
}

// Add parses the body of a FrameBatch frame, verifies its signature
// (VerifyBatch) and remembers the outcome under its batch ID: the orders of
// a batch whose signature is invalid or whose key is unknown are refused
// with that error. It returns an error matching ErrBatch for a body that
// does not parse, which is remembered under no ID. A batch is verified
// once: a batch whose ID is cached (or being verified) already is not
// verified again, and if its signed part differs from the cached one's, Add
// returns an error matching ErrBatch and the cache keeps the first.
func (c *BatchCache) Add(ctx context.Context, body []byte) error {
	var b Batch
	if err := ParseBatch(body, &b); err != nil {
		return err
	}
	c.mu.Lock()
	if old := c.entries[b.ID]; old != nil {
		c.mu.Unlock()
		if string(old.b.Signed) != string(b.Signed) { // Signed never changes
			return fmt.Errorf("%w: batch %d came again with another root, leaf count, key or time; the first is kept", ErrBatch, b.ID)
		}
		return nil
	}
	e := &batchEntry{ready: make(chan struct{}), b: b.owned(true)}
	if len(c.entries) == MaxCachedBatches {
		delete(c.entries, c.order[c.next])
	}
	c.entries[b.ID] = e
	c.order[c.next] = b.ID
	c.next = (c.next + 1) % MaxCachedBatches
	c.mu.Unlock()
	// Orders of the batch that come meanwhile wait for this verification
	// rather than make their own.
	err := VerifyBatch(ctx, c.keys, &b)
	c.mu.Lock()
	e.err, e.retry = err, undecided(err)
	if !e.retry {
		e.b.Signature = nil
	}
	c.mu.Unlock()
	close(e.ready)
	return nil
}

// Check checks the parsed version 2 envelope e against its batch: nil when
// the batch's signature verified and e is a leaf of it (CheckLeaf). The
// error matches ErrUnknownBatch for a batch not in the cache, the batch's
// own verification error (provider.ErrInvalidSignature,
// provider.ErrKeyNotFound, or the verifier's failure to decide), or
// ErrNotInBatch.
func (c *BatchCache) Check(ctx context.Context, e *Envelope) error {
	var scratch [512]byte
	return c.check(ctx, e, scratch[:0])
}

// check is Check, building the leaf in buf.
func (c *BatchCache) check(ctx context.Context, e *Envelope, buf []byte) error {
	c.mu.Lock()
	ent := c.entries[e.BatchID]
	c.mu.Unlock()
	if ent == nil {
		return fmt.Errorf("%w: batch %d", ErrUnknownBatch, e.BatchID)
	}
	select {
	case <-ent.ready:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the verification of batch %d: %w", e.BatchID, ctx.Err())
	}
	c.mu.Lock()
	b, err, retry := ent.b, ent.err, ent.retry
	c.mu.Unlock()
	if retry {
		// The verifier could not decide when the batch came: ask again.
		err = VerifyBatch(ctx, c.keys, &b)
		if undecided(err) {
			return err
		}
		c.mu.Lock()
		ent.err, ent.retry, ent.b.Signature = err, false, nil
		c.mu.Unlock()
	}
	if err != nil {
		return err
	}
	return checkLeaf(&b, e, buf)
}
