package venue

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func signed(t testing.TB, key provider.Signer, id string, ts time.Time) []byte {
	t.Helper()
	o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Sell, Type: order.Market,
		Quantity: 10, TimeInForce: order.IOC, Timestamp: ts.UnixNano()}
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	env, err := s.Seal(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(env)
}

func TestEnvelope(t *testing.T) {
	key := hmac.NewFromSeed(42)
	env := signed(t, key, "c-1", time.Now())
	var e Envelope
	if err := ParseEnvelope(env, &e); err != nil {
		t.Fatal(err)
	}
	if string(e.KeyID) != key.Info().ID || string(e.Algorithm) != "HMAC-SHA256" || len(e.Signature) != 32 {
		t.Fatalf("parsed %q %q %d", e.KeyID, e.Algorithm, len(e.Signature))
	}
	// The signature covers the domain, the key ID, the algorithm and the order.
	msg := append([]byte(OrderDomain), env[:len(env)-4-32]...)
	if err := key.Verify(context.Background(), msg, e.Signature); err != nil {
		t.Fatalf("signature is not over domain ‖ head: %v", err)
	}
	if err := key.Verify(context.Background(), e.Order, e.Signature); err == nil {
		t.Fatal("signature verifies over the bare order: no domain separation")
	}
	keys, _ := provider.NewKeyring(key)
	op := NewOpener(keys)
	if err := op.Verify(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= len(env); i++ {
		if i == len(env) {
			break
		}
		if err := ParseEnvelope(env[:i], &e); !errors.Is(err, ErrEnvelope) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
	if err := ParseEnvelope(append(bytes.Clone(env), 0), &e); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("trailing byte: %v", err)
	}
	bad := bytes.Clone(env)
	bad[0] = 2
	if err := ParseEnvelope(bad, &e); !errors.Is(err, ErrEnvelope) {
		t.Fatalf("version 2: %v", err)
	}
	// Every flipped byte is refused by the parser, the order decoder or the
	// signature check.
	for i := range env {
		bad := bytes.Clone(env)
		bad[i] ^= 0x20
		var v order.View
		err := ParseEnvelope(bad, &e)
		if err == nil {
			err = order.Parse(e.Order, &v)
		}
		if err == nil {
			err = op.Verify(context.Background(), &e)
		}
		if err == nil {
			t.Fatalf("flip at byte %d accepted", i)
		}
	}
}

func TestSimRotation(t *testing.T) {
	old, cur := hmac.NewFromSeed(1), hmac.NewFromSeed(2)
	keys, _ := provider.NewKeyring(cur, old)
	sim, _ := NewSim(SimOptions{Keys: keys})
	ctx := context.Background()
	now := time.Now()
	tests := []struct {
		name   string
		env    []byte
		status Status
		reason Reason
	}{
		{"current key", signed(t, cur, "a", now), Accepted, ReasonNone},
		{"old key still in keyring", signed(t, old, "b", now), Accepted, ReasonNone},
		{"unknown key", signed(t, hmac.NewFromSeed(3), "c", now), Rejected, ReasonUnknownKey},
		{"duplicate", signed(t, cur, "a", now), Rejected, ReasonDuplicate},
		{"stale", signed(t, cur, "d", now.Add(-time.Minute)), Rejected, ReasonStale},
		{"future", signed(t, cur, "e", now.Add(time.Minute)), Rejected, ReasonStale},
		{"garbage", []byte("garbage"), Rejected, ReasonMalformed},
	}
	var firstID uint64
	for _, tc := range tests {
		ack, err := sim.Submit(ctx, tc.env, nil)
		if err != nil || ack.Status != tc.status || ack.Reason != tc.reason {
			t.Fatalf("%s: %+v %v", tc.name, ack, err)
		}
		if tc.name == "current key" {
			firstID = ack.VenueOrderID
		}
		if tc.name == "duplicate" && ack.VenueOrderID != firstID {
			t.Fatalf("duplicate ack names venue order %d, want the first order's %d", ack.VenueOrderID, firstID)
		}
	}
	keys.Remove(old.Info().ID)
	if ack, _ := sim.Submit(ctx, signed(t, old, "f", now), nil); ack.Reason != ReasonUnknownKey {
		t.Fatalf("removed key still accepted: %+v", ack)
	}
}

func startServer(t testing.TB, keys *provider.Keyring) *Server {
	t.Helper()
	return startServerOpts(t, keys, ServerOptions{})
}

func startServerOpts(t testing.TB, keys *provider.Keyring, opts ServerOptions) *Server {
	t.Helper()
	sim, err := NewSim(SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(ln, sim, opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestTCPManyInFlight(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	c := dialServer(t, srv, TCPOptions{})
	var mu sync.Mutex
	ids := map[uint64]bool{}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				id := fmt.Sprintf("g%d-%d", g, i)
				ack, err := c.Submit(context.Background(), signed(t, key, id, time.Now()), []byte(id))
				if err != nil || ack.Status != Accepted {
					t.Errorf("%s: %+v %v", id, ack, err)
					return
				}
				mu.Lock()
				ids[ack.VenueOrderID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1600 {
		t.Fatalf("%d distinct venue order IDs, want 1600", len(ids))
	}
	if c.Unmatched() != 0 {
		t.Fatalf("%d unmatched acks", c.Unmatched())
	}
}

// dialServer returns a client of srv with opts, closed when tb ends.
func dialServer(tb testing.TB, srv *Server, opts TCPOptions) *TCP {
	tb.Helper()
	c, err := DialTCP(context.Background(), srv.Addr().String(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// rawVenue is a TCP peer whose behaviour each test scripts.
type rawVenue struct {
	ln     net.Listener
	mu     sync.Mutex
	orders map[string]int // frames received per client order ID
	conns  int
}

func startRaw(t *testing.T, handle func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue)) *rawVenue {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rv := &rawVenue{ln: ln, orders: map[string]int{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			rv.mu.Lock()
			rv.conns++
			n := rv.conns
			rv.mu.Unlock()
			go func() {
				defer conn.Close()
				handle(n, conn, NewFrameReader(conn), rv)
			}()
		}
	}()
	return rv
}

// readOrder reads one order frame and returns its client order ID.
func (rv *rawVenue) readOrder(fr *FrameReader) (string, error) {
	typ, body, err := fr.Next()
	if err != nil {
		return "", err
	}
	var e Envelope
	var v order.View
	if typ != FrameOrder || ParseEnvelope(body, &e) != nil || order.Parse(e.Order, &v) != nil {
		return "", errors.New("bad order frame")
	}
	rv.mu.Lock()
	rv.orders[string(v.ClientOrderID)]++
	rv.mu.Unlock()
	return string(v.ClientOrderID), nil
}

func ackFrame(id string, venueID uint64) []byte {
	return AppendAckFrame(nil, Ack{Status: Accepted, VenueOrderID: venueID, VenueTime: 1}, []byte(id))
}

func TestTCPBadVenues(t *testing.T) {
	key := hmac.NewFromSeed(42)
	tests := []struct {
		name   string
		handle func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue)
		want   error
	}{
		{"closes mid-frame", func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
			id, _ := rv.readOrder(fr)
			conn.Write(ackFrame(id, 7)[:9])
		}, ErrTruncatedFrame},
		{"answers garbage", func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
			rv.readOrder(fr)
			conn.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			time.Sleep(time.Second)
		}, ErrProtocol},
		{"answers an order frame", func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
			rv.readOrder(fr)
			conn.Write(AppendFrame(nil, FrameOrder, []byte{1}))
			time.Sleep(time.Second)
		}, ErrProtocol},
		{"accepted without venue ID", func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
			id, _ := rv.readOrder(fr)
			conn.Write(ackFrame(id, 0))
			time.Sleep(time.Second)
		}, ErrProtocol},
		{"closes without answering", func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
			rv.readOrder(fr)
		}, ErrUnreachable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rv := startRaw(t, tc.handle)
			c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{MaxBackoff: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = c.Submit(ctx, signed(t, key, "c-1", time.Now()), []byte("c-1"))
			var d *DeliveryError
			if !errors.As(err, &d) || d.Delivery != Unknown || !errors.Is(err, tc.want) || !errors.Is(err, ErrUnreachable) {
				t.Fatalf("got %v; want Unknown delivery with %v", err, tc.want)
			}
			// Never resent: the venue saw the order once, even after the
			// client reconnects.
			deadline := time.Now().Add(2 * time.Second)
			for c.Reconnects() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if c.Reconnects() == 0 {
				t.Fatal("no reconnection")
			}
			time.Sleep(20 * time.Millisecond)
			rv.mu.Lock()
			defer rv.mu.Unlock()
			if rv.orders["c-1"] != 1 {
				t.Fatalf("venue received the order %d times", rv.orders["c-1"])
			}
		})
	}
}

func TestTCPUnknownOrderID(t *testing.T) {
	key := hmac.NewFromSeed(42)
	rv := startRaw(t, func(n int, conn net.Conn, fr *FrameReader, rv *rawVenue) {
		for {
			id, err := rv.readOrder(fr)
			if err != nil {
				return
			}
			conn.Write(ackFrame("nobody", 1))
			conn.Write(ackFrame(id, 99))
		}
	})
	c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ack, err := c.Submit(context.Background(), signed(t, key, "c-1", time.Now()), []byte("c-1"))
	if err != nil || ack.VenueOrderID != 99 {
		t.Fatalf("got %+v %v", ack, err)
	}
	if c.Unmatched() != 1 {
		t.Fatalf("unmatched %d, want 1", c.Unmatched())
	}
}

func TestTCPTimeoutThenReconnect(t *testing.T) {
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
			if id == "drop" {
				return
			}
		}
	})
	c, err := DialTCP(context.Background(), rv.ln.Addr().String(), TCPOptions{MinBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err = c.Submit(ctx, signed(t, key, "slow", time.Now()), []byte("slow"))
	cancel()
	if DeliveryOf(err) != Unknown || !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v; want a timeout with Unknown delivery", err)
	}
	close(release)
	// The late ack arrives for an order no longer waited for.
	if _, err := c.Submit(context.Background(), signed(t, key, "next", time.Now()), []byte("next")); err != nil {
		t.Fatal(err)
	}
	if c.Unmatched() != 1 {
		t.Fatalf("unmatched %d, want 1", c.Unmatched())
	}
	if _, err := c.Submit(context.Background(), signed(t, key, "drop", time.Now()), []byte("drop")); err != nil {
		t.Fatal(err)
	}
	// The venue closed after that ack; the client notices and reconnects on
	// its own (an order written before it noticed would be Unknown).
	for deadline := time.Now().Add(5 * time.Second); c.Reconnects() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Submit(ctx, signed(t, key, "after", time.Now()), []byte("after")); err != nil {
		t.Fatalf("after reconnection: %v", err)
	}
	if c.Reconnects() != 1 {
		t.Fatalf("reconnects %d", c.Reconnects())
	}
}

