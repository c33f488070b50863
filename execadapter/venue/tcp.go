package venue

import (
	"bytes"
	"context"
	"fmt"
	"net"
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
type TCP struct {
	addr string
	opts TCPOptions

	mu      sync.Mutex
	conn    net.Conn // nil while disconnected
	gen     uint64   // connection generation
	ready   chan struct{}
	pending map[string]*call
	closed  bool

	wmu        sync.Mutex // serialises writes on the connection
	unmatched  atomic.Uint64
	reconnects atomic.Uint64
	done       chan struct{}
	wg         sync.WaitGroup
}

var _ Venue = (*TCP)(nil)

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
	t := &TCP{addr: addr, opts: opts, pending: map[string]*call{}, done: make(chan struct{}), ready: make(chan struct{})}
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
	t.conn = conn
	gen := t.gen
	close(t.ready)
	t.mu.Unlock()
	t.wg.Add(1)
	go t.read(conn, gen)
	return true
}

// Unmatched returns the number of acks received for no order in flight
// (late acks of orders that timed out, or a venue's mistakes).
func (t *TCP) Unmatched() uint64 { return t.unmatched.Load() }

// Reconnects returns the number of reconnections made.
func (t *TCP) Reconnects() uint64 { return t.reconnects.Load() }

// Submit sends the envelope and waits for the ack with the same client order
// ID, or for ctx to end. While disconnected it waits for the reconnection.
func (t *TCP) Submit(ctx context.Context, envelope, clientOrderID []byte) (Ack, error) {
	if len(clientOrderID) == 0 || len(clientOrderID) > order.MaxClientOrderID {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: client order ID of %d bytes", ErrProtocol, len(clientOrderID))}
	}
	if len(envelope)+1 > MaxFrame {
		return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: envelope of %d bytes is over the frame limit", ErrProtocol, len(envelope))}
	}
	var (
		c    *call
		key  string
		conn net.Conn
		gen  uint64
	)
	for {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return Ack{}, &DeliveryError{Delivery: NotSent, Err: ErrClosed}
		}
		if t.conn == nil {
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
		key = string(clientOrderID)
		if _, dup := t.pending[key]; dup {
			t.mu.Unlock()
			return Ack{}, &DeliveryError{Delivery: NotSent, Err: fmt.Errorf("%w: %q", ErrInFlight, clientOrderID)}
		}
		c = callPool.Get().(*call)
		c.gen = t.gen
		t.pending[key] = c
		conn, gen = t.conn, t.gen
		t.mu.Unlock()
		break
	}

	bp := framePool.Get().(*[]byte)
	frame := AppendFrame((*bp)[:0], FrameOrder, envelope)
	t.wmu.Lock()
	dl, _ := ctx.Deadline() // zero, no deadline, when ctx has none
	conn.SetWriteDeadline(dl)
	n, err := conn.Write(frame)
	t.wmu.Unlock()
	*bp = frame
	framePool.Put(bp)
	if err != nil {
		d := Unknown
		if n == 0 {
			d = NotSent
		}
		t.remove(key, c)
		t.drop(conn, gen, err)
		return Ack{}, &DeliveryError{Delivery: d, Err: fmt.Errorf("%w: writing to %s: %w", ErrUnreachable, t.addr, err)}
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

// remove deletes the pending call c of key and reports whether it was there.
func (t *TCP) remove(key string, c *call) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[key] == c {
		delete(t.pending, key)
		return true
	}
	return false
}

func (t *TCP) read(conn net.Conn, gen uint64) {
	defer t.wg.Done()
	fr := NewFrameReader(conn)
	for {
		typ, body, err := fr.Next()
		var ack Ack
		var id []byte
		switch {
		case err != nil:
		case typ == FrameAck:
			ack, id, err = ParseAck(body)
		case typ == FrameSignedAck:
			var sa SignedAck
			if sa, err = ParseSignedAck(body); err == nil {
				ack, id = sa.Ack, sa.ClientOrderID
				ack.Signed = bytes.Clone(body)
			}
		default:
			err = fmt.Errorf("%w: frame type %d from the venue; want an ack (%d or %d)", ErrProtocol, typ, FrameAck, FrameSignedAck)
		}
		if err != nil {
			t.drop(conn, gen, err)
			return
		}
		t.mu.Lock()
		c := t.pending[string(id)]
		if c != nil && c.gen == gen {
			delete(t.pending, string(id))
		} else {
			c = nil
		}
		t.mu.Unlock()
		if c == nil {
			t.unmatched.Add(1)
			continue
		}
		c.ch <- result{ack: ack}
	}
}

// drop ends connection generation gen: every order waiting on it fails with
// Delivery Unknown, and a reconnection starts.
func (t *TCP) drop(conn net.Conn, gen uint64, cause error) {
	t.mu.Lock()
	if t.gen != gen || t.conn == nil {
		t.mu.Unlock()
		return
	}
	t.conn = nil
	t.ready = make(chan struct{})
	var failed []*call
	for k, c := range t.pending {
		if c.gen == gen {
			failed = append(failed, c)
			delete(t.pending, k)
		}
	}
	closed := t.closed
	t.mu.Unlock()
	conn.Close()
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
	conn := t.conn
	t.conn = nil
	var failed []*call
	for k, c := range t.pending {
		failed = append(failed, c)
		delete(t.pending, k)
	}
	t.mu.Unlock()
	close(t.done)
	if conn != nil {
		conn.Close()
	}
	for _, c := range failed {
		c.ch <- result{err: &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w before the ack", ErrClosed)}}
	}
	t.wg.Wait()
	return nil
}
