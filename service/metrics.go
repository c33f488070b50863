package service

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/telemetry"
)

// metricsExporter is the service's OpenTelemetry MeterProvider (for the
// per-request metrics) and the keys' telemetry.Metrics, both read by a
// Prometheus registry of its own.
type metricsExporter struct {
	provider *sdkmetric.MeterProvider
	keys     *telemetry.Metrics
	handler  http.Handler
}

func newMetricsExporter() (*metricsExporter, error) {
	reg := prometheus.NewRegistry()
	keys := telemetry.NewMetrics()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithProducer(keys))
	if err != nil {
		return nil, fmt.Errorf("%w: prometheus exporter: %w", provider.ErrInvalidConfig, err)
	}
	return &metricsExporter{
		provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)),
		keys:     keys,
		handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}),
	}, nil
}
