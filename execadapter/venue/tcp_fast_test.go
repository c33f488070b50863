package venue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestTCPOwnAcks sends orders one at a time: each is alone in flight, so
// (after the first, which may find the idle connection's watcher reading)
// orders read their own acks.
func TestTCPOwnAcks(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	c := dialServer(t, srv, TCPOptions{})
	const n = 200
	for i := range n {
		id := fmt.Sprintf("own-%d", i)
		if ack, err := c.Submit(context.Background(), signed(t, key, id, time.Now()), []byte(id)); err != nil || ack.Status != Accepted {
			t.Fatalf("%s: %+v %v", id, ack, err)
		}
	}
	if c.OwnAcks() == 0 {
		t.Fatal("no order read its own ack")
	}
	t.Logf("%d of %d acks read by their own order", c.OwnAcks(), n)
}

// TestTCPOwnAckCancelled cancels, with no deadline, an order that reads its
// own ack: it ends within a read slice, Unknown, and the late ack is counted
// as unmatched by whoever reads next.
func TestTCPOwnAckCancelled(t *testing.T) {
	key := hmac.NewFromSeed(42)
	release := make(chan struct{})
	rv := startRaw(t, func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
		for {
			id, err := rv.readOrder(fr)
			if err != nil {
				return
			}
			if id == "slow" {
				<-release
			}
			conn.Write(ackFrame(id, 5))
		}
	})
	c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Take the fast path: the connection is fresh, nothing is in flight.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Submit(ctx, signed(t, key, "slow", time.Now()), []byte("slow"))
		errc <- err
	}()
	time.Sleep(30 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if DeliveryOf(err) != Unknown || !errors.Is(err, ErrTimeout) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v; want a timeout, Unknown, for a cancelled context", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled order kept waiting")
	}
	close(release)
	for i, id := range []string{"next-1", "next-2"} {
		ack, err := c.Submit(context.Background(), signed(t, key, id, time.Now()), []byte(id))
		if err != nil || ack.VenueOrderID != 5 {
			t.Fatalf("order %d after the cancellation: %+v %v", i, ack, err)
		}
	}
	if c.Unmatched() != 1 {
		t.Fatalf("unmatched %d, want 1 (the late ack)", c.Unmatched())
	}
}

// TestTCPAckSplitAcrossSlices has a venue send each ack in pieces, slower
// than a read slice: the order reading its own ack loses no byte between
// slices, and neither does the watcher it passes the reading to.
func TestTCPAckSplitAcrossSlices(t *testing.T) {
	key := hmac.NewFromSeed(42)
	rv := startRaw(t, func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
		for {
			id, err := rv.readOrder(fr)
			if err != nil {
				return
			}
			f := ackFrame(id, 11)
			for _, part := range [][]byte{f[:2], f[2:7], f[7:]} {
				conn.Write(part)
				time.Sleep(2 * readSlice) // longer than a slice, which is up to 3/2 of readSlice
			}
		}
	})
	c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, id := range []string{"split-1", "split-2", "split-3"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ack, err := c.Submit(ctx, signed(t, key, id, time.Now()), []byte(id))
		cancel()
		if err != nil || ack.VenueOrderID != 11 {
			t.Fatalf("%s: %+v %v", id, ack, err)
		}
	}
	if c.Unmatched() != 0 || c.Reconnects() != 0 {
		t.Fatalf("unmatched %d, reconnects %d", c.Unmatched(), c.Reconnects())
	}
}

// stutterReader returns the bytes of r one at a time, with a deadline error
// before each.
type stutterReader struct {
	r    io.Reader
	fail bool
}

func (s *stutterReader) Read(p []byte) (int, error) {
	s.fail = !s.fail
	if s.fail {
		return 0, os.ErrDeadlineExceeded
	}
	return iotest.OneByteReader(s.r).Read(p)
}

