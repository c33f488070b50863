package telemetry

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tinywindow/tinywindow/provider"
)

// Compile-time checks: every wrapper is a Key that can append; the
// asymmetric ones also offer the public key and a digest signer.
var (
	_ provider.Key            = (*Key)(nil)
	_ provider.AppendSigner   = (*Key)(nil)
	_ provider.Determinism    = (*deterministicKey)(nil)
	_ provider.PublicKeyer    = (*asymmetricKey)(nil)
	_ provider.PublicKeyPEMer = (*asymmetricKey)(nil)
	_ provider.DigestSigner   = (*asymmetricKey)(nil)
	_ provider.Determinism    = (*asymmetricDeterministicKey)(nil)
)

// ScopeName is the instrumentation scope of the meter and tracer.
const ScopeName = "github.com/tinywindow/tinywindow/telemetry"

// Instrument names.
const (
	OperationsName = "tinywindow.signer.operations"
	DurationName   = "tinywindow.signer.duration"
	ErrorsName     = "tinywindow.signer.errors"
)

// Attribute keys.
const (
	AttrBackend   = attribute.Key("tinywindow.backend")
	AttrKeyID     = attribute.Key("tinywindow.key.id")
	AttrAlgorithm = attribute.Key("tinywindow.algorithm")
	AttrOperation = attribute.Key("tinywindow.operation")
	AttrErrorType = attribute.Key("error.type")
)

// Options says where the wrapper records.
type Options struct {
	// MeterProvider receives the metrics. Nil means no metrics.
	MeterProvider metric.MeterProvider
	// TracerProvider receives a span per call. Nil means no spans: a span
	// costs an allocation or more per call even when nothing samples it.
	TracerProvider trace.TracerProvider
}

// Key is a provider.Key whose calls are recorded. Wrap returns a *Key, or a
// value embedding one that also offers the inner key's public key and
// determinism declaration, so that the wrapper offers exactly the optional
// interfaces the inner key does.
type Key struct {
	inner provider.Key
	info  provider.KeyInfo

	ops      metric.Int64Counter
	duration metric.Float64Histogram
	errs     metric.Int64Counter
	tracer   trace.Tracer

	sign, verify, signDigest op
}

// op holds what is precomputed for one operation.
type op struct {
	name     string
	spanName string
	add      []metric.AddOption
	record   []metric.RecordOption
	errAdd   [numKinds][]metric.AddOption
	span     []trace.SpanStartOption
}

// Error kinds, as recorded in error.type.
const (
	kindInvalidSignature = iota
	kindKeyNotFound
	kindUnsupported
	kindUnavailable
	kindPermissionDenied
	kindInvalidConfig
	kindClosed
	kindCanceled
	kindDeadline
	kindOther
	numKinds
)

var kindNames = [numKinds]string{
	"invalid_signature", "key_not_found", "unsupported", "unavailable",
	"permission_denied", "invalid_config", "closed", "canceled",
	"deadline_exceeded", "other",
}

// ErrorKind returns the error.type recorded for err: the name of its kind in
// the provider error taxonomy, or "canceled", "deadline_exceeded" or "other".
func ErrorKind(err error) string { return kindNames[kindOf(err)] }

func kindOf(err error) int {
	switch {
	case errors.Is(err, provider.ErrInvalidSignature):
		return kindInvalidSignature
	case errors.Is(err, provider.ErrKeyNotFound):
		return kindKeyNotFound
	case errors.Is(err, provider.ErrUnsupported):
		return kindUnsupported
	case errors.Is(err, provider.ErrPermissionDenied):
		return kindPermissionDenied
	case errors.Is(err, provider.ErrInvalidConfig):
		return kindInvalidConfig
	case errors.Is(err, provider.ErrClosed):
		return kindClosed
	case errors.Is(err, context.Canceled):
		return kindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return kindDeadline
	case errors.Is(err, provider.ErrUnavailable):
		return kindUnavailable
	}
	return kindOther
}

// Wrap returns k with its calls recorded as opts says. The wrapper owns k:
// closing the wrapper closes k.
func Wrap(k provider.Key, opts Options) (provider.Key, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: telemetry.Wrap: nil key", provider.ErrInvalidConfig)
	}
	w := &Key{inner: k, info: k.Info()}
	if opts.MeterProvider != nil {
		m := opts.MeterProvider.Meter(ScopeName)
		var err error
		if w.ops, err = m.Int64Counter(OperationsName,
			metric.WithDescription("Sign and verify calls, whatever their outcome."),
			metric.WithUnit("{operation}")); err != nil {
			return nil, fmt.Errorf("%w: telemetry: %w", provider.ErrInvalidConfig, err)
		}
		if w.duration, err = m.Float64Histogram(DurationName,
			metric.WithDescription("Time taken by sign and verify calls."),
			metric.WithUnit("s"),
			metric.WithExplicitBucketBoundaries(
				0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
				0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)); err != nil {
			return nil, fmt.Errorf("%w: telemetry: %w", provider.ErrInvalidConfig, err)
		}
		if w.errs, err = m.Int64Counter(ErrorsName,
			metric.WithDescription("Failed sign and verify calls, by error.type."),
			metric.WithUnit("{error}")); err != nil {
			return nil, fmt.Errorf("%w: telemetry: %w", provider.ErrInvalidConfig, err)
		}
	}
	if opts.TracerProvider != nil {
		w.tracer = opts.TracerProvider.Tracer(ScopeName)
	}
	w.sign = w.newOp("sign")
	w.verify = w.newOp("verify")
	w.signDigest = w.newOp("sign-digest")

	_, isPub := k.(provider.PublicKeyer)
	_, isPEM := k.(provider.PublicKeyPEMer)
	_, isDigest := k.(provider.DigestSigner)
	d, isDet := k.(provider.Determinism)
	asym := isPub && isPEM && isDigest
	switch {
	case asym && isDet:
		return &asymmetricDeterministicKey{asymmetricKey{w}, d}, nil
	case asym:
		return &asymmetricKey{w}, nil
	case isDet:
		return &deterministicKey{w, d}, nil
	}
	return w, nil
}

