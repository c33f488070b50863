package telemetry_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/telemetry"
)

// The wrapper's cost is the difference between BenchmarkSign/wrapped-metrics
// and BenchmarkSign/unwrapped, run together on the HMAC backend.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider() // records spans, exports nowhere
	for _, tc := range []struct {
		name string
		opts *telemetry.Options
	}{
		{"unwrapped", nil},
		{"wrapped-nothing", &telemetry.Options{}},
		{"wrapped-metrics", &telemetry.Options{MeterProvider: mp}},
		{"wrapped-metrics-spans", &telemetry.Options{MeterProvider: mp, TracerProvider: tp}},
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
