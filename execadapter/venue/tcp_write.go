package venue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// send writes the order of key, registered as c on tc. It returns whether
// the order still reads its own ack, whether it was queued (see below), and
// retry when the connection was lost before anything was written (the
// order is withdrawn; it may be registered again on the next connection).
// On an error the order is withdrawn too, and its reading passed on.
//
// An order that finds the turn to write free takes it and writes its own
// frame. Its write is bounded by ctx's deadline only until its first byte
// is on the wire: a frame cut short would break the stream for every order
// after it, so the rest of a frame whose caller's deadline passed mid-write
// is written by finish. An order that finds the turn held joins the
// connection's queue and returns at once; whoever holds the turn when it
// is done writes every queued order's frame in one write (flushQueue), so
// that orders arriving together cost one system call and no hand-off of
// the turn each. With hold (SubmitHeld), the order joins the queue even
// when no one writes, and waits there for a write; an order without hold
// that finds orders queued and no one writing joins them and has the queue
// written. A queued order whose ctx ends before its frame is taken from the
// queue withdraws it (await) and fails NotSent.
func (t *TCP) send(ctx context.Context, tc *tcpConn, key callKey, c *call, reader bool, batchID uint64, batch, envelope []byte, hold bool) (own, queued, retry bool, err error) {
	tc.wmu.Lock()
	if tc.shut {
		tc.wmu.Unlock()
		t.forget(key, c)
		return false, false, true, nil
	}
	if tc.writing || hold || len(tc.queue) > 0 {
		c.queued, c.batchID, c.batch, c.envelope = true, batchID, batch, envelope
		tc.queue = append(tc.queue, c)
		flush := !tc.writing && !hold // the orders held wait for this one
		if flush {
			tc.writing = true
		}
		tc.wmu.Unlock()
		if flush {
			go t.flushQueue(tc)
		}
		if reader {
			// Acks must not wait for the queue: give the reading away.
			t.passOn(tc)
		}
		return false, true, false, nil
	}
	tc.writing = true
	tc.wmu.Unlock()
	select {
	case <-tc.dead: // dropped meanwhile
		t.release(tc)
		t.forget(key, c)
		return false, false, true, nil
	default:
	}
	if err := ctx.Err(); err != nil {
		t.release(tc)
		t.abandon(tc, key, c, reader)
		return false, false, false, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: waiting to write to %s: %w", ErrTimeout, t.addr, err)}
	}
	bp := framePool.Get().(*[]byte)
	*bp = tc.sent.appendFrames((*bp)[:0], batchID, batch, envelope)
	dl, hasDL := ctx.Deadline()
	callers := tc.armWrite(dl, hasDL, t.opts.WriteTimeout)
	n, err := tc.conn.Write(*bp)
	if n > 0 && batch != nil {
		tc.sent.add(batchID) // the rest of a frame begun is always written
	}
	switch {
	case err == nil:
		framePool.Put(bp)
		t.release(tc)
		return reader, false, false, nil
	case callers && errors.Is(err, os.ErrDeadlineExceeded) && n == 0:
		framePool.Put(bp)
		t.release(tc)
		t.abandon(tc, key, c, reader)
		return false, false, false, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: writing to %s: %w", ErrTimeout, t.addr, context.DeadlineExceeded)}
	case callers && errors.Is(err, os.ErrDeadlineExceeded):
		size := len(*bp)
		go t.finish(tc, bp, n) // keeps the turn
		t.abandon(tc, key, c, reader)
		return false, false, false, &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w: writing to %s: %w (%d of %d bytes written; the rest follows)", ErrTimeout, t.addr, context.DeadlineExceeded, n, size)}
	}
	// The venue did not take the frame within the write timeout, or the
	// connection failed.
	framePool.Put(bp)
	t.forget(key, c)
	t.drop(tc, err)
	t.release(tc)
	d := Unknown
	if n == 0 {
		d = NotSent
	}
	return false, false, false, &DeliveryError{Delivery: d, Err: fmt.Errorf("%w: writing to %s: %w", ErrUnreachable, t.addr, err)}
}

// release gives back the turn to write, held by the caller: to nobody when
// the queue is empty, else to flushQueue, which writes the queued orders.
func (t *TCP) release(tc *tcpConn) {
	tc.wmu.Lock()
	if len(tc.queue) == 0 || tc.shut {
		tc.writing = false
		tc.wmu.Unlock()
		return
	}
	tc.wmu.Unlock()
	go t.flushQueue(tc) // keeps the turn; not in the caller's goroutine, whose context may end
}

