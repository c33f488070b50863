// Package compositetest measures composite keys against their own
// components, so that every backend's benchmarks report the same paired
// comparison.
package compositetest

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/composite"
)

// maxThreadStart bounds how long BenchPaired waits for a second thread to
// start a goroutine.
const maxThreadStart = time.Millisecond

// BenchPaired measures, in one loop, the composite key's operation and each
// component's own operation on a message representative of the same size,
// so that they share the machine's conditions, and reports p50 and p99 of
// each in µs with the ratios the composite backend is judged by:
//
//   - sign: the composite against the slower component
//     ("ratio-p50-vs-slower"), against the two one after the other
//     ("ratio-p50-vs-sum"), and (composite − 10 µs) against the slower
//     component ("budget-p50", at most 1.15 where the components overlap).
//     It also reports "thread-start", the time a new goroutine waits for a
//     second thread while the first keeps computing: the components can
//     overlap only where it is short against the faster component.
//   - verify: the composite against the sum of the two verifications.
//
// k must be able to sign.
func BenchPaired(b *testing.B, k *composite.Key) {
	ctx := b.Context()
	pq, trad := k.Components()
	if pq == nil {
		b.Fatalf("composite key %s is verify-only", k.Info().ID)
	}
	msg := make([]byte, 64)
	mp, err := composite.MessageRepresentative(k.Info().Algorithm, msg) // what the components sign
	if err != nil {
		b.Fatal(err)
	}

	b.Run("sign", func(b *testing.B) {
		comp, p, c, wake := latency.New(b.N), latency.New(b.N), latency.New(b.N), latency.New(b.N)
		for b.Loop() {
			comp.RecordValue(latency.Time(b, func() error { _, err := k.Sign(ctx, msg); return err }))
			p.RecordValue(latency.Time(b, func() error { _, err := pq.Sign(ctx, mp); return err }))
			c.RecordValue(latency.Time(b, func() error { _, err := trad.Sign(ctx, mp); return err }))
			wake.RecordValue(threadStart())
		}
		report(b, "composite", comp)
		report(b, "mldsa", p)
		report(b, "classical", c)
		report(b, "thread-start", wake)
		for _, q := range quantiles {
			got, pv, cv := float64(comp.ValueAtQuantile(q.q)), float64(p.ValueAtQuantile(q.q)), float64(c.ValueAtQuantile(q.q))
			b.ReportMetric(got/max(pv, cv), "ratio-"+q.name+"-vs-slower")
			b.ReportMetric(got/(pv+cv), "ratio-"+q.name+"-vs-sum")
			b.ReportMetric((got-float64(10*time.Microsecond))/max(pv, cv), "budget-"+q.name)
		}
	})
	b.Run("verify", func(b *testing.B) {
		sig, pqSig, tradSig := sign(b, k, msg), sign(b, pq, mp), sign(b, trad, mp)
		comp, sum := latency.New(b.N), latency.New(b.N)
		for b.Loop() {
			comp.RecordValue(latency.Time(b, func() error { return k.Verify(ctx, msg, sig) }))
			sum.RecordValue(latency.Time(b, func() error { return verifyBoth(ctx, pq, trad, mp, pqSig, tradSig) }))
		}
		report(b, "composite", comp)
		report(b, "sum", sum)
		for _, q := range quantiles {
			b.ReportMetric(float64(comp.ValueAtQuantile(q.q))/float64(sum.ValueAtQuantile(q.q)), "ratio-"+q.name+"-vs-sum")
		}
	})
}

// quantiles are the percentiles BenchPaired reports.
var quantiles = []struct {
	q    float64
	name string
}{{50, "p50"}, {99, "p99"}}

func verifyBoth(ctx context.Context, pq, trad provider.Key, mp, pqSig, tradSig []byte) error {
	if err := pq.Verify(ctx, mp, pqSig); err != nil {
		return err
	}
	return trad.Verify(ctx, mp, tradSig)
}

// threadStart starts a goroutine and keeps this one busy until it runs (or
// maxThreadStart passes), returning how long it waited in nanoseconds.
func threadStart() int64 {
	var started atomic.Int64
	t0 := time.Now()
	go func() { started.Store(int64(time.Since(t0))) }()
	for started.Load() == 0 && time.Since(t0) < maxThreadStart {
	}
	for started.Load() == 0 {
		runtime.Gosched()
	}
	return started.Load()
}

// sign returns k's signature of msg.
func sign(b *testing.B, k provider.Key, msg []byte) []byte {
	sig, err := k.Sign(b.Context(), msg)
	if err != nil {
		b.Fatal(err)
	}
	return sig
}

func report(b *testing.B, name string, s *latency.Sample) {
	for _, q := range quantiles {
		b.ReportMetric(float64(s.ValueAtQuantile(q.q))/1e3, name+"-"+q.name+"-µs")
	}
}
