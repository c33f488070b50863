package telemetry_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tinywindow/tinywindow/provider"
	_ "github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/telemetry"
)

// Wrap a key so that its calls are counted and timed.
func ExampleWrap() {
	ctx := context.Background()
	metrics := telemetry.NewMetrics()
	// Any reader or exporter takes Metrics as a producer; the Prometheus
	// exporter does with prometheus.WithProducer(metrics).
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(metrics))
	sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	k, err := provider.Open(ctx, "hmac:seed=42")
	if err != nil {
		panic(err)
	}
	k, err = telemetry.Wrap(k, telemetry.Options{Metrics: metrics})
	if err != nil {
		panic(err)
	}
	defer k.Close()
	for range 3 {
		if _, err := k.Sign(ctx, []byte("order")); err != nil {
			panic(err)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == telemetry.OperationsName {
			p := m.Data.(metricdata.Sum[int64]).DataPoints[0]
			op, _ := p.Attributes.Value(telemetry.AttrOperation)
			fmt.Println(m.Name, op.AsString(), p.Value)
		}
	}
	// Output: tinywindow.signer.operations sign 3
}
