package batchtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
)

// Paired-run parameters of BenchPaired: the window and batch size of the
// performance targets, the orders of one round and the goroutines sending
// its batched half.
const (
	pairedWindow  = 50 * time.Microsecond
	pairedMax     = 256
	pairedRound   = 512
	pairedSenders = 256
)

// BenchPaired sends orders signed with key through SendOrder to an
// in-process venue that verifies with key, in rounds of 512: each round
// sends 512 orders signed one by one from one goroutine (as the demo does
// without a batch window) and 512 batch-signed ones (window 50µs, at most
// 256 per batch) from 256 goroutines, the two halves taking
// turns to go first, so that both meet the same load. It reports both
// sides' latency percentiles and their ratios (latency.ReportCompare:
// batch-p50-ns, per-order-p50-ns, p50-ratio, …), orders per second
// (per-order-orders/s, batch-orders/s), bytes on the wire per order
// (per-order-bytes/order, batch-bytes/order), orders per batch
// (orders/batch) and the mean time an order waited for its batch
// (batch-added-ns). It fails b if any order is not accepted.
func BenchPaired(b *testing.B, key provider.Key) {
	b.Helper()
	keys, err := provider.NewKeyring(key)
	if err != nil {
		b.Fatal(err)
	}
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	perOrder, err := execadapter.New(execadapter.Config{Signer: key, Venue: sim})
	if err != nil {
		b.Fatal(err)
	}
	batched, err := execadapter.New(execadapter.Config{Signer: key, Venue: sim, BatchWindow: pairedWindow, BatchMax: pairedMax})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, q := latency.New(0), latency.New(0)
	var pTime, qTime time.Duration
	var mu sync.Mutex // guards p, q and id
	prefix := fmt.Sprintf("bp-%x-", time.Now().UnixNano()&0xffffff)
	id := 0
	one := func(a *execadapter.Adapter, s *latency.Sample) {
		mu.Lock()
		id++
		o := newOrder(b, fmt.Sprint(prefix, id))
		mu.Unlock()
		t0 := time.Now()
		ack, err := a.SendOrder(ctx, o)
		d := time.Since(t0)
		if err == nil && ack.Status != venue.Accepted {
			err = fmt.Errorf("ack %v (%v)", ack.Status, ack.Reason)
		}
		if err != nil {
			b.Errorf("%s: %v", key.Info().Algorithm, err)
			return
		}
		mu.Lock()
		s.RecordValue(int64(d))
		mu.Unlock()
	}
	runPerOrder := func() {
		t0 := time.Now()
		for range pairedRound {
			one(perOrder, q)
		}
		qTime += time.Since(t0)
	}
	runBatched := func() {
		t0 := time.Now()
		var wg sync.WaitGroup
		for s := range pairedSenders {
			wg.Go(func() {
				for range pairedRound/pairedSenders + min(1, (pairedRound%pairedSenders)/(s+1)) {
					one(batched, p)
				}
			})
		}
		wg.Wait()
		pTime += time.Since(t0)
	}
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			runPerOrder()
			runBatched()
		} else {
			runBatched()
			runPerOrder()
		}
		if b.Failed() {
			b.FailNow()
		}
	}
	latency.ReportCompare(b, "batch", p, "per-order", q)
	b.ReportMetric(float64(q.Count())/qTime.Seconds(), "per-order-orders/s")
	b.ReportMetric(float64(p.Count())/pTime.Seconds(), "batch-orders/s")
	st := batched.BatchStats()
	if st.Leaves > 0 {
		b.ReportMetric(float64(st.Leaves)/float64(st.Batches), "orders/batch")
		b.ReportMetric(st.BytesPerOrder(), "batch-bytes/order")
		b.ReportMetric(float64(st.Wait)/float64(st.Leaves), "batch-added-ns")
	}
	s, err := venue.NewSealer(key)
	if err != nil {
		b.Fatal(err)
	}
	env, err := s.Seal(ctx, newOrder(b, "size"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(venue.FrameOverhead+len(env)), "per-order-bytes/order")
}
