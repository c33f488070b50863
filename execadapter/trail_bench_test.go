package execadapter_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/internal/trailtest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// BenchmarkTrailPaired measures what forwarding the audit log's
// checkpoints to a trail costs SendOrder: two adapters on the demo's order
// mix, each with a Batch audit log of its own with the demo's checkpoint
// cadence (the audit package's defaults), one of them forwarding to a
// trail over HTTP (internal/trailtest, in this process, checking every
// consistency proof), send the same orders alternately, order by order, in
// one process, so that a machine busy with other work slows both alike;
// which of the two sends an order first alternates too. It
// reports both adapters' p50/p99/p99.9, their ratios, their orders/s (time
// in SendOrder only), the throughput ratio (with the trail over without;
// the goal is at least 0.98) and the checkpoints the trail accepted. The
// sub-benchmark "control" runs the same pair with no trail on either: its
// ratios are what the pairing itself gives on this machine.
//
//	go test -run '^$' -bench TrailPaired -benchtime 200000x -count 5 ./execadapter/
func BenchmarkTrailPaired(b *testing.B) {
	b.Run("trail", func(b *testing.B) { benchTrailPaired(b, true) })
	b.Run("control", func(b *testing.B) { benchTrailPaired(b, false) })
}

func benchTrailPaired(b *testing.B, forward bool) {
	ctx := context.Background()
	key, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		b.Fatal(err)
	}
	defer key.Close()
	tr := &trailtest.Trail{}
	srv := httptest.NewServer(tr)
	defer srv.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func(name string) *audit.Writer {
		log, _, err := audit.Open(filepath.Join(b.TempDir(), name), audit.Options{Signer: hmac.NewFromSeed(4242), Durability: audit.Batch,
			Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		return log
	}
	trailLog, plainLog := open("trail.log"), open("plain.log")
	defer plainLog.Close()
	var trails []audit.Trail
	if forward {
		trails = []audit.Trail{{URL: srv.URL}}
	}
	withTrail := pairedAdapter(b, key, trailLog, trails)
	without := pairedAdapter(b, key, plainLog, nil)
	mix := demo.NewMix(1, "t-")
	buf := make([]byte, 0, 256)
	st, sn := latency.New(b.N), latency.New(b.N)
	var tt, tn time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		buf = mix.Append(buf[:0], time.Now().UnixNano())
		// Which adapter goes first alternates: the second of a pair finds
		// the order's bytes and the code in cache.
		first, second := withTrail, without
		if i%2 == 1 {
			first, second = without, withTrail
		}
		t0 := time.Now()
		first.SendOrder(ctx, buf)
		t1 := time.Now()
		second.SendOrder(ctx, buf)
		t2 := time.Now()
		dt, dn := t1.Sub(t0), t2.Sub(t1)
		if i%2 == 1 {
			dt, dn = dn, dt
		}
		st.RecordValue(dt.Nanoseconds())
		sn.RecordValue(dn.Nanoseconds())
		tt += dt
		tn += dn
	}
	b.StopTimer()
	if err := trailLog.Close(); err != nil {
		b.Fatal(err)
	}
	latency.ReportCompare(b, "trail", st, "notrail", sn)
	b.ReportMetric(float64(b.N)/tt.Seconds(), "trail-orders/s")
	b.ReportMetric(float64(b.N)/tn.Seconds(), "notrail-orders/s")
	b.ReportMetric(tn.Seconds()/tt.Seconds(), "tput-ratio")
	b.ReportMetric(float64(trailLog.Stats().TrailAccepted), "trail-accepted")
	if s := trailLog.Stats(); forward && (s.TrailAccepted == 0 || s.TrailBehind != 0) {
		b.Fatalf("the trail did not keep up: %+v", s)
	}
}
