package venue

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
)

// TCPOptions configure a TCP venue client.
type TCPOptions struct {
	// DialTimeout bounds each connection attempt (default 2s).
	DialTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts,
	// which doubles from one to the other (defaults 10ms and 1s).
	MinBackoff, MaxBackoff time.Duration
}

// TCP is a venue reached over TCP (see Server). Many orders may be in flight
// on its one connection at once; acks are matched to orders by client order
// ID. When the connection drops, every order still waiting for its ack fails
// with Delivery Unknown (never resent), and the client reconnects in the
// background with exponential backoff. It is safe for concurrent use.
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
	closed  bool

	wmu        sync.Mutex // serialises writes on the connection
	unmatched  atomic.Uint64
	reconnects atomic.Uint64
	ownAcks    atomic.Uint64 // acks read by the order's own goroutine
	done       chan struct{}
	wg         sync.WaitGroup
}

var _ Venue = (*TCP)(nil)

// idleGrace is how long a connection with no order in flight stays unread
// before its watcher reads it; an order sent within it takes the fast path.
const idleGrace = time.Millisecond

// readSlice bounds each read of an order on the fast path whose context may
// be cancelled, so that a cancellation is noticed within it.
const readSlice = 10 * time.Millisecond

// readRole says who reads a connection's acks: nobody (the next order will),
// an order's own goroutine, or the connection's watcher goroutine.
type readRole uint8

const (
	roleFree readRole = iota
	roleOrder
	roleWatcher
)

// tcpConn is one connection and the state of reading it.
type tcpConn struct {
	conn net.Conn
	gen  uint64
	fb   frameBuffer   // used by the reader of the moment only
	rdl  time.Time     // the read deadline set; the reader of the moment's
	wdl  time.Time     // the write deadline set; guarded by TCP.wmu
	role readRole      // guarded by TCP.mu
	wake chan struct{} // the watcher is to read (capacity 1)
	dead chan struct{} // closed when the connection is dropped or closed
	idle *time.Timer   // gives the reading to the watcher after idleGrace
}

// setReadDeadline sets the connection's read deadline to dl, unless it is
// set there already. Only the reader of the moment calls it.
func (tc *tcpConn) setReadDeadline(dl time.Time) {
	if !dl.Equal(tc.rdl) {
		tc.conn.SetReadDeadline(dl)
		tc.rdl = dl
	}
}

// callKey is a client order ID as a map key that costs no allocation.
type callKey struct {
	n  uint8
	id [order.MaxClientOrderID]byte
}

func keyOf(id []byte) (callKey, bool) {
	var k callKey
	if len(id) > len(k.id) {
		return k, false
	}
	k.n = uint8(len(id))
	copy(k.id[:], id)
	return k, true
}

type call struct {
	ch  chan result
	gen uint64
}

type result struct {
	ack Ack
	err error
}

var (
	callPool  = sync.Pool{New: func() any { return &call{ch: make(chan result, 1)} }}
	framePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
)

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
	t := &TCP{addr: addr, opts: opts, pending: map[callKey]*call{}, done: make(chan struct{}), ready: make(chan struct{})}
	conn, err := t.dial(ctx)
	if err != nil {
		return nil, err
	}
	t.connected(conn)
	return t, nil
}

func (t *TCP) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: t.opts.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return conn, nil
}

