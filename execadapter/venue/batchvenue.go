package venue

import (
	"context"
	"fmt"
)

// BatchVenue is a Venue that takes batch-signed orders (see
// BatchEnvelopeVersion). SubmitInBatch sends the body of batch batchID's
// FrameBatch frame, unless this venue connection carried it already, then
// the order's version 2 envelope, and waits for the ack as Submit does.
// Neither slice is kept after it returns.
type BatchVenue interface {
	Venue
	SubmitInBatch(ctx context.Context, batchID uint64, batch, envelope, clientOrderID []byte) (Ack, error)
}

// HoldingVenue is a BatchVenue that can hold an order's frames back, so
// that the orders of one batch, submitted one after another as they are
// signed together, reach the venue in one write. SubmitHeld is
// SubmitInBatch, except that the order's frames may wait, unwritten, in
// the venue's queue; it calls queued once, when they are in the queue (or
// when it gives up before that), not waiting for the ack. Once queued has
// been called for every order held, the caller calls Flush, which writes
// them. queued must not block.
type HoldingVenue interface {
	BatchVenue
	SubmitHeld(ctx context.Context, batchID uint64, batch, envelope, clientOrderID []byte, queued func()) (Ack, error)
	Flush()
}

var _ BatchVenue = (*Sim)(nil)

// SubmitInBatch verifies batch once (the first order of each batch) and
// processes the envelope against it. The Sim's cache holds MaxCachedBatches
// batches for all its callers at once: a batch pushed out by others before
// its order was checked is added again, once.
func (s *Sim) SubmitInBatch(ctx context.Context, batchID uint64, batch, envelope, _ []byte) (Ack, error) {
	if s.closed.Load() {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: %w", ErrTimeout, err)}
	}
	for try := 0; ; try++ {
		if !s.batches.Has(batchID) {
			if err := s.batches.Add(ctx, batch); err != nil {
				return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: batch %d: %w", ErrProtocol, batchID, err)}
			}
		}
		// An order refused for an unknown batch was refused before the
		// duplicate window saw it: processing it again changes nothing else.
		ack, _ := s.Process(ctx, envelope)
		if ack.Reason != ReasonUnknownBatch || try == 1 {
			return ack, nil
		}
	}
}

var _ BatchVenue = (*TCP)(nil)

// SubmitInBatch sends batch's frame, the first time this connection carries
// an order of batch batchID (again once MaxCachedBatches later batches have
// followed it), and the order's frame after it in the same write, then
// waits for the ack as Submit does.
func (t *TCP) SubmitInBatch(ctx context.Context, batchID uint64, batch, envelope, clientOrderID []byte) (Ack, error) {
	return t.submit(ctx, batchID, batch, envelope, clientOrderID, nil)
}

var _ HoldingVenue = (*TCP)(nil)

// SubmitHeld is SubmitInBatch, with the order held (see HoldingVenue): its
// frames wait in the connection's queue until Flush, or an order sent by
// Submit or SubmitInBatch, writes the queue. On another connection than
// the first (the first dropped before the frames were written), the order
// is held no more.
func (t *TCP) SubmitHeld(ctx context.Context, batchID uint64, batch, envelope, clientOrderID []byte, queued func()) (Ack, error) {
	return t.submit(ctx, batchID, batch, envelope, clientOrderID, queued)
}

// Flush writes the frames of the orders held (SubmitHeld), unless an order
// is writing already, in which case they follow its frame.
func (t *TCP) Flush() {
	t.mu.Lock()
	tc := t.cur
	t.mu.Unlock()
	if tc == nil {
		return // the orders held go on the next connection
	}
	tc.wmu.Lock()
	if tc.writing || tc.shut || len(tc.queue) == 0 {
		tc.wmu.Unlock()
		return
	}
	tc.writing = true
	tc.wmu.Unlock()
	go t.flushQueue(tc)
}

// sentBatches is the IDs of the last MaxCachedBatches batch frames written
// on one connection, in the order written: the batches the venue holds for
// it (see BatchCache).
type sentBatches struct {
	ids  map[uint64]struct{}
	ring [MaxCachedBatches]uint64
	next int
}

// appendFrames appends the frame of batch batchID, if batch is not nil and
// its frame was not sent, then the frame of the order.
func (s *sentBatches) appendFrames(dst []byte, batchID uint64, batch, envelope []byte) []byte {
	if batch != nil {
		if _, ok := s.ids[batchID]; !ok {
			dst = AppendFrame(dst, FrameBatch, batch)
		}
	}
	return AppendFrame(dst, FrameOrder, envelope)
}

// add records that batch id's frame was written.
func (s *sentBatches) add(id uint64) {
	if _, ok := s.ids[id]; ok {
		return
	}
	if s.ids == nil {
		s.ids = make(map[uint64]struct{}, MaxCachedBatches)
	}
	if len(s.ids) == MaxCachedBatches {
		delete(s.ids, s.ring[s.next])
	}
	s.ids[id] = struct{}{}
	s.ring[s.next] = id
	s.next = (s.next + 1) % MaxCachedBatches
}
