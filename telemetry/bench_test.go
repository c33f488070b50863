package telemetry_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/telemetry"
)

// The wrapper's cost is the difference between BenchmarkSign/wrapped-metrics
// and BenchmarkSign/unwrapped, run together on the HMAC backend.
// BenchmarkSDKInstruments shows what the OpenTelemetry SDK's synchronous
// instruments would cost instead.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	m := telemetry.NewMetrics()
	// Collected as an exporter would, so the producer is in use.
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(m))
	sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer reader.Shutdown(ctx)
	tp := sdktrace.NewTracerProvider() // records spans, exports nowhere
	for _, tc := range []struct {
		name string
		opts *telemetry.Options
	}{
		{"unwrapped", nil},
		{"wrapped-nothing", &telemetry.Options{}},
		{"wrapped-metrics", &telemetry.Options{Metrics: m}},
		{"wrapped-metrics-spans", &telemetry.Options{Metrics: m, TracerProvider: tp}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var k provider.Key = hmac.NewFromSeed(42)
			if tc.opts != nil {
				k = wrapped(b, k, *tc.opts)
			}
			msg := make([]byte, 64)
			tag := make([]byte, 0, 32)
			var err error
			b.ReportAllocs()
			for b.Loop() {
				if tag, err = provider.SignAppend(ctx, k, tag[:0], msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSDKInstruments records one call the way a wrapper built on the
// SDK's synchronous instruments would (counter, histogram), with
// precomputed attribute sets: the baseline Metrics is measured against.
func BenchmarkSDKInstruments(b *testing.B) {
	ctx := context.Background()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	meter := mp.Meter("bench")
	ops, _ := meter.Int64Counter("ops")
	dur, _ := meter.Float64Histogram("duration")
	set := attribute.NewSet(attribute.String("tinywindow.backend", "hmac"), attribute.String("tinywindow.key.id", "hmac-0123456789abcdef"),
		attribute.String("tinywindow.algorithm", "HMAC-SHA256"), attribute.String("tinywindow.operation", "sign"))
	add := []metric.AddOption{metric.WithAttributeSet(set)}
	rec := []metric.RecordOption{metric.WithAttributeSet(set)}
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		ops.Add(ctx, 1, add...)
		dur.Record(ctx, time.Since(t0).Seconds(), rec...)
	}
}
