package execadapter

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/pqc"
)

// BenchmarkBatchPaired sends orders signed with ML-DSA-65 through SendOrder
// to the in-process venue, in rounds of 512: each round sends 512 orders
// signed one by one from one goroutine (as the demo does without a batch
// window) and 512 batch-signed ones (window 50µs, at most 256 per batch)
// from 256 goroutines, the two halves taking turns to go first, so that
// both meet the same load. It reports both sides' latency percentiles and
// their ratios (latency.Compare), orders per second, bytes on the wire per
// order, and orders per batch. Run it short:
//
//	go test -run '^$' -bench BatchPaired -benchtime 10x ./execadapter/
func BenchmarkBatchPaired(b *testing.B) {
	key, err := pqc.NewFromSeed(bytes.Repeat([]byte{7}, 32), pqc.Options{Algorithm: provider.MLDSA65})
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := provider.NewKeyring(key)
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	perOrder, err := New(Config{Signer: key, Venue: sim})
	if err != nil {
		b.Fatal(err)
	}
	batched, err := New(Config{Signer: key, Venue: sim, BatchWindow: 50 * time.Microsecond, BatchMax: 256})
	if err != nil {
		b.Fatal(err)
	}
	const round, senders = 512, 256
	ctx := context.Background()
	p, q := latency.New(0), latency.New(0)
	var pTime, qTime time.Duration
	var mu sync.Mutex
	id := 0
	next := func() []byte {
		mu.Lock()
		defer mu.Unlock()
		id++
		return canonicalOrder(b, fmt.Sprintf("b-%d", id))
	}
	one := func(a *Adapter, s *latency.Sample) {
		o := next()
		t0 := time.Now()
		_, err := a.SendOrder(ctx, o)
		d := time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		s.RecordValue(int64(d))
		mu.Unlock()
	}
	runPerOrder := func() {
		t0 := time.Now()
		for range round {
			one(perOrder, q)
		}
		qTime += time.Since(t0)
	}
	runBatched := func() {
		t0 := time.Now()
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				for range round/senders + min(1, (round%senders)/(s+1)) {
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
	}
	latency.ReportCompare(b, "batch", p, "per-order", q)
	b.ReportMetric(float64(q.Count())/qTime.Seconds(), "per-order-orders/s")
	b.ReportMetric(float64(p.Count())/pTime.Seconds(), "batch-orders/s")
	st := batched.BatchStats()
	if st.Leaves > 0 {
		b.ReportMetric(float64(st.Leaves)/float64(st.Batches), "orders/batch")
		b.ReportMetric(float64(st.EnvelopeBytes+5*st.Leaves+st.BatchBytes+5*st.Batches)/float64(st.Leaves), "batch-bytes/order")
		b.ReportMetric(float64(st.Wait)/float64(st.Leaves), "batch-added-ns")
	}
	s, _ := venue.NewSealer(key)
	env, err := s.Seal(ctx, canonicalOrder(b, "size"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(5+len(env)), "per-order-bytes/order")
}
