package service

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"google.golang.org/grpc/codes"

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

// requestKey names one attribute set of tinywindow.service.requests.
type requestKey struct {
	client, method string
	code           codes.Code
}

// requestAttrs returns the measurement options for a request, computing each
// attribute set once. Clients and methods are bounded by the config and the
// API; callers not in the config all count as "unknown".
func (s *Server) requestAttrs(client, method string, code codes.Code) []metric.AddOption {
	k := requestKey{client, method, code}
	if v, ok := s.reqAttrs.Load(k); ok {
		return v.([]metric.AddOption)
	}
	opts := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
		attribute.String("client", client),
		attribute.String("rpc.method", method),
		attribute.String("rpc.grpc.status_code", code.String())))}
	v, _ := s.reqAttrs.LoadOrStore(k, opts)
	return v.([]metric.AddOption)
}
