package venue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TCPOptions configure a TCP venue client.
type TCPOptions struct {
	// DialTimeout bounds each connection attempt (default 2s).
	DialTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts,
	// which doubles from one to the other (defaults 10ms and 1s).
	MinBackoff, MaxBackoff time.Duration
	// WriteTimeout bounds how long the write of one frame may block (the
	// venue not reading) before the venue is taken for dead and the
	// connection is dropped: a write still blocked WriteTimeout after it
	// began (at most 3/2 of it; default 10s). A caller's own deadline never
	// drops the connection.
	WriteTimeout time.Duration
}

// TCP is a venue reached over TCP (see Server). Many orders may be in flight
// on its one connection at once; acks are matched to orders by client order
// ID. It is safe for concurrent use.
//
// An order that finds no other writing writes its own frame. Orders that
// come while one writes join the connection's queue, and the queue is then
// written whole in one write: orders arriving together (a batch's, once it
// is signed) cost one system call between them, not one each. A caller's
// context ends only its own order: one whose context ends before its frame
// is written (or taken from the queue to be written) fails NotSent; one
// whose context ends while its frame is being written fails Unknown, and
// the client finishes writing the frame in the background so that the
// connection stays whole (the ack, when it comes, is counted by
// Unmatched). When the connection drops (the venue closes it, breaks the
// protocol, or does not read a frame for WriteTimeout), every order whose
// frame may have reached it and is still waiting for its ack fails with
// Delivery Unknown (never resent), orders none of whose frame was written
// wait for the next connection, and the client reconnects in the
// background with exponential backoff.
//
// An order sent while no other is in flight reads its own ack from the
// connection (the fast path): the goroutine that sent it is the one the
// kernel wakes, with no hand-off between goroutines. Orders sent while
// another is in flight wait for whoever reads to pass them their ack. A
// connection with nothing in flight for idleGrace is read by a goroutine of
// its own, so that a venue that closes it is noticed and the client
// reconnects before the next order.
type TCP struct {
	addr string
	opts TCPOptions

	mu      sync.Mutex
	cur     *tcpConn // nil while disconnected
	gen     uint64   // connection generation
	ready   chan struct{}
	pending map[callKey]*call
	seq     uint64 // registrations made (call.seq)
	closed  bool

	unmatched  atomic.Uint64
	reconnects atomic.Uint64
	ownAcks    atomic.Uint64 // acks read by the order's own goroutine
	flushes    atomic.Uint64 // writes of queued orders (flushQueue)
	done       chan struct{}
	wg         sync.WaitGroup
}

var _ Venue = (*TCP)(nil)

// ParseAddr returns HOST:PORT from a venue address of the form
// tcp://HOST:PORT.
func ParseAddr(s string) (string, error) {
	hostport, ok := strings.CutPrefix(s, "tcp://")
	if !ok {
		return "", fmt.Errorf("venue %q: write tcp://HOST:PORT", s)
	}
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		return "", fmt.Errorf("venue %q: %w; write tcp://HOST:PORT", s, err)
	}
	return hostport, nil
}

// DialTCP connects to the venue at addr (HOST:PORT).
func DialTCP(ctx context.Context, addr string, opts TCPOptions) (*TCP, error) {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 2 * time.Second
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 10 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(time.Second, opts.MinBackoff)
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	t := &TCP{addr: addr, opts: opts, pending: map[callKey]*call{}, done: make(chan struct{}), ready: make(chan struct{})}
	conn, err := t.dial(ctx)
	if err != nil {
		return nil, err
	}
	t.connected(conn)
	return t, nil
}

// Unmatched returns the number of acks received for no order in flight
// (late acks of orders that timed out, or a venue's mistakes).
func (t *TCP) Unmatched() uint64 { return t.unmatched.Load() }

// Reconnects returns the number of reconnections made.
func (t *TCP) Reconnects() uint64 { return t.reconnects.Load() }

// OwnAcks returns the number of acks read by the goroutine of the order
// they answer (the fast path), out of all acks received.
func (t *TCP) OwnAcks() uint64 { return t.ownAcks.Load() }

// Submit sends the envelope and waits for the ack with the same client order
// ID, or for ctx to end. While disconnected it waits for the reconnection.
func (t *TCP) Submit(ctx context.Context, envelope, clientOrderID []byte) (Ack, error) {
	return t.submit(ctx, 0, nil, envelope, clientOrderID, nil)
}

