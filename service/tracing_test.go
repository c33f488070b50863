package service_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service"
	"github.com/tinywindow/tinywindow/service/servicetest"
)

func tracingSection(endpoint string, extra ...string) string {
	return "tracing:\n  otlp-endpoint: " + endpoint + "\n  insecure: true\n" + strings.Join(extra, "")
}

// TestTracingOTLP runs the service with tracing pointed at a collector on
// loopback: every sign and verify arrives as a span with the key's
// attributes, the spans still buffered are flushed by Shutdown, and no
// message, signature or key material leaves in any request.
func TestTracingOTLP(t *testing.T) {
	ctx := context.Background()
	col := servicetest.NewCollector(t)
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(0xa0 + i)
	}
	keyFile := filepath.Join(t.TempDir(), "orders.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(secret)), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "  orders: hmac:key-source=file:"+keyFile+"\n",
		tracingSection(col.Endpoint, "  service-name: tinywindow-test\n"))
	k := e.open(t, "orders")
	msg := []byte("order 7731: buy 100 XYZ at 17.25, confidential")
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(ctx, msg, sig); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(sig)
	bad[0] ^= 1
	if err := k.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
		t.Fatalf("verify of a bad signature: %v", err)
	}

	// The batch processor holds the spans; Shutdown must flush them before
	// it returns.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	spans := col.Spans()
	count := map[string]int{}
	for _, sp := range spans {
		count[sp.Name]++
		want := map[string]string{
			"tinywindow.backend":   "hmac",
			"tinywindow.key.id":    k.Info().ID,
			"tinywindow.algorithm": string(provider.HMACSHA256),
			"tinywindow.operation": strings.TrimPrefix(sp.Name, "tinywindow."),
		}
		for name, v := range want {
			if sp.Attrs[name] != v {
				t.Errorf("span %s: attribute %s = %q, want %q (all: %v)", sp.Name, name, sp.Attrs[name], v, sp.Attrs)
			}
		}
		if sp.Resource["service.name"] != "tinywindow-test" {
			t.Errorf("span %s: resource service.name = %q, want tinywindow-test", sp.Name, sp.Resource["service.name"])
		}
		if sp.Kind != tracepb.Span_SPAN_KIND_INTERNAL {
			t.Errorf("span %s: kind %v, want internal", sp.Name, sp.Kind)
		}
		failed := sp.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR
		if failed != (sp.Attrs["error.type"] != "") {
			t.Errorf("span %s: status %v but error.type %q", sp.Name, sp.Status, sp.Attrs["error.type"])
		}
		if failed && (sp.Name != "tinywindow.verify" || sp.Attrs["error.type"] != "invalid_signature") {
			t.Errorf("span %s failed with %q; only the bad verify should, with invalid_signature", sp.Name, sp.Attrs["error.type"])
		}
	}
	if count["tinywindow.sign"] != 1 || count["tinywindow.verify"] != 2 || len(spans) != 3 {
		t.Fatalf("spans after shutdown: %v, want 1 tinywindow.sign and 2 tinywindow.verify", count)
	}

	never := map[string][]byte{
		"message": msg, "signature": sig, "bad signature": bad,
		"signature (hex)":    []byte(hex.EncodeToString(sig)),
		"signature (base64)": []byte(base64.StdEncoding.EncodeToString(sig)),
		"key material":       secret,
		"key material (hex)": []byte(hex.EncodeToString(secret)),
	}
	reqs := col.Requests()
	if len(reqs) == 0 {
		t.Fatal("no export request recorded")
	}
	for _, raw := range reqs {
		for what, b := range never {
			if bytes.Contains(raw, b) {
				t.Errorf("an OTLP export request carries the %s", what)
			}
		}
	}
}

