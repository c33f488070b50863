package venue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
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
	const limit, n = 8, 200
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
	c := dialServer(t, srv, TCPOptions{})
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
	tests := []struct {
		name  string
		send  func(order []byte) []byte
		order bool // send carries an order, which is owed its ack
	}{
		{"silent", func([]byte) []byte { return nil }, false},
		{"stops mid-frame", func(o []byte) []byte { return o[:20] }, false},
		{"an order, then silent", func(o []byte) []byte { return o }, true},
		{"an order, then stops mid-frame", func(o []byte) []byte { return append(o[:len(o):len(o)], o[:7]...) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec errRecorder
			srv := startServerOpts(t, keys, ServerOptions{IdleTimeout: 20 * time.Millisecond})
			srv.OnError = rec.record
			// On a loaded machine the idle timeout can pass before the order
			// arrives: then the venue must not have processed it, and the
			// connection is tried again.
			for attempt := 1; ; attempt++ {
				id := fmt.Sprintf("idle-%d", attempt)
				env := signed(t, key, id, time.Now())
				conn, err := net.Dial("tcp", srv.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := conn.Write(tt.send(AppendFrame(nil, FrameOrder, env))); err != nil {
					t.Fatal(err)
				}
				fr := NewFrameReader(conn)
				acks := 0
				for {
					// A close before the client's bytes were read resets
					// the connection.
					_, _, err := fr.Next()
					if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
						break
					}
					if err != nil {
						t.Fatalf("after %d acks: %v", acks, err)
					}
					acks++
				}
				conn.Close()
				if srv.IdleClosed() != uint64(attempt) {
					t.Fatalf("idle closed %d after %d idle connections", srv.IdleClosed(), attempt)
				}
				if !tt.order || acks == 1 {
					break
				}
				if acks != 0 {
					t.Fatalf("%d acks for one order", acks)
				}
				if ack, _ := srv.sim.Process(context.Background(), env); ack.Reason == ReasonDuplicate {
					t.Fatal("the venue processed the order and closed the connection without its ack")
				}
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
		c := dialServer(t, srv, TCPOptions{MinBackoff: time.Millisecond})
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