func (t *TCP) connected(conn net.Conn) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		conn.Close()
		return false
	}
	t.gen++
	tc := &tcpConn{conn: conn, gen: t.gen, wake: make(chan struct{}, 1), dead: make(chan struct{})}
	tc.idle = time.AfterFunc(idleGrace, func() { t.idleExpired(tc) })
	t.cur = tc
	close(t.ready)
	t.mu.Unlock()
	t.wg.Add(1)
	go t.watch(tc)
	return true
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
	key, ok := keyOf(clientOrderID)
	if !ok || len(clientOrderID) == 0 {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: client order ID of %d bytes", ErrProtocol, len(clientOrderID))}
	}
	if len(envelope)+1 > MaxFrame {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: envelope of %d bytes is over the frame limit", ErrProtocol, len(envelope))}
	}
	var (
		c      *call
		tc     *tcpConn
		reader bool // this order reads its own ack
	)
	for {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return Ack{}, &DeliveryError{Delivery: NotSent, Err: ErrClosed}
		}
		if t.cur == nil {
			ready := t.ready
			t.mu.Unlock()
			select {
			case <-ready:
				continue
			case <-t.done:
				return Ack{}, &DeliveryError{Delivery: NotSent, Err: ErrClosed}
			case <-ctx.Done():
				return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: not connected to %s: %w", ErrUnreachable, t.addr, ctx.Err())}
			}
		}
		if _, dup := t.pending[key]; dup {
			t.mu.Unlock()
			return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: %q", ErrInFlight, clientOrderID)}
		}
		c = callPool.Get().(*call)
		c.gen = t.gen
		t.pending[key] = c
		tc = t.cur
		if tc.role == roleFree {
			tc.role, reader = roleOrder, true
		}
		t.mu.Unlock()
		break
	}

	bp := framePool.Get().(*[]byte)
	frame := AppendFrame((*bp)[:0], FrameOrder, envelope)
	t.wmu.Lock()
	if dl, _ := ctx.Deadline(); !dl.Equal(tc.wdl) { // zero, no deadline, when ctx has none
		tc.conn.SetWriteDeadline(dl)
		tc.wdl = dl
	}
	n, err := tc.conn.Write(frame)
	t.wmu.Unlock()
	*bp = frame
	framePool.Put(bp)
	if err != nil {
		d := Unknown
		if n == 0 {
			d = NotSent
		}
		t.remove(key, c)
		t.drop(tc, err)
		return Ack{}, &DeliveryError{Delivery: d, Err: fmt.Errorf("%w: writing to %s: %w", ErrUnreachable, t.addr, err)}
	}
	if reader {
		return t.readOwn(ctx, tc, key, c)
	}
	select {
	case r := <-c.ch:
		callPool.Put(c)
		return r.ack, r.err
	case <-ctx.Done():
		if t.remove(key, c) {
			callPool.Put(c)
			return Ack{}, &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w: no ack from %s: %w", ErrTimeout, t.addr, ctx.Err())}
		}
		r := <-c.ch // the ack (or the disconnect) won the race
		callPool.Put(c)
		return r.ack, r.err
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
			if slice := time.Now().Add(readSlice); !hasDL || slice.Before(dl) {
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

// remove deletes the pending call c of key and reports whether it was there.
func (t *TCP) remove(key callKey, c *call) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[key] == c {
		delete(t.pending, key)
		return true
	}
	return false
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

// drop ends the connection tc: every order waiting on it fails with
// Delivery Unknown, and a reconnection starts.
func (t *TCP) drop(tc *tcpConn, cause error) {
	t.mu.Lock()
	if t.cur != tc {
		t.mu.Unlock()
		return
	}
	t.cur = nil
	close(tc.dead)
	t.ready = make(chan struct{})
	var failed []*call
	for k, c := range t.pending {
		if c.gen == tc.gen {
			failed = append(failed, c)
			delete(t.pending, k)
		}
	}
	closed := t.closed
	t.mu.Unlock()
	tc.idle.Stop()
	tc.conn.Close()
	err := &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w: connection to %s lost before the ack: %w", ErrUnreachable, t.addr, cause)}
	for _, c := range failed {
		c.ch <- result{err: err}
	}
	if !closed {
		t.wg.Add(1)
		go t.reconnect()
	}
}

func (t *TCP) reconnect() {
	defer t.wg.Done()
	backoff := t.opts.MinBackoff
	for {
		ctx, cancel := context.WithTimeout(context.Background(), t.opts.DialTimeout)
		go func() {
			select {
			case <-t.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		conn, err := t.dial(ctx)
		cancel()
		if err == nil {
			if t.connected(conn) {
				t.reconnects.Add(1)
			}
			return
		}
		select {
		case <-t.done:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, t.opts.MaxBackoff)
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
	if tc != nil {
		tc.idle.Stop()
		tc.conn.Close()
	}
	for _, c := range failed {
		c.ch <- result{err: &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w before the ack", ErrClosed)}}
	}
	t.wg.Wait()
	return nil
}

// frameBuffer reads frames into one buffer it reuses, like FrameReader,
// except that a read that fails (a read deadline that passed) loses nothing:
// the bytes read so far stay for the next call, so that goroutines can take
// turns reading one connection. A frame is valid until the next call.
type frameBuffer struct {
	buf  []byte
	r, w int // buf[r:w] is read and not yet returned
}

// next returns the next frame's type and body, with FrameReader.Next's
// errors, or the reader's own error (such as os.ErrDeadlineExceeded), after
// which it may be called again.
func (f *frameBuffer) next(rd io.Reader) (byte, []byte, error) {
	for {
		need := 4
		if f.w-f.r >= 4 {
			n := binary.BigEndian.Uint32(f.buf[f.r:])
			if n == 0 || n > MaxFrame {
				return 0, nil, fmt.Errorf("%w: frame length %d is outside 1 to %d", ErrProtocol, n, MaxFrame)
			}
			need = 4 + int(n)
			if f.w-f.r >= need {
				fr := f.buf[f.r+4 : f.r+need]
				f.r += need
				return fr[0], fr[1:], nil
			}
		}
		if f.r == f.w {
			f.r, f.w = 0, 0
		}
		if len(f.buf)-f.r < need {
			if f.r > 0 {
				f.w = copy(f.buf, f.buf[f.r:f.w])
				f.r = 0
			}
			if len(f.buf) < need {
				nb := make([]byte, min(max(need, 2*len(f.buf), 4096), 4+MaxFrame))
				copy(nb, f.buf[:f.w])
				f.buf = nb
			}
		}
		m, err := rd.Read(f.buf[f.w:])
		f.w += m
		if m > 0 {
			continue
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF) && f.w == f.r:
			return 0, nil, io.EOF
		case errors.Is(err, io.EOF):
			return 0, nil, fmt.Errorf("%w (%d bytes of a frame)", ErrTruncatedFrame, f.w-f.r)
		default:
			return 0, nil, err
		}
	}
}
