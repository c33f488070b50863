package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"unicode"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/credentials"

	"github.com/tinywindow/tinywindow/provider"
)

// DefaultServiceName is the service.name of the service's spans when the
// tracing section names none.
const DefaultServiceName = "tinywindow"

// TracingConfig makes the service export a span per sign and verify over
// OTLP/gRPC to a collector:
//
//	tracing:
//	  otlp-endpoint: 127.0.0.1:4317   collector's OTLP gRPC address (host:port)
//	  insecure: true                  plaintext; only to a loopback endpoint
//	  ca: /etc/tinywindow/otel-ca.pem CAs for the collector's certificate (default: system roots)
//	  sample-ratio: 1                 share of traces kept, 0 to 1 (default 1)
//	  service-name: tinywindow        the spans' service.name (default tinywindow)
//
// Spans leave through a batch processor; Shutdown flushes them.
type TracingConfig struct {
	OTLPEndpoint string   `yaml:"otlp-endpoint"`
	Insecure     bool     `yaml:"insecure"`
	CA           string   `yaml:"ca"`
	SampleRatio  *float64 `yaml:"sample-ratio"`
	ServiceName  string   `yaml:"service-name"`
}

// check checks the tracing section and fills in its defaults.
func (t *TracingConfig) check() error {
	if t.OTLPEndpoint == "" {
		return configErr("tracing.otlp-endpoint is empty; set it to the collector's OTLP gRPC address, such as 127.0.0.1:4317, or drop the tracing section")
	}
	if strings.Contains(t.OTLPEndpoint, "://") {
		return configErr("tracing.otlp-endpoint %q: give host:port, such as 127.0.0.1:4317, without a scheme (use insecure: true for plaintext)", t.OTLPEndpoint)
	}
	host, port, err := net.SplitHostPort(t.OTLPEndpoint)
	if err != nil {
		return configErr("tracing.otlp-endpoint %q is not host:port, such as 127.0.0.1:4317: %v", t.OTLPEndpoint, err)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 || host == "" {
		return configErr("tracing.otlp-endpoint %q: needs a host and a port from 1 to 65535, such as 127.0.0.1:4317", t.OTLPEndpoint)
	}
	if t.Insecure {
		if t.CA != "" {
			return configErr("tracing: insecure (plaintext) and ca (TLS) are both set; drop one of them")
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return configErr("tracing.insecure sends spans in plaintext, so otlp-endpoint must be on loopback (127.0.0.1, ::1 or localhost), not %q; use TLS (ca) for a remote collector", t.OTLPEndpoint)
		}
	}
	if t.SampleRatio == nil {
		one := 1.0
		t.SampleRatio = &one
	}
	if r := *t.SampleRatio; math.IsNaN(r) || r < 0 || r > 1 {
		return configErr("tracing.sample-ratio %v is not between 0 and 1 (1 keeps every trace)", r)
	}
	if t.ServiceName == "" {
		t.ServiceName = DefaultServiceName
	}
	if len(t.ServiceName) > 255 || strings.IndexFunc(t.ServiceName, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return configErr("tracing.service-name %q: use at most 255 printable characters", t.ServiceName)
	}
	return nil
}

// equal says whether two tracing sections (checked) ask for the same
// exporter.
func (t *TracingConfig) equal(u *TracingConfig) bool {
	if t == nil || u == nil {
		return t == u
	}
	return t.OTLPEndpoint == u.OTLPEndpoint && t.Insecure == u.Insecure && t.CA == u.CA &&
		*t.SampleRatio == *u.SampleRatio && t.ServiceName == u.ServiceName
}

// newTracerProvider builds an SDK tracer provider that batches spans to the
// OTLP collector of t. It does not connect: an unreachable collector costs
// dropped spans and a log line from the exporter, never a failed call.
func newTracerProvider(ctx context.Context, t *TracingConfig) (*sdktrace.TracerProvider, error) {
	opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(t.OTLPEndpoint)}
	switch {
	case t.Insecure:
		opts = append(opts, otlptracegrpc.WithInsecure())
	default:
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if t.CA != "" {
			pem, err := readPEMFile("tracing.ca", t.CA)
			if err != nil {
				return nil, err
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%w: tracing.ca %q holds no PEM certificate", provider.ErrInvalidConfig, t.CA)
			}
		}
		opts = append(opts, otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tc)))
	}
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: tracing: OTLP exporter: %w", provider.ErrInvalidConfig, err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", t.ServiceName)))
	if err != nil {
		exp.Shutdown(ctx)
		return nil, fmt.Errorf("%w: tracing: resource: %w", provider.ErrInvalidConfig, err)
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(*t.SampleRatio))),
	), nil
}
