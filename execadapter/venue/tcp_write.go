package venue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// send writes the order of key, registered as c on tc, when its turn to
// write comes. It returns whether the order still reads its own ack, and
// retry when the connection was lost before anything was written (the
// order is withdrawn; it may be registered again on the next connection).
// On an error the order is withdrawn too, and its reading passed on.
//
// The turn is waited for with ctx, but the write itself is bounded by ctx's
// deadline only until its first byte is on the wire: a frame cut short
// would break the stream for every order after it, so the rest of a frame
// whose caller's deadline passed mid-write is written by finish.
func (t *TCP) send(ctx context.Context, tc *tcpConn, key callKey, c *call, reader bool, batchID uint64, batch, envelope []byte) (bool, bool, error) {
	select {
	case tc.turn <- struct{}{}:
	default:
		// Another order is writing. Acks must not wait for this order's
		// turn: give the reading away first.
		if reader {
			t.passOn(tc)
			reader = false
		}
		select {
		case tc.turn <- struct{}{}:
		case <-ctx.Done():
			t.forget(key, c)
			return false, false, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: waiting to write to %s: %w", ErrTimeout, t.addr, ctx.Err())}
		case <-tc.dead:
			t.forget(key, c)
			return false, true, nil
		}
	}
	select {
	case <-tc.dead: // dropped meanwhile
		<-tc.turn
		t.forget(key, c)
		return false, true, nil
	default:
	}
	if err := ctx.Err(); err != nil {
		<-tc.turn
		t.abandon(tc, key, c, reader)
		return false, false, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: waiting to write to %s: %w", ErrTimeout, t.addr, err)}
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
		<-tc.turn
		framePool.Put(bp)
		return reader, false, nil
	case callers && errors.Is(err, os.ErrDeadlineExceeded) && n == 0:
		<-tc.turn
		framePool.Put(bp)
		t.abandon(tc, key, c, reader)
		return false, false, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: writing to %s: %w", ErrTimeout, t.addr, context.DeadlineExceeded)}
	case callers && errors.Is(err, os.ErrDeadlineExceeded):
		size := len(*bp)
		go t.finish(tc, bp, n) // keeps the turn
		t.abandon(tc, key, c, reader)
		return false, false, &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w: writing to %s: %w (%d of %d bytes written; the rest follows)", ErrTimeout, t.addr, context.DeadlineExceeded, n, size)}
	}
	// The venue did not take the frame within the write timeout, or the
	// connection failed.
	framePool.Put(bp)
	t.forget(key, c)
	t.drop(tc, err)
	<-tc.turn
	d := Unknown
	if n == 0 {
		d = NotSent
	}
	return false, false, &DeliveryError{Delivery: d, Err: fmt.Errorf("%w: writing to %s: %w", ErrUnreachable, t.addr, err)}
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
	<-tc.turn
}

// abandon withdraws the order of key, registered as c on tc, which will not
// wait for its ack, and passes the reading on if it held it.
func (t *TCP) abandon(tc *tcpConn, key callKey, c *call, reader bool) {
	t.forget(key, c)
	if reader {
		t.passOn(tc)
	}
}
