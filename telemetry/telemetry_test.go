package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tinywindow/tinywindow/conformance"
	"github.com/tinywindow/tinywindow/internal/ectest"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
	"github.com/tinywindow/tinywindow/telemetry"
)

func wrapped(t testing.TB, k provider.Key, opts telemetry.Options) provider.Key {
	t.Helper()
	w, err := telemetry.Wrap(k, opts)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestConformanceWrapped(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	opts := telemetry.Options{Metrics: telemetry.NewMetrics(), TracerProvider: tp}
	open := func(seed string) func(ctx context.Context) (provider.Key, error) {
		return func(ctx context.Context) (provider.Key, error) {
			k, err := provider.Open(ctx, "hmac:seed="+seed)
			if err != nil {
				return nil, err
			}
			return telemetry.Wrap(k, opts)
		}
	}
	conformance.Test(t, conformance.Subject{Open: open("42"), Other: open("43")})
}

// sums collects the counters and histogram counts of rm by instrument name
// and attribute set.
func sums(t *testing.T, rm metricdata.ResourceMetrics) map[string]map[attribute.Distinct]int64 {
	t.Helper()
	out := map[string]map[attribute.Distinct]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got := map[attribute.Distinct]int64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[p.Attributes.Equivalent()] = p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[p.Attributes.Equivalent()] = int64(p.Count)
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = got
		}
	}
	return out
}

func TestMetricsAndSpans(t *testing.T) {
	ctx := context.Background()
	m := telemetry.NewMetrics()
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(m))
	sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	k := wrapped(t, hmac.NewFromSeed(42), telemetry.Options{Metrics: m, TracerProvider: tp})
	// A second wrapper of the same key adds to the same series.
	k2 := wrapped(t, hmac.NewFromSeed(42), telemetry.Options{Metrics: m})
	if _, err := k2.Sign(ctx, []byte("x")); err != nil {
		t.Fatal(err)
	}
	info := k.Info()

	msg := []byte("secret order 12345")
	sig, err := k.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.SignAppend(ctx, k, nil, msg); err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(ctx, msg, sig); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(sig)
	bad[0] ^= 1
	if err := k.Verify(ctx, msg, bad); !errors.Is(err, provider.ErrInvalidSignature) {
		t.Fatalf("Verify of a bad tag: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := k.Sign(cctx, msg); err == nil {
		t.Fatal("Sign with a cancelled context succeeded")
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	set := func(op string, extra ...attribute.KeyValue) attribute.Distinct {
		kv := append([]attribute.KeyValue{
			telemetry.AttrBackend.String("hmac"),
			telemetry.AttrKeyID.String(info.ID),
			telemetry.AttrAlgorithm.String("HMAC-SHA256"),
			telemetry.AttrOperation.String(op),
		}, extra...)
		s := attribute.NewSet(kv...)
		return s.Equivalent()
	}
	got := sums(t, rm)
	for _, tc := range []struct {
		metric string
		attrs  attribute.Distinct
		want   int64
	}{
		{telemetry.OperationsName, set("sign"), 4},
		{telemetry.OperationsName, set("verify"), 2},
		{telemetry.DurationName, set("sign"), 4},
		{telemetry.DurationName, set("verify"), 2},
		{telemetry.ErrorsName, set("verify", telemetry.AttrErrorType.String("invalid_signature")), 1},
		{telemetry.ErrorsName, set("sign", telemetry.AttrErrorType.String("canceled")), 1},
	} {
		if g := got[tc.metric][tc.attrs]; g != tc.want {
			t.Errorf("%s%v = %d, want %d", tc.metric, tc.attrs, g, tc.want)
		}
	}

	spans := rec.Ended()
	if len(spans) != 5 {
		t.Fatalf("%d spans, want 5", len(spans))
	}
	secretish := []string{string(msg), string(sig), string(bad), "7848b5d711bc9883"}
	for _, s := range spans {
		if !strings.HasPrefix(s.Name(), "tinywindow.") {
			t.Errorf("span name %q", s.Name())
		}
		for _, a := range s.Attributes() {
			v := a.Value.String()
			for _, x := range secretish {
				if strings.Contains(v, x) || strings.Contains(x, v) && len(v) > 8 {
					t.Errorf("span %s attribute %s=%q carries a message, signature or key", s.Name(), a.Key, v)
				}
			}
		}
	}
	if st := spans[3].Status(); st.Description != "invalid_signature" {
		t.Errorf("span of the failed verify has status %+v", st)
	}
}

func TestWrapKeepsOptionalInterfaces(t *testing.T) {
	k := wrapped(t, hmac.NewFromSeed(1), telemetry.Options{})
	if _, ok := k.(provider.PublicKeyer); ok {
		t.Error("a wrapped MAC key claims a public key")
	}
	if _, ok := k.(provider.Determinism); !ok {
		t.Error("the wrapped HMAC key lost its determinism declaration")
	}
	if _, ok := k.(provider.AppendSigner); !ok {
		t.Error("the wrapped key has no SignAppend")
	}
	ec := ectest.New()
	w := wrapped(t, ec, telemetry.Options{})
	if _, ok := w.(provider.PublicKeyer); !ok {
		t.Error("a wrapped ECDSA key lost its public key")
	}
	if _, ok := w.(provider.Determinism); ok {
		t.Error("a wrapped key that declares nothing claims determinism")
	}
	if err := w.Close(); err != nil || !ec.Closed() {
		t.Errorf("Close did not close the wrapped key: %v", err)
	}
	if _, err := telemetry.Wrap(nil, telemetry.Options{}); !errors.Is(err, provider.ErrInvalidConfig) {
		t.Errorf("Wrap(nil): %v", err)
	}
}

func TestConformanceWrappedAsymmetric(t *testing.T) {
	m := telemetry.NewMetrics()
	open := func(ctx context.Context) (provider.Key, error) {
		return telemetry.Wrap(ectest.New(), telemetry.Options{Metrics: m})
	}
	conformance.Test(t, conformance.Subject{Open: func() func(context.Context) (provider.Key, error) {
		k := ectest.New()
		return func(context.Context) (provider.Key, error) {
			return telemetry.Wrap(k.Reopen(), telemetry.Options{Metrics: m})
		}
	}(), Other: open})
}

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{provider.ErrInvalidSignature, "invalid_signature"},
		{errors.Join(provider.ErrUnavailable, context.DeadlineExceeded), "deadline_exceeded"},
		{provider.ErrUnavailable, "unavailable"},
		{errors.New("x"), "other"},
		{provider.ErrClosed, "closed"},
	} {
		if got := telemetry.ErrorKind(tc.err); got != tc.want {
			t.Errorf("ErrorKind(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
