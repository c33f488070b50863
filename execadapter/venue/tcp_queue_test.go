package venue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// holdTurn takes the turn to write on c's connection, as an order writing
// does, and returns the connection.
func holdTurn(t *testing.T, c *TCP) *tcpConn {
	t.Helper()
	c.mu.Lock()
	tc := c.cur
	c.mu.Unlock()
	tc.wmu.Lock()
	defer tc.wmu.Unlock()
	if tc.writing {
		t.Fatal("the turn to write is held already")
	}
	tc.writing = true
	return tc
}

// queued returns the number of orders in tc's queue.
func queued(tc *tcpConn) int {
	tc.wmu.Lock()
	defer tc.wmu.Unlock()
	return len(tc.queue)
}

// TestTCPQueuedOrdersShareOneWrite: orders that find the turn to write held
// join the queue, and when the turn is given back every queued order is
// written in one write, with each batch's frame once, before its first
// order. An order whose context ends while queued is withdrawn: it fails
// NotSent and never reaches the venue, and the orders around it are
// accepted.
func TestTCPQueuedOrdersShareOneWrite(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	c := dialServer(t, srv, TCPOptions{})
	const n = 40
	sb := signBatch(t, key, canonicalOrders(t, "q", n, time.Now()))
	tc := holdTurn(t, c)
	errs := make([]error, n)
	acks := make([]Ack, n)
	var wg sync.WaitGroup
	short, cancel := context.WithCancel(context.Background())
	for i := range n {
		ctx := context.Background()
		if i == n/2 {
			ctx = short
		}
		wg.Go(func() {
			acks[i], errs[i] = c.SubmitInBatch(ctx, sb.ID, sb.Body, sb.Envelopes[i], []byte(fmt.Sprintf("q-%d", i)))
		})
		for queued(tc) != i+1 { // one at a time: the queue's order is i's
			time.Sleep(100 * time.Microsecond)
		}
	}
	cancel()
	for queued(tc) != n-1 {
		time.Sleep(100 * time.Microsecond)
	}
	c.release(tc)
	wg.Wait()
	for i, err := range errs {
		switch {
		case i == n/2:
			if DeliveryOf(err) != NotSent || !errors.Is(err, context.Canceled) {
				t.Errorf("the order withdrawn: %v; want not sent, cancelled", err)
			}
		case err != nil || acks[i].Status != Accepted:
			t.Errorf("order %d: %+v %v; want accepted", i, acks[i], err)
		}
	}
	if f := c.flushes.Load(); f != 1 {
		t.Errorf("%d writes of the queue; want 1", f)
	}
	// The withdrawn order was never sent: sent now, it is no duplicate.
	if ack, err := c.SubmitInBatch(context.Background(), sb.ID, sb.Body, sb.Envelopes[n/2], []byte(fmt.Sprintf("q-%d", n/2))); err != nil || ack.Status != Accepted {
		t.Fatalf("the withdrawn order, sent again: %+v %v; want accepted", ack, err)
	}
}

// TestTCPQueuedOrdersResentAfterDrop: orders still queued when their
// connection drops were never written, so they go on the next connection,
// each batch's frame with them, and are accepted there once.
func TestTCPQueuedOrdersResentAfterDrop(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	c := dialServer(t, srv, TCPOptions{MinBackoff: time.Millisecond})
	const n = 8
	sb := signBatch(t, key, canonicalOrders(t, "r", n, time.Now()))
	tc := holdTurn(t, c)
	errs := make([]error, n)
	acks := make([]Ack, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			acks[i], errs[i] = c.SubmitInBatch(context.Background(), sb.ID, sb.Body, sb.Envelopes[i], []byte(fmt.Sprintf("r-%d", i)))
		})
	}
	for queued(tc) != n {
		time.Sleep(100 * time.Microsecond)
	}
	c.drop(tc, errors.New("dropped by the test"))
	c.release(tc)
	wg.Wait()
	for i, err := range errs {
		if err != nil || acks[i].Status != Accepted {
			t.Errorf("order %d: %+v %v; want accepted on the next connection", i, acks[i], err)
		}
	}
	if c.Reconnects() != 1 {
		t.Errorf("%d reconnects; want 1", c.Reconnects())
	}
}

// TestTCPHeldOrders: orders submitted by SubmitHeld say when they are in
// the queue, and wait there, unwritten, until an order submitted otherwise, or Flush, writes them all
// in one write; held orders whose connection drops go on the next one
// without waiting for another order.
func TestTCPHeldOrders(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	for _, end := range []string{"last", "flush", "drop"} {
		t.Run(end, func(t *testing.T) {
			c := dialServer(t, srv, TCPOptions{MinBackoff: time.Millisecond})
			const n = 6
			sb := signBatch(t, key, canonicalOrders(t, end, n, time.Now()))
			errs := make([]error, n)
			acks := make([]Ack, n)
			answered := make(chan int, n)
			var inQueue atomic.Int32
			submit := func(i int, held bool) {
				id := []byte(fmt.Sprintf("%s-%d", end, i))
				if held {
					acks[i], errs[i] = c.SubmitHeld(context.Background(), sb.ID, sb.Body, sb.Envelopes[i], id, func() { inQueue.Add(1) })
				} else {
					acks[i], errs[i] = c.SubmitInBatch(context.Background(), sb.ID, sb.Body, sb.Envelopes[i], id)
				}
				answered <- i
			}
			c.mu.Lock()
			tc := c.cur
			c.mu.Unlock()
			for i := range n - 1 {
				go submit(i, true)
			}
			for inQueue.Load() != n-1 {
				time.Sleep(100 * time.Microsecond)
			}
			if q := queued(tc); q != n-1 {
				t.Fatalf("every held order said it was queued, and %d are; want %d", q, n-1)
			}
			// Held: nothing is written, so nothing is answered.
			select {
			case i := <-answered:
				t.Fatalf("held order %d answered before the last: %+v %v", i, acks[i], errs[i])
			case <-time.After(20 * time.Millisecond):
			}
			last := n - 1
			switch end {
			case "last":
				go submit(last, false)
			case "flush":
				c.Flush()
				last = n - 2
			case "drop":
				c.drop(tc, errors.New("dropped by the test"))
				last = n - 2
			}
			for range last + 1 {
				<-answered
			}
			for i := range last + 1 {
				if errs[i] != nil || acks[i].Status != Accepted {
					t.Errorf("order %d: %+v %v; want accepted", i, acks[i], errs[i])
				}
			}
			if end != "drop" && c.flushes.Load() != 1 {
				t.Errorf("%d writes of the queue; want 1", c.flushes.Load())
			}
		})
	}
}
