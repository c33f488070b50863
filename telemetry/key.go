package telemetry

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
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

// Metric names.
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
	// Metrics aggregates the calls' measurements and hands them to
	// OpenTelemetry readers (see Metrics). Nil means no metrics.
	Metrics *Metrics
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

	tracer trace.Tracer

	sign, verify, signDigest op
}

// op holds what is precomputed for one operation.
type op struct {
	spanName string
	span     []trace.SpanStartOption
	stats    *opStats // nil without metrics
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
// closing the wrapper closes k. Wrapping the same key again (after a reload,
// say) adds to the same metrics.
func Wrap(k provider.Key, opts Options) (provider.Key, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: telemetry.Wrap: nil key", provider.ErrInvalidConfig)
	}
	w := &Key{inner: k, info: k.Info()}
	if opts.TracerProvider != nil {
		w.tracer = opts.TracerProvider.Tracer(ScopeName)
	}
	w.sign = w.newOp(opts.Metrics, "sign")
	w.verify = w.newOp(opts.Metrics, "verify")
	w.signDigest = w.newOp(opts.Metrics, "sign-digest")

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

func (w *Key) newOp(m *Metrics, name string) op {
	attrs := []attribute.KeyValue{
		AttrBackend.String(w.info.Backend),
		AttrKeyID.String(w.info.ID),
		AttrAlgorithm.String(string(w.info.Algorithm)),
		AttrOperation.String(name),
	}
	o := op{
		spanName: "tinywindow." + name,
		span:     []trace.SpanStartOption{trace.WithAttributes(attrs...), trace.WithSpanKind(trace.SpanKindInternal)},
	}
	if m != nil {
		o.stats = m.stats(attrs)
	}
	return o
}

// start begins recording a call: a span if tracing is on, and the start time.
func (w *Key) start(ctx context.Context, o *op) (context.Context, trace.Span, time.Time) {
	var span trace.Span
	if w.tracer != nil {
		ctx, span = w.tracer.Start(ctx, o.spanName, o.span...)
	}
	if o.stats == nil {
		return ctx, span, time.Time{} // nothing reads the time
	}
	return ctx, span, time.Now()
}

// end records the outcome of a call.
func (w *Key) end(o *op, span trace.Span, t0 time.Time, err error) {
	if o.stats != nil {
		o.stats.record(time.Since(t0), err)
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
	w.end(&w.sign, span, t0, err)
	return sig, err
}

// SignAppend signs with the wrapped key, without allocating where the
// wrapped key does not, and records the call.
func (w *Key) SignAppend(ctx context.Context, dst, msg []byte) ([]byte, error) {
	ctx, span, t0 := w.start(ctx, &w.sign)
	out, err := provider.SignAppend(ctx, w.inner, dst, msg)
	w.end(&w.sign, span, t0, err)
	return out, err
}

// Verify verifies with the wrapped key and records the call.
func (w *Key) Verify(ctx context.Context, msg, sig []byte) error {
	ctx, span, t0 := w.start(ctx, &w.verify)
	err := w.inner.Verify(ctx, msg, sig)
	w.end(&w.verify, span, t0, err)
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
	k.end(&k.signDigest, span, t0, err)
	return sig, err
}

type asymmetricDeterministicKey struct {
	asymmetricKey
	d provider.Determinism
}

func (k *asymmetricDeterministicKey) Deterministic() bool { return k.d.Deterministic() }
