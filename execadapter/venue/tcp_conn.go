package venue

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// tcpConn is one connection and the state of writing and reading it.
type tcpConn struct {
	conn     net.Conn
	gen      uint64
	wmu      sync.Mutex    // guards writing, queue, spare and shut
	writing  bool          // the turn to write is held: by an order or by flushQueue
	queue    []*call       // orders waiting to be written by the turn's holder, in order
	spare    []*call       // the queue's other slice, swapped in by flushQueue
	shut     bool          // the queue takes no more orders: the connection is gone
	wdl      time.Time     // the write deadline set; guarded by the turn
	wtimeout lazyDeadline  // the write timeout; guarded by the turn
	fb       frameBuffer   // used by the reader of the moment only
	rdl      time.Time     // the read deadline set; the reader of the moment's
	slice    lazyDeadline  // the fast path's read slice; the reader of the moment's
	role     readRole      // guarded by TCP.mu
	wake     chan struct{} // the watcher is to read (capacity 1)
	dead     chan struct{} // closed when the connection is dropped or closed
	idle     *time.Timer   // gives the reading to the watcher after idleGrace
	sent     sentBatches   // batch frames written; guarded by the turn
}

func (t *TCP) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: t.opts.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return conn, nil
}

// connected makes conn the current connection and starts its watcher; it
// reports false, closing conn, once the client is closed.
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

// drop ends the connection tc: every order waiting on it fails with
// Delivery Unknown, and a reconnection starts.
func (t *TCP) drop(tc *tcpConn, cause error) { t.dropUnwritten(tc, cause, nil) }

// dropUnwritten is drop, except that the orders registered as unwritten
// (by call.seq), and those still in tc's queue, get errResend: nothing of
// them was written, so they go on the next connection.
func (t *TCP) dropUnwritten(tc *tcpConn, cause error, unwritten map[uint64]bool) {
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
	queued := tc.shutQueue(failed)
	tc.idle.Stop()
	tc.conn.Close()
	err := &DeliveryError{Delivery: Unknown, Err: fmt.Errorf("%w: connection to %s lost before the ack: %w", ErrUnreachable, t.addr, cause)}
	for i, c := range failed {
		if queued[i] || unwritten[c.seq] {
			c.ch <- result{err: errResend}
			continue
		}
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
