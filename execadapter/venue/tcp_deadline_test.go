package venue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestTCPExpiredDeadlineNotSent submits orders whose contexts end before
// they could be written (ended already, or ending while another order holds
// the turn to write): each fails NotSent with a timeout, never
// reaches the venue, and costs nothing to the orders around it (the
// connection stays up; the order after each one is accepted).
func TestTCPExpiredDeadlineNotSent(t *testing.T) {
	key := hmac.NewFromSeed(42)
	rv := startRaw(t, func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
		for {
			id, err := rv.readOrder(fr)
			if err != nil {
				return
			}
			conn.Write(ackFrame(id, 9))
		}
	})
	c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	tests := []struct {
		name string
		ctx  context.Context
		hold bool // another order holds the turn to write
		want error
	}{
		{"deadline passed", expired, false, context.DeadlineExceeded},
		{"cancelled", cancelled, false, context.Canceled},
		{"deadline passes waiting for the turn to write", nil, true, context.DeadlineExceeded},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			var held *tcpConn
			if tt.hold {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
				defer cancel()
				c.mu.Lock()
				held = c.cur
				c.mu.Unlock()
				held.wmu.Lock()
				held.writing = true
				held.wmu.Unlock()
			}
			id := fmt.Sprintf("expired-%d", i)
			_, err := c.Submit(ctx, signed(t, key, id, time.Now()), []byte(id))
			if DeliveryOf(err) != NotSent || !errors.Is(err, ErrTimeout) || !errors.Is(err, tt.want) {
				t.Fatalf("got %v; want a timeout, not sent, matching %v", err, tt.want)
			}
			if tt.hold {
				held.wmu.Lock()
				n := len(held.queue)
				held.wmu.Unlock()
				if n != 0 {
					t.Fatalf("%d orders left in the queue; want the order withdrawn", n)
				}
				c.release(held)
			}
			next := fmt.Sprintf("after-%d", i)
			if ack, err := c.Submit(context.Background(), signed(t, key, next, time.Now()), []byte(next)); err != nil || ack.VenueOrderID != 9 {
				t.Fatalf("the order after: %+v %v", ack, err)
			}
		})
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.conns != 1 || c.Reconnects() != 0 {
		t.Fatalf("the venue saw %d connections, the client reconnected %d times; want 1 and 0", rv.conns, c.Reconnects())
	}
	for i := range tests {
		if id := fmt.Sprintf("expired-%d", i); rv.orders[id] != 0 {
			t.Errorf("order %s, not sent, reached the venue", id)
		}
	}
}