func (w *Key) newOp(name string) op {
	base := []attribute.KeyValue{
		AttrBackend.String(w.info.Backend),
		AttrKeyID.String(w.info.ID),
		AttrAlgorithm.String(string(w.info.Algorithm)),
		AttrOperation.String(name),
	}
	set := attribute.NewSet(base...)
	o := op{
		name:     name,
		spanName: "tinywindow." + name,
		add:      []metric.AddOption{metric.WithAttributeSet(set)},
		record:   []metric.RecordOption{metric.WithAttributeSet(set)},
		span:     []trace.SpanStartOption{trace.WithAttributes(base...), trace.WithSpanKind(trace.SpanKindInternal)},
	}
	for i := range numKinds {
		es := attribute.NewSet(append(base[:len(base):len(base)], AttrErrorType.String(kindNames[i]))...)
		o.errAdd[i] = []metric.AddOption{metric.WithAttributeSet(es)}
	}
	return o
}

// start begins recording a call: a span if tracing is on, and the start time.
func (w *Key) start(ctx context.Context, o *op) (context.Context, trace.Span, time.Time) {
	var span trace.Span
	if w.tracer != nil {
		ctx, span = w.tracer.Start(ctx, o.spanName, o.span...)
	}
	return ctx, span, time.Now()
}

// end records the outcome of a call.
func (w *Key) end(ctx context.Context, o *op, span trace.Span, t0 time.Time, err error) {
	if w.ops != nil {
		elapsed := time.Since(t0).Seconds()
		w.ops.Add(ctx, 1, o.add...)
		w.duration.Record(ctx, elapsed, o.record...)
		if err != nil {
			w.errs.Add(ctx, 1, o.errAdd[kindOf(err)]...)
		}
	}
	if span != nil {
		if err != nil {
			// The kind only: an error message may quote a backend's
			// response, and a span must not carry more than it needs.
			k := kindNames[kindOf(err)]
			span.SetAttributes(AttrErrorType.String(k))
			span.SetStatus(codes.Error, k)
		}
		span.End()
	}
}

// Unwrap returns the wrapped key.
func (w *Key) Unwrap() provider.Key { return w.inner }

// Info describes the wrapped key.
func (w *Key) Info() provider.KeyInfo { return w.info }

// Sign signs with the wrapped key and records the call.
func (w *Key) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	ctx, span, t0 := w.start(ctx, &w.sign)
	sig, err := w.inner.Sign(ctx, msg)
	w.end(ctx, &w.sign, span, t0, err)
	return sig, err
}

// SignAppend signs with the wrapped key, without allocating where the
// wrapped key does not, and records the call.
func (w *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	ctx, span, t0 := w.start(ctx, &w.sign)
	out, err := provider.SignAppend(ctx, w.inner, dst, msg)
	w.end(ctx, &w.sign, span, t0, err)
	return out, err
}

// Verify verifies with the wrapped key and records the call.
func (w *Key) Verify(ctx context.Context, msg, sig []byte) error {
	ctx, span, t0 := w.start(ctx, &w.verify)
	err := w.inner.Verify(ctx, msg, sig)
	w.end(ctx, &w.verify, span, t0, err)
	return err
}

// Close closes the wrapped key.
func (w *Key) Close() error { return w.inner.Close() }

type deterministicKey struct {
	*Key
	d provider.Determinism
}

func (k *deterministicKey) Deterministic() bool { return k.d.Deterministic() }

type asymmetricKey struct{ *Key }

func (k *asymmetricKey) Public() crypto.PublicKey {
	return k.inner.(provider.PublicKeyer).Public()
}

func (k *asymmetricKey) PublicKeyPEM() ([]byte, error) {
	return k.inner.(provider.PublicKeyPEMer).PublicKeyPEM()
}

func (k *asymmetricKey) SignDigest(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	ctx, span, t0 := k.start(ctx, &k.signDigest)
	sig, err := k.inner.(provider.DigestSigner).SignDigest(ctx, digest, opts)
	k.end(ctx, &k.signDigest, span, t0, err)
	return sig, err
}

type asymmetricDeterministicKey struct {
	asymmetricKey
	d provider.Determinism
}

func (k *asymmetricDeterministicKey) Deterministic() bool { return k.d.Deterministic() }
