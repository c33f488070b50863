package servicetest

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"sync"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
)

// Collector is an OTLP/gRPC trace collector on loopback (plaintext) that
// records every span it receives. It stops when the test ends.
type Collector struct {
	coltracepb.UnimplementedTraceServiceServer

	// Endpoint is its address, host:port, for tracing.otlp-endpoint.
	Endpoint string

	mu       sync.Mutex
	spans    []Span
	requests [][]byte      // each export request, protobuf-encoded
	arrived  chan struct{} // closed and replaced on every request
}

// Span is one span a Collector received, with its resource's attributes.
type Span struct {
	Name     string
	Kind     tracepb.Span_SpanKind
	Attrs    map[string]string // span attributes, values as strings
	Resource map[string]string // resource attributes
	Scope    string            // instrumentation scope name
	Status   *tracepb.Status
	Raw      *tracepb.Span
}

// NewCollector starts a plaintext Collector on 127.0.0.1 with a free port.
func NewCollector(t TB) *Collector {
	t.Helper()
	return newCollector(t)
}

// NewTLSCollector starts a Collector on 127.0.0.1 with a free port that
// serves TLS with srv (such as CA.Server's certificate).
func NewTLSCollector(t TB, srv Cert) *Collector {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(srv.CertFile, srv.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return newCollector(t, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
}

func newCollector(t TB, opts ...grpc.ServerOption) *Collector {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Collector{Endpoint: lis.Addr().String(), arrived: make(chan struct{})}
	srv := grpc.NewServer(opts...)
	coltracepb.RegisterTraceServiceServer(srv, c)
	done := make(chan struct{})
	go func() {
		srv.Serve(lis)
		close(done)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return c
}

// Export records the spans of an export request.
func (c *Collector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		res := attrMap(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.spans = append(c.spans, Span{
					Name: sp.GetName(), Kind: sp.GetKind(), Attrs: attrMap(sp.GetAttributes()),
					Resource: res, Scope: ss.GetScope().GetName(), Status: sp.GetStatus(), Raw: sp,
				})
			}
		}
	}
	raw, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	c.requests = append(c.requests, raw)
	close(c.arrived)
	c.arrived = make(chan struct{})
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// Spans returns the spans received so far.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.spans)
}

// Requests returns every export request received so far, protobuf-encoded:
// a test can search them for bytes that must never leave the service.
func (c *Collector) Requests() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.requests)
}

// WaitSpans waits up to d for at least n spans and returns the spans
// received by then.
func (c *Collector) WaitSpans(n int, d time.Duration) []Span {
	timeout := time.After(d)
	for {
		c.mu.Lock()
		got, arrived := len(c.spans), c.arrived
		c.mu.Unlock()
		if got >= n {
			return c.Spans()
		}
		select {
		case <-arrived:
		case <-timeout:
			return c.Spans()
		}
	}
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = anyString(kv.GetValue())
	}
	return m
}

func anyString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BytesValue:
		return string(x.BytesValue)
	default:
		return v.String()
	}
}