// TestTCPDeadlineDuringBlockedWrite has a venue stop reading, so that the
// client's writes block. Orders with a short deadline are sent one after
// another until one's deadline passes in the middle of its frame: it fails
// Unknown, and the client finishes its frame in the background; an order
// with no deadline waits for its turn. When the venue reads again, the
// connection is still the first one: the frame cut by its caller's deadline
// arrives whole, the waiting order is accepted, every Unknown order's ack
// is counted as unmatched and no NotSent order reached the venue.
func TestTCPDeadlineDuringBlockedWrite(t *testing.T) {
	resume := make(chan struct{})
	rv := startRaw(t, func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
		<-resume
		for {
			typ, body, err := fr.Next()
			if err != nil || typ != FrameOrder || len(body) == 0 || len(body) < 1+int(body[0]) {
				return
			}
			id := string(body[1 : 1+body[0]])
			rv.mu.Lock()
			rv.orders[id]++
			rv.mu.Unlock()
			conn.Write(ackFrame(id, 7))
		}
	})
	c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{WriteTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The venue parses nothing but the ID at the front of the envelope.
	envelope := func(id string) []byte {
		b := make([]byte, 30000)
		b[0] = byte(len(id))
		copy(b[1:], id)
		return b
	}
	submit := func(id string, d time.Duration) error {
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if d > 0 {
			ctx, cancel = context.WithTimeout(ctx, d)
		}
		defer cancel()
		_, err := c.Submit(ctx, envelope(id), []byte(id))
		return err
	}
	unknown := map[string]bool{}
	var notSent []string
	cut := false
	for i := 0; !cut; i++ {
		if c.Reconnects() != 0 {
			t.Fatalf("after %d orders: the client reconnected; a caller's deadline dropped the connection", i)
		}
		id := fmt.Sprintf("late-%d", i)
		err := submit(id, 5*time.Millisecond)
		switch d := DeliveryOf(err); {
		case err == nil || !errors.Is(err, ErrTimeout):
			t.Fatalf("%s: %v; want a timeout", id, err)
		case d == Unknown:
			unknown[id] = true
			cut = strings.Contains(err.Error(), "the rest follows")
		case d == NotSent:
			notSent = append(notSent, id)
		default:
			t.Fatalf("%s: %v", id, err)
		}
	}
	waiting := make(chan error, 1)
	go func() { waiting <- submit("waiting", 0) }()
	close(resume)
	if err := <-waiting; err != nil {
		t.Fatalf("the order with no deadline: %v", err)
	}
	for c.Unmatched() < uint64(len(unknown)) {
		time.Sleep(time.Millisecond)
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.conns != 1 || c.Reconnects() != 0 || c.Unmatched() != uint64(len(unknown)) {
		t.Fatalf("connections %d, reconnects %d, unmatched %d; want 1, 0 and %d", rv.conns, c.Reconnects(), c.Unmatched(), len(unknown))
	}
	for id := range unknown {
		if rv.orders[id] != 1 {
			t.Errorf("order %s (unknown) reached the venue %d times; want once", id, rv.orders[id])
		}
	}
	for _, id := range notSent {
		if rv.orders[id] != 0 {
			t.Errorf("order %s (not sent) reached the venue", id)
		}
	}
	t.Logf("%d orders unknown, %d not sent before the venue read again", len(unknown), len(notSent))
}

// TestTCPWriteTimeoutDropsDeadVenue has the first connection's venue never
// read: orders with no deadline fill the connection until a write blocks
// for the write timeout, which drops the connection (its orders in flight
// fail Unknown, the one blocked in its write too unless none of its frame
// was written) and the client reconnects; orders that had not been written
// go to the next connection, whose venue answers them. Every order ends.
// The test's write timeout is short, so that it runs quickly.
func TestTCPWriteTimeoutDropsDeadVenue(t *testing.T) {
	done := make(chan struct{})
	defer close(done)
	rv := startRaw(t, func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
		if n == 1 {
			<-done // never reads
			return
		}
		for {
			typ, body, err := fr.Next()
			if err != nil || typ != FrameOrder || len(body) == 0 || len(body) < 1+int(body[0]) {
				return
			}
			conn.Write(ackFrame(string(body[1:1+body[0]]), 8))
		}
	})
	c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{WriteTimeout: 100 * time.Millisecond, MinBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 400
	errs := make(chan error, n)
	for i := range n {
		go func() {
			id := fmt.Sprintf("dead-%d", i)
			b := make([]byte, 30000)
			b[0] = byte(len(id))
			copy(b[1:], id)
			_, err := c.Submit(context.Background(), b, []byte(id))
			errs <- err
		}()
	}
	var accepted, unknown, writeTimeouts int // unknown: or not sent, for the one blocked in its write
	for range n {
		err := <-errs
		switch {
		case err == nil:
			accepted++
		case DeliveryOf(err) != Delivered && errors.Is(err, ErrUnreachable):
			unknown++
			if errors.Is(err, os.ErrDeadlineExceeded) {
				writeTimeouts++
			}
		default:
			t.Errorf("%v; want accepted, or unknown for the connection lost", err)
		}
	}
	// The venue of the next connection reads, but a starved CPU can keep
	// it from reading for the write timeout too: then the client
	// reconnects again.
	if writeTimeouts == 0 || accepted == 0 || c.Reconnects() == 0 {
		t.Fatalf("%d accepted, %d unknown (%d for the write timeout), reconnects %d; want some accepted, some lost to the write timeout, a reconnection", accepted, unknown, writeTimeouts, c.Reconnects())
	}
	t.Logf("%d accepted, %d unknown (%d for the write timeout)", accepted, unknown, writeTimeouts)
}