// submit is Submit, sending first the body of batch batchID's frame, if
// batch is not nil and the connection has not carried it yet.
//
// With queued not nil, the order is held (see SubmitHeld): queued is
// called once, when its frames are in the queue or when it gives up
// before that.
func (t *TCP) submit(ctx context.Context, batchID uint64, batch, envelope, clientOrderID []byte, queued func()) (Ack, error) {
	if queued != nil {
		defer func() {
			if queued != nil {
				queued()
			}
		}()
	}
	key, ok := keyOf(clientOrderID)
	if !ok || len(clientOrderID) == 0 {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: client order ID of %d bytes", ErrProtocol, len(clientOrderID))}
	}
	if len(envelope)+1 > MaxFrame || len(batch)+1 > MaxFrame {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: envelope of %d bytes or batch of %d is over the frame limit", ErrProtocol, len(envelope), len(batch))}
	}
	for {
		tc, c, reader, err := t.register(ctx, key, clientOrderID)
		if err != nil {
			return Ack{}, err
		}
		reader, inQueue, retry, err := t.send(ctx, tc, key, c, reader, batchID, batch, envelope, queued != nil)
		if inQueue && queued != nil {
			queued()
			queued = nil // resent on another connection, it is held no more
		}
		switch {
		case err != nil:
			return Ack{}, err
		case retry:
			continue // the connection was lost before the frame was written
		case reader:
			return t.readOwn(ctx, tc, key, c)
		}
		ack, err := t.await(ctx, tc, key, c, inQueue)
		if errors.Is(err, errResend) {
			continue // queued when the connection was lost: nothing was written
		}
		return ack, err
	}
}

// register enters the order of key in flight on the current connection,
// waiting for one as long as ctx allows, and reports whether the order is
// to read its own ack (the reading was free).
func (t *TCP) register(ctx context.Context, key callKey, clientOrderID []byte) (*tcpConn, *call, bool, error) {
	for {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return nil, nil, false, &DeliveryError{Delivery: NotSent, Err: ErrClosed}
		}
		if t.cur == nil {
			ready := t.ready
			t.mu.Unlock()
			select {
			case <-ready:
				continue
			case <-t.done:
				return nil, nil, false, &DeliveryError{Delivery: NotSent, Err: ErrClosed}
			case <-ctx.Done():
				return nil, nil, false, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: not connected to %s: %w", ErrUnreachable, t.addr, ctx.Err())}
			}
		}
		if _, dup := t.pending[key]; dup {
			t.mu.Unlock()
			return nil, nil, false, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: %q", ErrInFlight, clientOrderID)}
		}
		c := callPool.Get().(*call)
		c.gen = t.gen
		t.seq++
		c.seq = t.seq
		t.pending[key] = c
		tc := t.cur
		reader := false
		if tc.role == roleFree {
			tc.role, reader = roleOrder, true
		}
		t.mu.Unlock()
		return tc, c, reader, nil
	}
}

// await waits for the ack of an order written to tc, or queued to be
// written (see send), passed on by whoever reads it, or for ctx to end. An
// order that was still queued when tc dropped gets errResend. When ctx ends
// first, an order whose frame is still queued is withdrawn and fails
// NotSent, and any other Unknown.
func (t *TCP) await(ctx context.Context, tc *tcpConn, key callKey, c *call, queued bool) (Ack, error) {
	select {
	case r := <-c.ch:
		callPool.Put(c)
		return r.ack, r.err
	case <-ctx.Done():
		notSent := &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: waiting to write to %s: %w", ErrTimeout, t.addr, ctx.Err())}
		if queued && tc.withdraw(c) {
			t.forget(key, c)
			return Ack{}, notSent
		}
		if t.remove(key, c) {
			callPool.Put(c)
			return Ack{}, &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w: no ack from %s: %w", ErrTimeout, t.addr, ctx.Err())}
		}
		r := <-c.ch // the ack (or the disconnect) won the race
		callPool.Put(c)
		if errors.Is(r.err, errResend) {
			return Ack{}, notSent
		}
		return r.ack, r.err
	}
}

// Close closes the connection; orders still waiting fail with Delivery
// Unknown. It is idempotent.
func (t *TCP) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	tc := t.cur
	t.cur = nil
	if tc != nil {
		close(tc.dead)
	}
	var failed []*call
	for k, c := range t.pending {
		failed = append(failed, c)
		delete(t.pending, k)
	}
	t.mu.Unlock()
	close(t.done)
	var queued []bool
	if tc != nil {
		queued = tc.shutQueue(failed)
		tc.idle.Stop()
		tc.conn.Close()
	}
	for i, c := range failed {
		if queued != nil && queued[i] {
			c.ch <- result{err: &DeliveryError{Delivery: NotSent, Err: ErrClosed}}
			continue
		}
		c.ch <- result{err: &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w before the ack", ErrClosed)}}
	}
	t.wg.Wait()
	return nil
}
