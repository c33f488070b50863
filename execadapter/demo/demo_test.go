package demo

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func TestRun(t *testing.T) {
	key := hmac.NewFromSeed(42)
	for _, d := range []audit.Durability{audit.Batch, audit.Always} {
		t.Run(d.String(), func(t *testing.T) {
			n := 20000
			if d == audit.Always {
				n = 300
			}
			path := filepath.Join(t.TempDir(), "audit.log")
			// The test counts outcomes, not latency: a generous per-order
			// deadline keeps a stall of the loaded machine (race detector,
			// other packages' tests) from failing an order.
			res, err := Run(context.Background(), Options{Orders: n, Key: key, AuditPath: path, Durability: d, Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if !res.AuditVerified || res.Failed != 0 || res.Accepted+res.Rejected != n {
				t.Fatalf("result %+v", res)
			}
			if d == audit.Batch {
				for _, rule := range []string{"symbol_deny", "price_collar", "max_quantity", "max_notional", "duplicate_client_order_id", "credit_limit"} {
					if res.RiskRejected[rule] == 0 {
						t.Errorf("the mix never triggered %s: %v", rule, res.RiskRejected)
					}
				}
				if res.Rejected > n/10 || res.Rejected < n/100 {
					t.Errorf("%d of %d rejected", res.Rejected, n)
				}
			}
			if res.P50 <= 0 || res.P99 < res.P50 || res.P999 < res.P99 {
				t.Fatalf("percentiles %d %d %d", res.P50, res.P99, res.P999)
			}
		})
	}
}

func TestRunTCP(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := venue.NewServer(ln, sim, venue.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	res, err := Run(context.Background(), Options{Orders: 2000, Key: key, Venue: "tcp://" + ln.Addr().String(), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AuditVerified || res.Failed != 0 || res.Accepted < 1800 {
		t.Fatalf("result %+v", res)
	}
}

func TestMixDoesNotAllocate(t *testing.T) {
	testenv.SkipAllocations(t)
	m := NewMix(1, "x-")
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(1000, func() { buf = m.Append(buf[:0], 1) }); n != 0 {
		t.Fatalf("Append allocates %v", n)
	}
}

// badVenue serves TCP and answers each order frame with answer (nothing, if
// answer returns nil), never closing the connection itself.
func badVenue(t *testing.T, answer func(body []byte) []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
			go func() {
				fr := venue.NewFrameReader(conn)
				for {
					_, body, err := fr.Next()
					if err != nil {
						return
					}
					if b := answer(body); b != nil {
						conn.Write(b)
					}
				}
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func TestRunVenueThatDoesNotAnswer(t *testing.T) {
	key := hmac.NewFromSeed(42)
	tests := []struct {
		name   string
		answer func([]byte) []byte
	}{
		{"silent", func([]byte) []byte { return nil }},
		{"acks for unknown orders", func([]byte) []byte {
			return venue.AppendAckFrame(nil, venue.Ack{Status: venue.Accepted, VenueOrderID: 1}, []byte("nobody"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Options{Orders: 1000, Key: key, Venue: badVenue(t, tc.answer), Timeout: 20 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed != StopAfter || res.Sent >= res.Orders || res.Stopped == "" || !res.AuditVerified {
				t.Fatalf("result %+v; want a run stopped after %d failures, with its audit log verified", res, StopAfter)
			}
			if !strings.Contains(res.FirstError, "timed out") {
				t.Fatalf("first error %q", res.FirstError)
			}
		})
	}
}

func TestOrderDeadline(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	o := newOrderDeadline(parent, 10*time.Millisecond)
	defer o.close()
	for i := range 3 { // each order gets a deadline of its own
		o.arm()
		if dl, ok := o.Deadline(); !ok || dl.IsZero() {
			t.Fatalf("order %d: no deadline", i)
		}
		<-o.Done()
		if !errors.Is(o.Err(), context.DeadlineExceeded) {
			t.Fatalf("order %d: %v", i, o.Err())
		}
		o.disarm()
	}
	o.arm()
	if o.Err() != nil {
		t.Fatalf("a fresh deadline starts expired: %v", o.Err())
	}
	o.disarm()
	t.Run("allocations", func(t *testing.T) {
		testenv.SkipAllocations(t)
		if n := testing.AllocsPerRun(100, func() { o.arm(); o.disarm() }); n != 0 {
			t.Fatalf("arm and disarm allocate %v", n)
		}
	})
	// The parent's end ends the order at once, and every later one.
	o.arm()
	cancel()
	<-o.Done()
	if !errors.Is(o.Err(), context.Canceled) {
		t.Fatalf("after the parent's end: %v", o.Err())
	}
	o.disarm()
	o.arm()
	if !errors.Is(o.Err(), context.Canceled) {
		t.Fatalf("an order after the parent's end: %v", o.Err())
	}
}

// countingKey counts the Verify calls made with it.
type countingKey struct {
	provider.Key
	verifies atomic.Int64
}

func (k *countingKey) Verify(ctx context.Context, msg, sig []byte) error {
	k.verifies.Add(1)
	return k.Key.Verify(ctx, msg, sig)
}

func TestRunVenueKeyAndBaseline(t *testing.T) {
	signer := &countingKey{Key: hmac.NewFromSeed(42)}
	venueKey := &countingKey{Key: hmac.NewFromSeed(42)}
	const n = 3000
	res, err := Run(context.Background(), Options{Orders: n, Key: signer, VenueKey: venueKey, Baseline: true, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AuditVerified || res.Failed != 0 {
		t.Fatalf("result %+v", res)
	}
	// The venue verified every order that passed the checks with its own
	// key, and the baseline verified every order with it too; the signer's
	// handle verified nothing (the audit log's checkpoints have a key of
	// their own).
	atVenue := int64(res.Accepted + sum(res.VenueRejected))
	if got := venueKey.verifies.Load(); got != atVenue+n {
		t.Fatalf("venue key verified %d times, want %d (venue) + %d (baseline)", got, atVenue, n)
	}
	if got := signer.verifies.Load(); got != 0 {
		t.Fatalf("the signer's handle verified %d times; want none", got)
	}
	if res.CheckpointKey == nil || res.CheckpointKey.Algorithm != provider.Ed25519 || !res.CheckpointKeyCreated || res.CheckpointKeyURI != "" {
		t.Fatalf("checkpoint key of a temporary log: %+v %v %q", res.CheckpointKey, res.CheckpointKeyCreated, res.CheckpointKeyURI)
	}
	b := res.Baseline
	if b == nil || b.P50 <= 0 || b.P99 < b.P50 || b.P999 < b.P99 || b.Max < b.P999 {
		t.Fatalf("baseline %+v", b)
	}
	if b.P99Ratio != float64(res.P99)/float64(b.P99) {
		t.Fatalf("p99 ratio %v of %d / %d", b.P99Ratio, res.P99, b.P99)
	}

	other := hmac.NewFromSeed(7)
	if _, err := Run(context.Background(), Options{Orders: 10, Key: signer, VenueKey: other}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Fatalf("a venue key with another key ID: %v", err)
	}
	if _, err := Run(context.Background(), Options{Orders: 10, Key: signer, VenueKey: venueKey, Venue: "tcp://127.0.0.1:1"}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Fatalf("a venue key with a TCP venue: %v", err)
	}
	res, err = Run(context.Background(), Options{Orders: 10, Key: signer})
	if err != nil || res.Baseline != nil {
		t.Fatalf("no baseline asked for: %+v %v", res.Baseline, err)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestRunTemporaryLogRemoved: a run with a temporary audit log signs its
// checkpoints with a key of their own and leaves nothing behind: the log,
// its side files and its checkpoint key are removed.
func TestRunTemporaryLogRemoved(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	res, err := Run(context.Background(), Options{Orders: 50, Key: hmac.NewFromSeed(42), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AuditVerified || res.CheckpointKey == nil || res.CheckpointKey.ID == res.Signer.ID {
		t.Fatalf("result %+v", res)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}