// TestTracingReload: an unchanged tracing section keeps the exporter, a
// changed one sends new spans to the new collector after the old one gets
// the spans it still held, and removing the section stops tracing.
func TestTracingReload(t *testing.T) {
	ctx := context.Background()
	a, b := servicetest.NewCollector(t), servicetest.NewCollector(t)
	keys := "  orders: hmac:seed=42\n"
	e := newEnv(t, keys, tracingSection(a.Endpoint))
	k := e.open(t, "orders")
	sign := func() {
		t.Helper()
		if _, err := k.Sign(ctx, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	reload := func(extra ...string) {
		t.Helper()
		if err := e.srv.Reload(ctx, e.config(t, keys, extra...)); err != nil {
			t.Fatal(err)
		}
	}
	sign()
	reload(tracingSection(a.Endpoint))
	sign()
	if got := a.Spans(); len(got) != 0 {
		t.Errorf("collector a got %d spans before its exporter flushed; an unchanged section should keep the batching exporter", len(got))
	}
	reload(tracingSection(b.Endpoint))
	if got := a.WaitSpans(2, 10*time.Second); len(got) != 2 {
		t.Fatalf("collector a has %d spans after the reload to b, want the 2 the old exporter held", len(got))
	}
	sign()
	reload() // tracing off
	sign()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.Spans(); len(got) != 1 {
		t.Errorf("collector b has %d spans, want 1 (signed while it was configured)", len(got))
	}
	if got := a.Spans(); len(got) != 2 {
		t.Errorf("collector a has %d spans at the end, want 2", len(got))
	}
	if err := e.srv.Reload(ctx, e.config(t, keys, tracingSection(a.Endpoint))); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("Reload after Shutdown: %v, want ErrClosed", err)
	}
}

// TestTracingTLS exports to a collector serving TLS with a certificate of
// the CA named by tracing.ca; a collector whose certificate that CA did not
// issue gets nothing.
func TestTracingTLS(t *testing.T) {
	ctx := context.Background()
	colCA := servicetest.NewCA(t, "collector CA")
	good := servicetest.NewTLSCollector(t, colCA.Server(t))
	other := servicetest.NewTLSCollector(t, servicetest.NewCA(t, "another CA").Server(t))
	for _, tc := range []struct {
		col  *servicetest.Collector
		want int
	}{{good, 1}, {other, 0}} {
		e := newEnv(t, "  orders: hmac:seed=42\n", "tracing: {otlp-endpoint: '"+tc.col.Endpoint+"', ca: "+colCA.CertFile+"}\n")
		if _, err := e.open(t, "orders").Sign(ctx, []byte("x")); err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		e.srv.Shutdown(sctx)
		cancel()
		if got := len(tc.col.Spans()); got != tc.want {
			t.Errorf("collector %s: %d spans, want %d", tc.col.Endpoint, got, tc.want)
		}
	}
}

func TestTracingConfig(t *testing.T) {
	base := "listen: 127.0.0.1:7443\nkeys:\n  orders: hmac:seed=1\nclients:\n  - identity: a\n    keys: [orders]\n    operations: [sign]\n"
	c, err := service.ParseConfig([]byte(base + "tracing: {otlp-endpoint: 'collector.example:4317'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tr := c.Tracing; tr.ServiceName != service.DefaultServiceName || *tr.SampleRatio != 1 || tr.Insecure {
		t.Errorf("tracing defaults not filled in: %+v", tr)
	}
	if c, err := service.ParseConfig([]byte(base)); err != nil || c.Tracing != nil {
		t.Errorf("no tracing section: %v, %+v", err, c.Tracing)
	}
	for _, tc := range []struct{ name, tracing, want string }{
		{"unknown field", "{endpoint: '127.0.0.1:4317'}", "field endpoint not found"},
		{"empty section", "{}", "tracing.otlp-endpoint is empty"},
		{"URL instead of host:port", "{otlp-endpoint: 'http://127.0.0.1:4317'}", "without a scheme"},
		{"no port", "{otlp-endpoint: '127.0.0.1'}", "not host:port"},
		{"port zero", "{otlp-endpoint: '127.0.0.1:0'}", "port from 1 to 65535"},
		{"port too large", "{otlp-endpoint: '127.0.0.1:70000'}", "port from 1 to 65535"},
		{"no host", "{otlp-endpoint: ':4317'}", "needs a host"},
		{"plaintext off loopback", "{otlp-endpoint: '10.0.0.5:4317', insecure: true}", "must be on loopback"},
		{"plaintext and CA", "{otlp-endpoint: '127.0.0.1:4317', insecure: true, ca: /etc/ca.pem}", "drop one of them"},
		{"ratio above 1", "{otlp-endpoint: '127.0.0.1:4317', sample-ratio: 1.5}", "not between 0 and 1"},
		{"negative ratio", "{otlp-endpoint: '127.0.0.1:4317', sample-ratio: -0.1}", "not between 0 and 1"},
		{"NaN ratio", "{otlp-endpoint: '127.0.0.1:4317', sample-ratio: .nan}", "not between 0 and 1"},
		{"ratio not a number", "{otlp-endpoint: '127.0.0.1:4317', sample-ratio: half}", "half"},
		{"insecure not a bool", "{otlp-endpoint: '127.0.0.1:4317', insecure: maybe}", "maybe"},
		{"control character in service name", "{otlp-endpoint: '127.0.0.1:4317', service-name: \"a\\nb\"}", "printable"},
		{"long service name", "{otlp-endpoint: '127.0.0.1:4317', service-name: " + strings.Repeat("s", 256) + "}", "at most 255"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := service.ParseConfig([]byte(base + "tracing: " + tc.tracing + "\n"))
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseConfig: %v, want ErrInvalidConfig saying %q", err, tc.want)
			}
		})
	}
}

