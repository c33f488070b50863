package demo

import (
	"context"
	"errors"
	"math"
	"net"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestRunBatched: a run with a batch window and many senders, in process
// and over TCP, sends every order batch-signed, with the mix's outcomes,
// an audit log that verifies, and the batch figures filled in (batches,
// orders per batch within BatchMax, added latency, bytes per order); a run
// without a window reports no batches.
func TestRunBatched(t *testing.T) {
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
	for _, tc := range []struct {
		name   string
		venue  string
		window time.Duration
	}{
		{"in process", "", 200 * time.Microsecond},
		{"over TCP", "tcp://" + ln.Addr().String(), 200 * time.Microsecond},
		{"per order, many senders", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n, senders, max = 4000, 32, 16
			opts := Options{Orders: n, Key: key, Venue: tc.venue, Timeout: time.Minute, Senders: senders, BatchWindow: tc.window}
			if tc.window > 0 {
				opts.BatchMax = max
			}
			res, err := Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !res.AuditVerified || res.Failed != 0 || res.Sent != n || res.Accepted+res.Rejected != n || res.Rejected > n/10 {
				t.Fatalf("result %+v", res)
			}
			if res.BytesPerOrder <= 0 || res.Senders != senders {
				t.Fatalf("%v bytes per order, %d senders", res.BytesPerOrder, res.Senders)
			}
			if tc.window == 0 {
				if res.Batches != 0 {
					t.Fatalf("%d batches without a window", res.Batches)
				}
				return
			}
			// Orders refused by the pre-trade checks are never signed.
			if res.Batches == 0 || res.LeavesPerBatch < 1 || res.LeavesPerBatch > max || res.AddedLatency <= 0 || res.BatchesPerSec <= 0 {
				t.Fatalf("batches %d, %.1f per batch, added latency %d", res.Batches, res.LeavesPerBatch, res.AddedLatency)
			}
			// LeavesPerBatch is a mean: the product is the count of leaves up to
			// floating-point rounding.
			if signed := math.Round(float64(res.Batches) * res.LeavesPerBatch); signed < float64(res.Accepted) {
				t.Fatalf("%.0f orders batch-signed; %d accepted", signed, res.Accepted)
			}
		})
	}
	if _, err := Run(context.Background(), Options{Orders: 10, Key: key, Senders: 2, Baseline: true}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Fatalf("Baseline with 2 senders: %v; want ErrInvalidConfig", err)
	}
}