// TestFrameBufferMatchesFrameReader checks that frameBuffer, read through
// interruptions, yields the frames and errors of FrameReader.
func TestFrameBufferMatchesFrameReader(t *testing.T) {
	key := hmac.NewFromSeed(42)
	env := signed(t, key, "c-1", time.Unix(1, 0))
	big := bytes.Repeat([]byte{7}, MaxEnvelope)
	var stream []byte
	stream = AppendFrame(stream, FrameOrder, env)
	stream = append(stream, ackFrame("c-1", 3)...)
	stream = AppendFrame(stream, FrameOrder, big)
	stream = append(stream, ackFrame("c-2", 4)...)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"clean end", stream, io.EOF},
		{"cut in a length", append(bytes.Clone(stream), 0, 0), ErrTruncatedFrame},
		{"cut in a body", stream[:len(stream)-3], ErrTruncatedFrame},
		{"zero length", append(bytes.Clone(stream), 0, 0, 0, 0, 1), ErrProtocol},
		{"over MaxFrame", append(bytes.Clone(stream), 0xff, 0, 0, 0), ErrProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fr := NewFrameReader(bytes.NewReader(tc.in))
			var fb frameBuffer
			sr := &stutterReader{r: bytes.NewReader(tc.in)}
			for i := 0; ; i++ {
				wt, wb, werr := fr.Next()
				gt, gb, gerr := fb.next(sr)
				for errors.Is(gerr, os.ErrDeadlineExceeded) {
					gt, gb, gerr = fb.next(sr)
				}
				if werr != nil || gerr != nil {
					if !errors.Is(werr, tc.want) || !errors.Is(gerr, tc.want) {
						t.Fatalf("frame %d: FrameReader %v, frameBuffer %v; want %v", i, werr, gerr, tc.want)
					}
					break
				}
				if wt != gt || !bytes.Equal(wb, gb) {
					t.Fatalf("frame %d differs: type %d (%d bytes) against %d (%d bytes)", i, gt, len(gb), wt, len(wb))
				}
			}
			if len(fb.buf) > 4+MaxFrame {
				t.Fatalf("buffer grew to %d", len(fb.buf))
			}
		})
	}
}

// FuzzFrameBuffer reads arbitrary bytes through frameBuffer, with a deadline
// error before every byte, and through FrameReader: the same frames, the same
// kind of error at the end, and no buffer over a frame's size.
func FuzzFrameBuffer(f *testing.F) {
	key := hmac.NewFromSeed(42)
	f.Add(AppendFrame(nil, FrameOrder, signed(f, key, "c-1", time.Unix(1, 0))))
	f.Add(append(ackFrame("c-1", 1), ackFrame("c-2", 2)...))
	f.Add([]byte{0, 0, 0, 1, 2, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := NewFrameReader(bytes.NewReader(in))
		var fb frameBuffer
		sr := &stutterReader{r: bytes.NewReader(in)}
		for {
			wt, wb, werr := fr.Next()
			gt, gb, gerr := fb.next(sr)
			for errors.Is(gerr, os.ErrDeadlineExceeded) {
				gt, gb, gerr = fb.next(sr)
			}
			if len(fb.buf) > 4+MaxFrame {
				t.Fatalf("buffer grew to %d", len(fb.buf))
			}
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("FrameReader %v, frameBuffer %v", werr, gerr)
			}
			if werr != nil {
				for _, kind := range []error{io.EOF, ErrTruncatedFrame, ErrProtocol} {
					if errors.Is(werr, kind) != errors.Is(gerr, kind) {
						t.Fatalf("FrameReader %v, frameBuffer %v", werr, gerr)
					}
				}
				return
			}
			if wt != gt || !bytes.Equal(wb, gb) {
				t.Fatalf("frames differ: type %d (%d bytes) against %d (%d bytes)", gt, len(gb), wt, len(wb))
			}
		}
	})
}

