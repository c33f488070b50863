package execadapter_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
)

// auditPhase is the number of orders each adapter of BenchmarkAuditPaired
// sends before the other takes over: about ten of the flusher's 2ms
// periods, so that a phase holds the flusher's steady state.
const auditPhase = 5000

// BenchmarkAuditPaired measures the audit log's share of SendOrder's
// latency on the demo's order mix and in-process venue: two adapters, one
// with a Batch audit log and one without, take turns of auditPhase orders
// in the same process, so that a machine busy with other work slows both
// alike. Between turns the log is synced outside the timing, so that
// neither turn inherits the other's work. It reports both adapters'
// p50/p99/p99.9, their ratios, the throughput ratio (time in SendOrder
// only) and the Appends that met back-pressure per order.
//
//	go test -run '^$' -bench AuditPaired -benchtime 200000x -count 5 ./execadapter/
func BenchmarkAuditPaired(b *testing.B) {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	defer key.Close()
	log, _, err := audit.Open(filepath.Join(b.TempDir(), "audit.log"), audit.Options{Signer: key, Durability: audit.Batch})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	withLog, without := pairedAdapter(b, key, log), pairedAdapter(b, key, nil)
	mixA, mixN := demo.NewMix(1, "a-"), demo.NewMix(1, "a-")
	bufA, bufN := make([]byte, 0, 256), make([]byte, 0, 256)
	sa, sn := latency.New(b.N), latency.New(b.N)
	var ta, tn time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += auditPhase {
		n := min(auditPhase, b.N-done)
		ta += pairedTurn(ctx, withLog, mixA, &bufA, sa, n)
		b.StopTimer()
		if err := log.Sync(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		tn += pairedTurn(ctx, without, mixN, &bufN, sn, n)
	}
	b.StopTimer()
	for _, m := range latency.Compare("audit", sa, "noaudit", sn) {
		b.ReportMetric(m.Value, m.Unit)
	}
	b.ReportMetric(float64(b.N)/ta.Seconds(), "audit-orders/s")
	b.ReportMetric(float64(b.N)/tn.Seconds(), "noaudit-orders/s")
	b.ReportMetric(tn.Seconds()/ta.Seconds(), "tput-ratio")
	b.ReportMetric(float64(log.Stats().BackPressure)/float64(b.N), "backpressure/op")
}

// pairedAdapter returns an adapter with the demo's limits and a prefaulted
// in-process venue of its own, auditing to log (nil: no audit log).
func pairedAdapter(b *testing.B, key provider.Key, log *audit.Writer) *execadapter.Adapter {
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	sim.Prefault()
	cfg, _ := risk.ParseConfig([]byte(demo.DefaultLimits))
	checker, _ := risk.New(cfg)
	checker.Prefault()
	c := execadapter.Config{Signer: key, Venue: sim, Risk: checker}
	if log != nil {
		c.Audit = log
	}
	a, err := execadapter.New(c)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// pairedTurn sends n orders of mix through a, recording each one's latency
// in s, and returns the time spent.
func pairedTurn(ctx context.Context, a *execadapter.Adapter, mix *demo.Mix, buf *[]byte, s *latency.Sample, n int) time.Duration {
	start := time.Now()
	t0 := start
	for range n {
		*buf = mix.Append((*buf)[:0], t0.UnixNano())
		t0 = time.Now()
		a.SendOrder(ctx, *buf)
		t1 := time.Now()
		s.RecordValue(t1.Sub(t0).Nanoseconds())
		t0 = t1
	}
	return time.Since(start)
}