func TestTracingNewBadInput(t *testing.T) {
	ctx := context.Background()
	ca := servicetest.NewCA(t, "test CA")
	plain := "listen: 127.0.0.1:0\nkeys:\n  orders: hmac:seed=1\nclients:\n  - identity: a\n    keys: [orders]\n    operations: [sign]\n"
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(ctx)
	for _, tc := range []struct {
		name, tracing string
		opts          service.Options
		want          string
	}{
		{"missing CA file", "{otlp-endpoint: 'collector.example:4317', ca: /nonexistent/ca.pem}", service.Options{}, "tracing.ca"},
		{"CA file without certificates", "{otlp-endpoint: 'collector.example:4317', ca: " + notPEM + "}", service.Options{}, "no PEM certificate"},
		{"tracer provider twice", "{otlp-endpoint: '127.0.0.1:4317', insecure: true}", service.Options{TracerProvider: tp}, "use one of them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := service.ParseConfig([]byte(plain + "tracing: " + tc.tracing + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			tc.opts.InsecureLoopback = true
			srv, err := service.New(ctx, cfg, tc.opts)
			if err == nil {
				srv.Shutdown(ctx)
			}
			if !errors.Is(err, provider.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want ErrInvalidConfig saying %q", err, tc.want)
			}
		})
	}
	// A CA file that holds certificates is accepted (the exporter connects
	// lazily, so no collector is needed to start).
	cfg, err := service.ParseConfig([]byte(plain + "tracing: {otlp-endpoint: 'collector.example:4317', ca: " + ca.CertFile + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := service.New(ctx, cfg, service.Options{InsecureLoopback: true})
	if err != nil {
		t.Fatalf("New with a tracing CA: %v", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	srv.Shutdown(sctx)
}

// BenchmarkSignTracing: remote Sign over loopback mTLS through a service
// without tracing and with tracing to a loopback OTLP collector.
func BenchmarkSignTracing(b *testing.B) {
	col := servicetest.NewCollector(b)
	for _, bc := range []struct{ name, tracing string }{
		{"off", ""},
		{"otlp", tracingSection(col.Endpoint)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, "  orders: hmac:seed=42\n", bc.tracing)
			k := e.open(b, "orders")
			ctx, msg := context.Background(), make([]byte, 64)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Sign(ctx, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