func TestTCPUnreachable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if _, err := DialTCP(context.Background(), addr, TCPOptions{}); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v", err)
	}
	// A client whose venue went away waits for it as long as ctx allows,
	// then reports the order as not sent.
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	c := dialServer(t, srv, TCPOptions{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	srv.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		down := c.cur == nil
		c.mu.Unlock()
		if down {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Submit(ctx, signed(t, key, "x", time.Now()), []byte("x"))
	if DeliveryOf(err) != NotSent || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v; want unreachable, not sent", err)
	}
	c.Close()
	if _, err := c.Submit(context.Background(), nil, []byte("y")); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestParseAddr(t *testing.T) {
	for in, want := range map[string]string{"tcp://127.0.0.1:9000": "127.0.0.1:9000", "tcp://[::1]:1": "[::1]:1"} {
		if got, err := ParseAddr(in); err != nil || got != want {
			t.Errorf("ParseAddr(%q) = %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"127.0.0.1:9000", "udp://x:1", "tcp://nohost"} {
		if _, err := ParseAddr(bad); err == nil {
			t.Errorf("ParseAddr(%q) accepted", bad)
		}
	}
}

func TestFrameLengthBounded(t *testing.T) {
	var b bytes.Buffer
	for _, n := range []uint32{0, MaxFrame + 1, 1 << 31, ^uint32(0)} {
		b.Reset()
		binary.Write(&b, binary.BigEndian, n)
		b.WriteString("xxxx")
		fr := NewFrameReader(bytes.NewReader(b.Bytes()))
		if _, _, err := fr.Next(); !errors.Is(err, ErrProtocol) {
			t.Fatalf("length %d: %v", n, err)
		}
		if cap(fr.buf) > 4096 {
			t.Fatalf("length %d grew the buffer to %d", n, cap(fr.buf))
		}
	}
}

// FuzzFrames feeds arbitrary bytes to the frame reader and the ack and
// envelope parsers: no panic, no buffer over MaxFrame, every error typed.
func FuzzFrames(f *testing.F) {
	key := hmac.NewFromSeed(42)
	env := signed(f, key, "c-1", time.Unix(1, 0))
	f.Add(AppendFrame(nil, FrameOrder, env))
	f.Add(AppendAckFrame(nil, Ack{Status: Accepted, VenueOrderID: 1}, []byte("c-1")))
	as, _ := NewAckSigner(hmac.NewFromSeed(9))
	sa, err := as.AppendFrame(context.Background(), nil, Ack{Status: Accepted, VenueOrderID: 1}, []byte("c-1"), env)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sa)
	f.Add([]byte{0, 0, 0, 1, 2})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := NewFrameReader(bytes.NewReader(in))
		for {
			typ, body, err := fr.Next()
			if err != nil {
				if !errors.Is(err, ErrProtocol) && !errors.Is(err, ErrTruncatedFrame) && err.Error() != "EOF" {
					t.Fatalf("untyped error %v", err)
				}
				break
			}
			if cap(fr.buf) > MaxFrame {
				t.Fatalf("buffer grew to %d", cap(fr.buf))
			}
			switch typ {
			case FrameAck:
				if _, _, err := ParseAck(body); err != nil && !errors.Is(err, ErrProtocol) {
					t.Fatal(err)
				}
			case FrameSignedAck:
				if _, err := ParseSignedAck(body); err != nil && !errors.Is(err, ErrProtocol) {
					t.Fatal(err)
				}
			default:
				var e Envelope
				if err := ParseEnvelope(body, &e); err != nil && !errors.Is(err, ErrEnvelope) {
					t.Fatal(err)
				}
			}
		}
	})
}