// TestTCPMixedLoad has goroutines send orders with and without deadlines to
// a venue that answers some of them late, so that readers time out while
// others wait on them and the reading passes between orders and the
// watcher: every order ends, the prompt ones accepted, the late ones time
// out on their own (NotSent when their deadline passed before their turn to
// write), the connection is never dropped, and the ack of every late order
// that was written is counted as unmatched once it comes.
func TestTCPMixedLoad(t *testing.T) {
	key := hmac.NewFromSeed(42)
	rv := startRaw(t, func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
		var wmu sync.Mutex
		for {
			id, err := rv.readOrder(fr)
			if err != nil {
				return
			}
			go func() {
				if strings.HasSuffix(id, "-late") {
					time.Sleep(30 * time.Millisecond)
				}
				wmu.Lock()
				conn.Write(ackFrame(id, 3))
				wmu.Unlock()
			}()
		}
	})
	c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var late atomic.Int64
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				id := fmt.Sprintf("m%d-%d", g, i)
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				switch i % 5 {
				case 1:
					id += "-late"
					ctx, cancel = context.WithTimeout(ctx, 5*time.Millisecond)
				case 2:
					ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
				case 3:
					ctx, cancel = context.WithCancel(ctx)
				}
				_, err := c.Submit(ctx, signed(t, key, id, time.Now()), []byte(id))
				cancel()
				switch {
				case strings.HasSuffix(id, "-late") && err != nil:
					// Written (Unknown) or not (NotSent), a late order
					// times out on its own.
					if !errors.Is(err, ErrTimeout) {
						t.Errorf("%s: %v; want a timeout", id, err)
					}
					if DeliveryOf(err) == Unknown {
						late.Add(1)
					}
				case strings.HasSuffix(id, "-late"):
					// On a loaded machine the ack can still win the race.
				case err != nil:
					t.Errorf("%s: %v", id, err)
				}
			}
		}()
	}
	wg.Wait()
	for c.Unmatched() < uint64(late.Load()) && c.Reconnects() == 0 {
		time.Sleep(time.Millisecond)
	}
	if c.Unmatched() != uint64(late.Load()) || c.Reconnects() != 0 {
		t.Fatalf("unmatched %d, want %d late acks; reconnects %d", c.Unmatched(), late.Load(), c.Reconnects())
	}
	if _, err := c.Submit(context.Background(), signed(t, key, "last", time.Now()), []byte("last")); err != nil {
		t.Fatalf("after the load: %v", err)
	}
}

// deadlineCountingConn counts the read deadlines set on a connection.
type deadlineCountingConn struct {
	net.Conn
	readDeadlines atomic.Int64
}

func (c *deadlineCountingConn) SetReadDeadline(t time.Time) error {
	c.readDeadlines.Add(1)
	return c.Conn.SetReadDeadline(t)
}

// TestTCPReadSliceIsLazy sends orders one at a time, each with a context
// that can end: an order reading its own ack sets the connection's read
// deadline (its read slice) only when less than readSlice is left, not once
// per order.
func TestTCPReadSliceIsLazy(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	c := dialServer(t, srv, TCPOptions{})
	c.mu.Lock()
	cc := &deadlineCountingConn{Conn: c.cur.conn}
	c.cur.conn = cc
	c.mu.Unlock()
	const n = 100
	for i := range n {
		id := fmt.Sprintf("lazy-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ack, err := c.Submit(ctx, signed(t, key, id, time.Now()), []byte(id))
		cancel()
		if err != nil || ack.Status != Accepted {
			t.Fatalf("%s: %+v %v", id, ack, err)
		}
	}
	// An order after a pause longer than idleGrace finds the watcher
	// reading, which clears the deadline, and sets it again: at most two per
	// such pause, rare next to the orders.
	if got := cc.readDeadlines.Load(); got >= n/2 {
		t.Fatalf("%d read deadlines set for %d orders, want fewer than %d", got, n, n/2)
	}
}