// flushQueue holds the turn to write and writes the frames of every order
// in tc's queue, in the order queued, in one write, until the queue is
// empty. The frames are copied out of the queue while tc.wmu is held, so
// that an order leaves the queue either whole (written) or withdrawn
// (never written). Its writes are bounded by the write timeout only: they
// are no one caller's. A write that fails drops the connection; the orders
// none of whose frames it wrote go on the next connection.
func (t *TCP) flushQueue(tc *tcpConn) {
	bp := framePool.Get().(*[]byte)
	defer framePool.Put(bp)
	var taken []takenFrame
	for {
		tc.wmu.Lock()
		if len(tc.queue) == 0 || tc.shut {
			tc.writing = false
			tc.wmu.Unlock()
			return
		}
		buf := (*bp)[:0]
		taken = taken[:0]
		for _, c := range tc.queue {
			taken = append(taken, takenFrame{seq: c.seq, start: len(buf)})
			buf = tc.sent.appendFrames(buf, c.batchID, c.batch, c.envelope)
			if c.batch != nil {
				tc.sent.add(c.batchID)
			}
			c.unqueue()
		}
		clear(tc.queue)
		tc.queue, tc.spare = tc.spare[:0], tc.queue[:0]
		tc.wmu.Unlock()
		*bp = buf
		tc.armWrite(time.Time{}, false, t.opts.WriteTimeout)
		t.flushes.Add(1)
		n, err := tc.conn.Write(buf)
		if err != nil {
			// The orders whose frames begin past what was written were
			// never on the wire: they go on the next connection.
			unwritten := map[uint64]bool{}
			for _, f := range taken {
				if f.start >= n {
					unwritten[f.seq] = true
				}
			}
			t.dropUnwritten(tc, err, unwritten) // shuts the queue: the turn is no one's any more
			return
		}
	}
}

// takenFrame is where the frames of an order taken from the queue begin in
// flushQueue's write, and which registration (call.seq) they are.
type takenFrame struct {
	seq   uint64
	start int
}

// withdraw takes c, queued on tc and not yet written, out of the queue and
// reports whether it was there.
func (tc *tcpConn) withdraw(c *call) bool {
	tc.wmu.Lock()
	defer tc.wmu.Unlock()
	if !c.queued {
		return false
	}
	for i, q := range tc.queue {
		if q == c {
			tc.queue = slices.Delete(tc.queue, i, i+1)
			break
		}
	}
	c.unqueue()
	return true
}

// shutQueue takes no more orders into tc's queue and empties it; each call
// of queued, which may be read only once the caller holds tc.wmu no more,
// says whether that call was in the queue (never written). tc.wmu must not
// be held.
func (tc *tcpConn) shutQueue(failed []*call) (queued []bool) {
	tc.wmu.Lock()
	defer tc.wmu.Unlock()
	tc.shut = true
	queued = make([]bool, len(failed))
	for i, c := range failed {
		queued[i] = c.queued
	}
	for _, c := range tc.queue {
		c.unqueue()
	}
	clear(tc.queue)
	tc.queue = tc.queue[:0]
	return queued
}

// armWrite sets the write deadline of a write about to start on tc: the
// caller's deadline dl (if hasDL) or the connection's write timeout
// (between timeout and 3/2 of it from now, see lazyDeadline), whichever
// comes first. It reports whether it set the caller's. The turn is held.
func (tc *tcpConn) armWrite(dl time.Time, hasDL bool, timeout time.Duration) bool {
	next := tc.wtimeout.next(time.Now(), timeout)
	callers := hasDL && dl.Before(next)
	if callers {
		next = dl
	}
	if !next.Equal(tc.wdl) {
		tc.conn.SetWriteDeadline(next)
		tc.wdl = next
	}
	return callers
}

// finish writes the rest of the frame in *bp, of which n bytes are on the
// wire already, holding the turn that the frame's caller took, and then
// gives the turn back. A write that fails or blocks for the write timeout
// drops the connection.
func (t *TCP) finish(tc *tcpConn, bp *[]byte, n int) {
	tc.armWrite(time.Time{}, false, t.opts.WriteTimeout)
	_, err := tc.conn.Write((*bp)[n:])
	framePool.Put(bp)
	if err != nil {
		t.drop(tc, fmt.Errorf("writing the rest of a frame: %w", err))
	}
	t.release(tc)
}

// abandon withdraws the order of key, registered as c on tc, which will not
// wait for its ack, and passes the reading on if it held it.
func (t *TCP) abandon(tc *tcpConn, key callKey, c *call, reader bool) {
	t.forget(key, c)
	if reader {
		t.passOn(tc)
	}
}
