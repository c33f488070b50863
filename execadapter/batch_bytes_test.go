package execadapter

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// wireCounter is a real simulated venue that counts the bytes a TCP venue
// connection would carry for the orders it is given: each order's frame,
// and each batch's frame once, before its first order.
type wireCounter struct {
	*venue.Sim
	mu    sync.Mutex
	seen  map[uint64]bool
	bytes int
}

func (w *wireCounter) SubmitInBatch(ctx context.Context, batchID uint64, batch, env, id []byte) (venue.Ack, error) {
	w.mu.Lock()
	if !w.seen[batchID] {
		w.seen[batchID] = true
		w.bytes += len(venue.AppendFrame(nil, venue.FrameBatch, batch))
	}
	w.bytes += len(venue.AppendFrame(nil, venue.FrameOrder, env))
	w.mu.Unlock()
	return w.Sim.SubmitInBatch(ctx, batchID, batch, env, id)
}

// TestBatchStatsBytesPerOrder: BatchStats.BytesPerOrder is the bytes of the
// frames of the orders sent and of their batches, over the orders; 0 before
// the first batch.
func TestBatchStatsBytesPerOrder(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	for _, tc := range []struct {
		name   string
		orders int
	}{
		{"no batch yet", 0},
		{"one full batch", 8},
		{"five batches", 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			w := &wireCounter{Sim: sim, seen: map[uint64]bool{}}
			a, err := New(Config{Signer: key, Venue: w, BatchWindow: time.Hour, BatchMax: 8})
			if err != nil {
				t.Fatal(err)
			}
			keepBatchesOpen(a)
			if err := sendAll(a, t, tc.name, tc.orders); err != nil {
				t.Fatal(err)
			}
			want := 0.0
			if tc.orders > 0 {
				want = float64(w.bytes) / float64(tc.orders)
			}
			st := a.BatchStats()
			if got := st.BytesPerOrder(); got != want || st.Batches != uint64(len(w.seen)) {
				t.Fatalf("BytesPerOrder = %v in %d batches; the frames sent were %v bytes per order in %d batches", got, st.Batches, want, len(w.seen))
			}
		})
	}
}
