package venue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// idleGrace is how long a connection with no order in flight stays unread
// before its watcher reads it; an order sent within it takes the fast path.
const idleGrace = time.Millisecond

// readSlice bounds each read of an order on the fast path whose context may
// be cancelled, so that a cancellation is noticed within 3/2 of it (the
// slice is a lazyDeadline: moved only when less than readSlice is left).
const readSlice = 10 * time.Millisecond

// readRole says who reads a connection's acks: nobody (the next order will),
// an order's own goroutine, or the connection's watcher goroutine.
type readRole uint8

const (
	roleFree readRole = iota
	roleOrder
	roleWatcher
)

// setReadDeadline sets the connection's read deadline to dl, unless it is
// set there already. Only the reader of the moment calls it.
func (tc *tcpConn) setReadDeadline(dl time.Time) {
	if !dl.Equal(tc.rdl) {
		tc.conn.SetReadDeadline(dl)
		tc.rdl = dl
	}
}

// readOwn is the fast path: the order's goroutine reads the connection,
// passing on the acks of orders sent meanwhile, until its own ack comes, ctx
// ends or the connection fails. It then passes the reading on.
func (t *TCP) readOwn(ctx context.Context, tc *tcpConn, key callKey, c *call) (Ack, error) {
	for {
		var dl time.Time
		var hasDL bool
		if ctx.Done() != nil {
			dl, hasDL = ctx.Deadline()
			if slice := tc.slice.next(time.Now(), readSlice); !hasDL || slice.Before(dl) {
				dl = slice
			}
		}
		tc.setReadDeadline(dl)
		typ, body, err := tc.fb.next(tc.conn)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			cerr := ctx.Err()
			if cerr == nil {
				if d, ok := ctx.Deadline(); !ok || time.Now().Before(d) {
					continue // a slice ended; ctx still allows waiting
				}
				cerr = context.DeadlineExceeded
			}
			removed := t.remove(key, c)
			t.passOn(tc)
			if removed {
				callPool.Put(c)
				return Ack{}, &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w: no ack from %s: %w", ErrTimeout, t.addr, cerr)}
			}
			r := <-c.ch // the connection was dropped meanwhile
			callPool.Put(c)
			return r.ack, r.err
		}
		var ack Ack
		var id []byte
		if err == nil {
			ack, id, err = parseAckFrame(typ, body)
		}
		if err != nil {
			t.drop(tc, err)
			r := <-c.ch // drop (or Close) failed every order in flight
			callPool.Put(c)
			return r.ack, r.err
		}
		other, own := t.match(tc, id, c)
		if own {
			t.ownAcks.Add(1)
			callPool.Put(c)
			return ack, nil
		}
		if other == nil {
			t.unmatched.Add(1)
			continue
		}
		other.ch <- result{ack: ack}
	}
}

// match removes and returns the order in flight on tc that id answers (nil
// if none). When that is own, the reader's own order, it also passes the
// reading on, in the same critical section.
func (t *TCP) match(tc *tcpConn, id []byte, own *call) (*call, bool) {
	key, ok := keyOf(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.pending[key]
	if !ok || c == nil || c.gen != tc.gen {
		return nil, false
	}
	delete(t.pending, key)
	if c == own {
		t.passOnLocked(tc)
		return c, true
	}
	return c, false
}

// passOn ends an order's reading of tc (see passOnLocked).
func (t *TCP) passOn(tc *tcpConn) {
	t.mu.Lock()
	t.passOnLocked(tc)
	t.mu.Unlock()
}

// passOnLocked gives the reading of tc, held by an order's goroutine, to the
// watcher if other orders wait for acks, or to the next order otherwise (and
// to the watcher after idleGrace). t.mu is held.
func (t *TCP) passOnLocked(tc *tcpConn) {
	if t.cur != tc || tc.role != roleOrder {
		return
	}
	if len(t.pending) > 0 {
		tc.role = roleWatcher
		select {
		case tc.wake <- struct{}{}:
		default:
		}
		return
	}
	tc.role = roleFree
	tc.idle.Reset(idleGrace)
}

// idleExpired gives the reading of an idle connection to its watcher.
func (t *TCP) idleExpired(tc *tcpConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur == tc && tc.role == roleFree {
		tc.role = roleWatcher
		select {
		case tc.wake <- struct{}{}:
		default:
		}
	}
}

// parseAckFrame decodes an ack frame; the client order ID aliases body.
func parseAckFrame(typ byte, body []byte) (Ack, []byte, error) {
	switch typ {
	case FrameAck:
		return ParseAck(body)
	case FrameSignedAck:
		sa, err := ParseSignedAck(body)
		if err != nil {
			return Ack{}, nil, err
		}
		ack := sa.Ack
		ack.Signed = bytes.Clone(body)
		return ack, sa.ClientOrderID, nil
	}
	return Ack{}, nil, fmt.Errorf("%w: frame type %d from the venue; want an ack (%d or %d)", ErrProtocol, typ, FrameAck, FrameSignedAck)
}

// watch is tc's watcher goroutine: each time it is given the reading, it
// reads acks and passes them to their orders until no order is in flight,
// then gives the reading back to the next order. Idle, it waits in a read,
// so that a venue that closes the connection is noticed at once.
func (t *TCP) watch(tc *tcpConn) {
	defer t.wg.Done()
	for {
		select {
		case <-tc.wake:
		case <-tc.dead:
			return
		}
		tc.setReadDeadline(time.Time{}) // an order's reading may have set one
		for {
			typ, body, err := tc.fb.next(tc.conn)
			var ack Ack
			var id []byte
			if err == nil {
				ack, id, err = parseAckFrame(typ, body)
			}
			if err != nil {
				t.drop(tc, err)
				return
			}
			c, idle := t.matchWatched(tc, id)
			if c == nil {
				t.unmatched.Add(1)
				continue
			}
			c.ch <- result{ack: ack}
			if idle {
				break
			}
		}
	}
}

// matchWatched removes and returns the order in flight on tc that id
// answers (nil if none), and when it was the last in flight gives the
// reading back to the next order and reports true.
func (t *TCP) matchWatched(tc *tcpConn, id []byte) (*call, bool) {
	key, ok := keyOf(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.pending[key]
	if !ok || c == nil || c.gen != tc.gen {
		return nil, false
	}
	delete(t.pending, key)
	if len(t.pending) == 0 && t.cur == tc {
		tc.role = roleFree
		tc.idle.Reset(idleGrace)
		return c, true
	}
	return c, false
}
