package venue

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestServerConnectionCap opens many more connections than the server's cap
// that send nothing and read nothing, as half-open ones do: the server holds
// only as many as its cap, closes and counts the others, and once the held
// ones go a client is served again.
func TestServerConnectionCap(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	const limit, n = 8, 400
	srv := startServerOpts(t, keys, ServerOptions{MaxConns: limit, IdleTimeout: time.Hour})
	conns := make([]net.Conn, n)
	closed := make(chan int, n)
	for i := range conns {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
		go func() {
			c.Read(make([]byte, 1)) // returns when the server closes c (or the test does)
			closed <- i
		}()
	}
	held := map[int]bool{}
	for i := range conns {
		held[i] = true
	}
	for range n - limit {
		delete(held, <-closed)
	}
	for srv.Refused() != n-limit {
		time.Sleep(time.Millisecond)
	}
	if got := srv.Conns(); got != limit {
		t.Fatalf("the server holds %d connections, want its cap %d", got, limit)
	}
	for i := range held {
		conns[i].Close()
	}
	for srv.Conns() != 0 {
		time.Sleep(time.Millisecond)
	}
	c, err := DialTCP(context.Background(), srv.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ack, err := c.Submit(context.Background(), signed(t, key, "after", time.Now()), []byte("after")); err != nil || ack.Status != Accepted {
		t.Fatalf("once the held connections went: %+v %v", ack, err)
	}
	if srv.Refused() != n-limit || srv.IdleClosed() != 0 {
		t.Fatalf("refused %d, idle closed %d; want %d and 0", srv.Refused(), srv.IdleClosed(), n-limit)
	}
}

// TestServerIdleTimeout: a connection that sends nothing, or stops in the
// middle of a frame, is closed after the idle timeout and counted, after
// the acks it is owed; a venue client whose connection idles that long
// reconnects by itself and its next order is accepted.
func TestServerIdleTimeout(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	order := AppendFrame(nil, FrameOrder, signed(t, key, "idle-1", time.Now()))
	tests := []struct {
		name string
		send []byte
		acks int
	}{
		{"silent", nil, 0},
		{"stops mid-frame", order[:20], 0},
		{"an order, then silent", order, 1},
		{"an order, then stops mid-frame", append(order[:len(order):len(order)], order[:7]...), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec errRecorder
			srv := startServerOpts(t, keys, ServerOptions{IdleTimeout: 20 * time.Millisecond})
			srv.OnError = rec.record
			conn, err := net.Dial("tcp", srv.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write(tt.send); err != nil {
				t.Fatal(err)
			}
			fr := NewFrameReader(conn)
			acks := 0
			for {
				_, _, err := fr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("after %d acks: %v", acks, err)
				}
				acks++
			}
			if acks != tt.acks || srv.IdleClosed() != 1 {
				t.Fatalf("%d acks, idle closed %d; want %d and 1", acks, srv.IdleClosed(), tt.acks)
			}
			srv.Close()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.errs) != 0 {
				t.Fatalf("reported %v for an idle connection", rec.errs)
			}
		})
	}
	t.Run("venue client", func(t *testing.T) {
		srv := startServerOpts(t, keys, ServerOptions{IdleTimeout: 20 * time.Millisecond})
		c, err := DialTCP(context.Background(), srv.Addr().String(), TCPOptions{MinBackoff: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for c.Reconnects() == 0 {
			time.Sleep(time.Millisecond)
		}
		if srv.IdleClosed() == 0 {
			t.Fatal("the client reconnected, but the server closed no idle connection")
		}
		// The new connection idles out too, and an order can meet its
		// close: such an order fails (Unknown at worst) and is sent again
		// with its client order ID, which the venue deduplicates.
		env := signed(t, key, "idle-client", time.Now())
		for {
			ack, err := c.Submit(context.Background(), env, []byte("idle-client"))
			if err == nil && (ack.Status == Accepted || ack.Reason == ReasonDuplicate) {
				break
			}
			if err == nil || !errors.Is(err, ErrUnreachable) {
				t.Fatalf("after the idle close: %+v %v", ack, err)
			}
		}
	})
}
