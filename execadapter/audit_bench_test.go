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
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// BenchmarkAuditPaired measures the audit log's share of SendOrder's
// latency on the demo's order mix and in-process venue: two adapters, one
// with a Batch audit log and one without, send the same orders alternately,
// order by order, in one process, so that a machine busy with other work
// slows both alike. What differs is what the audit log costs the sending
// goroutine itself: encoding its records into the pending buffer, waiting
// for the writer's locks, and hashing and writing under back-pressure. The
// flusher's work on other threads slows both adapters' orders alike and
// is not in the ratios (tinywindow demo with and without --no-audit
// measures it). It reports both adapters' p50/p99/p99.9, their ratios, the
// throughput ratio (time in SendOrder only), the Appends that met
// back-pressure and the process's minor page faults, per order.
//
//	go test -run '^$' -bench AuditPaired -benchtime 200000x -count 5 ./execadapter/
func BenchmarkAuditPaired(b *testing.B) {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	defer key.Close()
	log, _, err := audit.Open(filepath.Join(b.TempDir(), "audit.log"), audit.Options{Signer: hmac.NewFromSeed(4242), Durability: audit.Batch})
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	withLog, without := pairedAdapter(b, key, log, nil), pairedAdapter(b, key, nil, nil)
	mix := demo.NewMix(1, "a-")
	buf := make([]byte, 0, 256)
	sa, sn := latency.New(b.N), latency.New(b.N)
	var ta, tn time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	f0, haveFaults := minorFaults()
	for range b.N {
		buf = mix.Append(buf[:0], time.Now().UnixNano())
		t0 := time.Now()
		withLog.SendOrder(ctx, buf)
		t1 := time.Now()
		without.SendOrder(ctx, buf)
		t2 := time.Now()
		sa.RecordValue(t1.Sub(t0).Nanoseconds())
		sn.RecordValue(t2.Sub(t1).Nanoseconds())
		ta += t1.Sub(t0)
		tn += t2.Sub(t1)
	}
	b.StopTimer()
	if f1, _ := minorFaults(); haveFaults {
		b.ReportMetric(float64(f1-f0)/float64(b.N), "page-faults/op")
	}
	latency.ReportCompare(b, "audit", sa, "noaudit", sn)
	b.ReportMetric(float64(b.N)/ta.Seconds(), "audit-orders/s")
	b.ReportMetric(float64(b.N)/tn.Seconds(), "noaudit-orders/s")
	b.ReportMetric(tn.Seconds()/ta.Seconds(), "tput-ratio")
	b.ReportMetric(float64(log.Stats().BackPressure)/float64(b.N), "backpressure/op")
}

// pairedAdapter returns an adapter with the demo's limits and a prefaulted
// in-process venue of its own, auditing to log (nil: no audit log) and
// forwarding its checkpoints to trails.
func pairedAdapter(b *testing.B, key provider.Key, log *audit.Writer, trails []audit.Trail) *execadapter.Adapter {
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	sim.Prefault()
	cfg, _ := risk.ParseConfig([]byte(demo.DefaultLimits))
	checker, _ := risk.New(cfg)
	checker.Prefault()
	c := execadapter.Config{Signer: key, Venue: sim, Risk: checker, Trails: trails}
	if log != nil {
		c.Audit = log
	}
	a, err := execadapter.New(c)
	if err != nil {
		b.Fatal(err)
	}
	return a
}
