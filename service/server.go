package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/service/signerpb"
	"github.com/tinywindow/tinywindow/telemetry"
)

// Options are the settings of a Server that do not come from its Config.
type Options struct {
	// InsecureLoopback serves plaintext gRPC, without TLS, on a loopback
	// listener only; every caller then has the identity InsecureIdentity.
	// The config must then have no tls section.
	InsecureLoopback bool
	// Logger receives the service's log: start, reload, refused calls. It
	// never receives a message, a signature or a secret. Nil means
	// slog.Default().
	Logger *slog.Logger
	// TracerProvider, if not nil, receives a span for every sign and verify.
	// The config must then have no tracing section, which makes the server
	// build (and shut down) a tracer provider of its own.
	TracerProvider trace.TracerProvider
}

// Server is a running signing service.
type Server struct {
	signerpb.UnimplementedSignerServer

	opts    Options
	log     *slog.Logger
	grpc    *grpc.Server
	health  *health.Server
	metrics *metricsExporter
	maxRecv int64

	requests metric.Int64Counter
	reqAttrs sync.Map // requestKey -> []metric.AddOption
	denied   metric.Int64Counter

	reloadMu sync.Mutex
	stopped  bool // set by Shutdown, under reloadMu
	state    atomic.Pointer[state]
	stopOnce sync.Once
	// retiring counts tracer providers of replaced states still flushing.
	retiring sync.WaitGroup
}

// state is one generation of the configuration: its keys, clients and TLS
// settings. Calls hold a reference to the state they started with, so a
// reload swaps in a new state while calls in flight finish on the old one;
// the old keys are closed when its last call ends.
type state struct {
	cfg     *Config
	keys    map[string]*entry // by name
	byID    map[string]*entry
	clients []*clientPolicy
	tls     *tls.Config
	// tp receives the keys' spans: Options.TracerProvider, owned, or nil.
	tp trace.TracerProvider
	// owned is the tracer provider the server built from cfg.Tracing; a
	// reload with the same tracing section hands it on to the next state.
	owned *sdktrace.TracerProvider

	refs      atomic.Int64
	retired   atomic.Bool
	closeOnce sync.Once
	closed    chan struct{}
}

// entry is one key the service holds.
type entry struct {
	name   string
	key    provider.Key
	info   provider.KeyInfo
	spki   []byte
	determ signerpb.Determinism
}

// New opens the keys of cfg and returns a Server ready to Serve. On error,
// whatever it opened is closed again.
func New(ctx context.Context, cfg *Config, opts Options) (*Server, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: service.New: nil config", provider.ErrInvalidConfig)
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	tlsSet := cfg.TLS != TLSConfig{}
	switch {
	case opts.InsecureLoopback && tlsSet:
		return nil, fmt.Errorf("%w: --insecure-loopback serves plaintext, but the config has a tls section; drop one of them", provider.ErrInvalidConfig)
	case !opts.InsecureLoopback && !tlsSet:
		return nil, fmt.Errorf("%w: the config has no tls section: mutual TLS is required (tls: cert, key-source, client-ca); plaintext is allowed only on loopback with --insecure-loopback", provider.ErrInvalidConfig)
	case opts.TracerProvider != nil && cfg.Tracing != nil:
		return nil, errTwoTracers
	}
	s := &Server{opts: opts, log: opts.Logger, maxRecv: cfg.Limits.MaxMessageBytes + MaxSignatureBytes + 4096}
	if s.log == nil {
		s.log = slog.Default()
	}
	var err error
	if s.metrics, err = newMetricsExporter(); err != nil {
		return nil, err
	}
	m := s.metrics.provider.Meter("github.com/tinywindow/tinywindow/service")
	if s.requests, err = m.Int64Counter("tinywindow.service.requests",
		metric.WithDescription("gRPC calls by client identity, method and status code."),
		metric.WithUnit("{request}")); err != nil {
		return nil, fmt.Errorf("%w: metrics: %w", provider.ErrInvalidConfig, err)
	}
	if s.denied, err = m.Int64Counter("tinywindow.service.denied",
		metric.WithDescription("Calls refused for lack of authorisation, by client identity and method."),
		metric.WithUnit("{request}")); err != nil {
		return nil, fmt.Errorf("%w: metrics: %w", provider.ErrInvalidConfig, err)
	}
	st, err := s.build(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	s.state.Store(st)
	if st.owned != nil {
		s.log.Info("tracing", "otlp-endpoint", cfg.Tracing.OTLPEndpoint, "sample-ratio", *cfg.Tracing.SampleRatio)
	}

	var creds credentials.TransportCredentials
	if opts.InsecureLoopback {
		creds = insecure.NewCredentials()
	} else {
		creds = credentials.NewTLS(&tls.Config{
			MinVersion: tls.VersionTLS13,
			NextProtos: []string{"h2"},
			// Each handshake takes the TLS settings of the current state,
			// so a reload changes certificates and trusted CAs for new
			// connections.
			GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
				return s.state.Load().tls, nil
			},
		})
	}
	gopts := []grpc.ServerOption{
		grpc.Creds(creds),
		grpc.MaxRecvMsgSize(int(s.maxRecv)),
		grpc.UnaryInterceptor(s.intercept),
		grpc.ConnectionTimeout(10 * time.Second),
	}
	if n := cfg.Limits.MaxConcurrentStreams; n > 0 {
		gopts = append(gopts, grpc.MaxConcurrentStreams(n))
	}
	s.grpc = grpc.NewServer(gopts...)
	signerpb.RegisterSignerServer(s.grpc, s)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	s.health.SetServingStatus(signerpb.Signer_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	return s, nil
}

// build opens the keys of cfg and makes a state of it. prev, if not nil, is
// the state it replaces, whose rate limiters carry over.
func (s *Server) build(ctx context.Context, cfg *Config, prev *state) (_ *state, err error) {
	st := &state{cfg: cfg, keys: map[string]*entry{}, byID: map[string]*entry{}, closed: make(chan struct{})}
	var fresh *sdktrace.TracerProvider // built here, shut down again on error
	defer func() {
		if err != nil {
			st.closeKeys()
			if fresh != nil {
				fresh.Shutdown(context.Background())
			}
		}
	}()
	switch {
	case s.opts.TracerProvider != nil:
		st.tp = s.opts.TracerProvider
	case cfg.Tracing == nil:
	case prev != nil && prev.owned != nil && cfg.Tracing.equal(prev.cfg.Tracing):
		st.owned = prev.owned
	default:
		if fresh, err = newTracerProvider(ctx, cfg.Tracing); err != nil {
			return nil, err
		}
		st.owned = fresh
	}
	if st.owned != nil {
		st.tp = st.owned
	}
	if !s.opts.InsecureLoopback {
		var pool *x509.CertPool
		if st.tls, pool, err = loadTLS(cfg.TLS); err != nil {
			return nil, err
		}
		st.tls.VerifyConnection = s.verifyClient(pool)
	}
	for _, name := range sortedKeys(cfg.Keys) {
		u, err := cfg.keyURI(name)
		if err != nil {
			return nil, fmt.Errorf("keys.%s: %w", name, err)
		}
		k, err := provider.OpenURI(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("keys.%s: %w", name, err)
		}
		e := &entry{name: name, info: k.Info()}
		if e.key, err = telemetry.Wrap(k, telemetry.Options{Metrics: s.metrics.keys, TracerProvider: st.tp}); err != nil {
			k.Close()
			return nil, err
		}
		if d, ok := k.(provider.Determinism); ok {
			e.determ = signerpb.Determinism_DETERMINISM_RANDOMISED
			if d.Deterministic() {
				e.determ = signerpb.Determinism_DETERMINISM_DETERMINISTIC
			}
		}
		e.spki = publicDER(k)
		st.keys[name] = e
		if other, dup := st.byID[e.info.ID]; dup {
			return nil, fmt.Errorf("%w: keys.%s and keys.%s are the same key (ID %s)", provider.ErrInvalidConfig, other.name, name, e.info.ID)
		}
		st.byID[e.info.ID] = e
	}
	prevPolicies := map[string]*clientPolicy{}
	if prev != nil {
		for _, p := range prev.clients {
			prevPolicies[p.identity] = p
		}
	}
	for _, c := range cfg.Clients {
		st.clients = append(st.clients, newPolicy(c, prevPolicies[c.Identity]))
	}
	return st, nil
}

// publicDER returns the DER SubjectPublicKeyInfo of an asymmetric key, or
// nil.
func publicDER(k provider.Key) []byte {
	if p, ok := k.(provider.PublicKeyPEMer); ok {
		if data, err := p.PublicKeyPEM(); err == nil {
			if b, _ := pem.Decode(data); b != nil && b.Type == "PUBLIC KEY" {
				return b.Bytes
			}
		}
	}
	if p, ok := k.(provider.PublicKeyer); ok {
		if der, err := x509.MarshalPKIXPublicKey(p.Public()); err == nil {
			return der
		}
	}
	return nil
}

// acquire returns the current state with a reference held; release gives it
// back.
func (s *Server) acquire() *state {
	for {
		st := s.state.Load()
		st.refs.Add(1)
		if s.state.Load() == st {
			return st
		}
		st.release()
	}
}

func (st *state) release() {
	if st.refs.Add(-1) == 0 && st.retired.Load() {
		st.closeKeys()
	}
}

// retire marks st as replaced; its keys close when no call holds it.
func (st *state) retire() {
	st.retired.Store(true)
	if st.refs.Load() == 0 {
		st.closeKeys()
	}
}

func (st *state) closeKeys() {
	st.closeOnce.Do(func() {
		for _, e := range st.keys {
			e.key.Close()
		}
		close(st.closed)
	})
}

// Reload swaps in a new configuration: keys, clients, limits, TLS and
// tracing settings. Calls in flight finish with the keys they started with,
// which are closed once they are done. A changed tracing section gets a new
// tracer provider; the old one flushes its spans and stops once the calls
// that used it are done. An unchanged one is kept. If the new configuration cannot be loaded
// (a key fails to open, a certificate is missing) the old one stays and
// Reload says why. The listen address, the metrics address and the largest
// message size the transport accepts are fixed at start.
func (s *Server) Reload(ctx context.Context, cfg *Config) error {
	if cfg == nil {
		return fmt.Errorf("%w: Reload: nil config", provider.ErrInvalidConfig)
	}
	if err := cfg.Check(); err != nil {
		return err
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.stopped {
		return fmt.Errorf("%w: Reload after Shutdown", provider.ErrClosed)
	}
	old := s.state.Load()
	if cfg.Limits.MaxMessageBytes+MaxSignatureBytes+4096 > s.maxRecv {
		return fmt.Errorf("%w: limits.max-message-bytes %d is over the %d bytes the server started with; restart to raise it",
			provider.ErrInvalidConfig, cfg.Limits.MaxMessageBytes, s.maxRecv-MaxSignatureBytes-4096)
	}
	if (cfg.TLS != TLSConfig{}) == s.opts.InsecureLoopback {
		return fmt.Errorf("%w: a reload cannot switch between TLS and plaintext; restart", provider.ErrInvalidConfig)
	}
	if s.opts.TracerProvider != nil && cfg.Tracing != nil {
		return errTwoTracers
	}
	if cfg.Listen != old.cfg.Listen || cfg.Metrics.Listen != old.cfg.Metrics.Listen {
		s.log.Warn("reload: listen addresses are fixed at start; restart to change them")
	}
	st, err := s.build(ctx, cfg, old)
	if err != nil {
		return err
	}
	s.state.Store(st)
	old.retire()
	if old.owned != nil && old.owned != st.owned {
		s.retiring.Go(func() {
			<-old.closed
			shutdownTracer(context.Background(), old.owned, s.log)
		})
	}
	s.log.Info("configuration reloaded", "keys", len(st.keys), "clients", len(st.clients), "tracing", st.owned != nil)
	return nil
}

// Serve serves gRPC on lis until Shutdown. With Options.InsecureLoopback,
// lis must be a loopback TCP listener.
func (s *Server) Serve(lis net.Listener) error {
	if s.opts.InsecureLoopback {
		a, ok := lis.Addr().(*net.TCPAddr)
		if !ok || !a.IP.IsLoopback() {
			return fmt.Errorf("%w: --insecure-loopback serves plaintext only on a loopback address, not %s", provider.ErrInvalidConfig, lis.Addr())
		}
	}
	s.log.Info("serving", "addr", lis.Addr().String(), "mtls", !s.opts.InsecureLoopback)
	return s.grpc.Serve(lis)
}

// MetricsHandler serves the service's metrics in the Prometheus text format.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler }

// Shutdown stops taking calls, waits for calls in flight to finish (until
// ctx is done, when they are cut), and closes the keys.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.stopOnce.Do(func() {
		s.health.Shutdown()
		done := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			s.grpc.Stop()
			<-done
			err = fmt.Errorf("%w: shutdown cut calls in flight: %w", provider.ErrUnavailable, ctx.Err())
		}
		s.reloadMu.Lock() // no reload from here on
		s.stopped = true
		s.reloadMu.Unlock()
		st := s.state.Load()
		st.retire()
		<-st.closed
		s.retiring.Wait()
		if st.owned != nil {
			shutdownTracer(ctx, st.owned, s.log)
		}
		if e := s.metrics.provider.Shutdown(context.Background()); e != nil && err == nil {
			err = e
		}
		s.log.Info("stopped")
	})
	return err
}

// errTwoTracers refuses a tracing section when Options.TracerProvider is set.
var errTwoTracers = fmt.Errorf("%w: Options.TracerProvider is set and the config has a tracing section; use one of them", provider.ErrInvalidConfig)

// shutdownTracer flushes the spans tp holds to its exporter and stops it,
// within ctx or, when ctx is already done, within a few seconds.
func shutdownTracer(ctx context.Context, tp *sdktrace.TracerProvider, log *slog.Logger) {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
	}
	if err := tp.Shutdown(ctx); err != nil {
		log.Warn("tracing: flushing spans at shutdown", "err", err)
	}
}

// ctxKey keys the caller's identity in a call's context.
type ctxKey struct{}

// caller is what intercept learns about the caller.
type caller struct {
	ids      []string
	identity string // the matching configured identity
	known    bool   // whether identity is a configured client
}

// intercept runs around every call: it bounds the deadline and counts the
// call by client, method and status code.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	maxDeadline := s.state.Load().cfg.Limits.MaxDeadline
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > maxDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxDeadline)
		defer cancel()
	}
	c := &caller{}
	ctx = context.WithValue(ctx, ctxKey{}, c)
	resp, err := handler(ctx, req)
	who := c.identity
	if !c.known {
		who = "unknown"
	}
	s.requests.Add(ctx, 1, s.requestAttrs(who, info.FullMethod, status.Code(err))...)
	return resp, err
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

// begin authorises a call to op on the key named name and returns the state
// (with a reference the caller must release), the client's policy and the
// key. An unknown key is NOT_FOUND only for a client authorised for every
// key; for others it is PERMISSION_DENIED, so that a client learns nothing of
// keys it may not use.
func (s *Server) begin(ctx context.Context, method, op, name string) (*state, *clientPolicy, *entry, error) {
	ids, err := peerIdentities(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	c, _ := ctx.Value(ctxKey{}).(*caller)
	if c == nil {
		c = &caller{}
	}
	c.ids = ids
	if len(name) > MaxKeyNameBytes {
		return nil, nil, nil, status.Errorf(codes.InvalidArgument, "key name is %d bytes, over the limit of %d", len(name), MaxKeyNameBytes)
	}
	st := s.acquire()
	p := st.policyFor(ids)
	if p == nil {
		st.release()
		return nil, nil, nil, s.deny(ctx, ids, "", method, name, "certificate identity is not in clients")
	}
	c.identity, c.known = p.identity, true
	if p.limiter != nil && !p.limiter.allow() {
		st.release()
		return nil, nil, nil, status.Errorf(codes.ResourceExhausted, "client %s is over its rate of %g requests a second", p.identity, p.limiter.rate)
	}
	if name == "" && op == "" {
		return st, p, nil, nil
	}
	if name == "" {
		st.release()
		return nil, nil, nil, status.Error(codes.InvalidArgument, "no key named: set key to a key name or key ID")
	}
	e := st.keys[name]
	if e == nil {
		e = st.byID[name]
	}
	switch {
	case e == nil && p.allKeys:
		st.release()
		return nil, nil, nil, status.Errorf(codes.NotFound, "no key %q; ListKeys lists the keys", name)
	case e == nil || !p.mayUse(e.name):
		st.release()
		return nil, nil, nil, s.deny(ctx, ids, p.identity, method, name, "key not authorised for this client")
	case op != "" && !p.ops[op]:
		st.release()
		return nil, nil, nil, s.deny(ctx, ids, p.identity, method, name, "operation not authorised for this client")
	}
	return st, p, e, nil
}

// refuse logs and counts a refused TLS handshake. The names on a refused
// certificate are logged but not used as a metric attribute: anyone can put
// anything in a certificate of their own.
func (s *Server) refuse(ids []string, reason string) {
	s.log.Warn("client certificate refused", "identities", ids, "reason", reason)
	s.denied.Add(context.Background(), 1, metric.WithAttributes(attribute.String("client", "unknown"), attribute.String("rpc.method", "handshake")))
}

// deny logs and counts a refused call and returns its status. client is the
// configured identity of the caller, or empty when it is not a configured
// client (it is then counted as "unknown").
func (s *Server) deny(ctx context.Context, ids []string, client, method, key, reason string) error {
	who := client
	if who == "" {
		who = "unknown"
	}
	s.log.Warn("permission denied", "client", who, "identities", ids, "method", method, "key", key, "reason", reason)
	s.denied.Add(ctx, 1, metric.WithAttributes(attribute.String("client", who), attribute.String("rpc.method", method)))
	name := who
	if client == "" && len(ids) > 0 {
		name = ids[0]
	}
	return status.Errorf(codes.PermissionDenied, "client %s may not call %s on key %q: %s", name, method, key, reason)
}

func (st *state) checkMessage(msg []byte) error {
	if int64(len(msg)) > st.cfg.Limits.MaxMessageBytes {
		return status.Errorf(codes.InvalidArgument, "message is %d bytes, over the service's limit of %d (limits.max-message-bytes); sign a digest of it instead",
			len(msg), st.cfg.Limits.MaxMessageBytes)
	}
	return nil
}

// Sign implements signerpb.SignerServer.
func (s *Server) Sign(ctx context.Context, req *signerpb.SignRequest) (*signerpb.SignResponse, error) {
	st, _, e, err := s.begin(ctx, "Sign", OpSign, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	if err := st.checkMessage(req.GetMessage()); err != nil {
		return nil, err
	}
	sig, err := e.key.Sign(ctx, req.GetMessage())
	if err != nil {
		return nil, toStatus("sign", e.name, err)
	}
	return &signerpb.SignResponse{Signature: sig, KeyId: e.info.ID}, nil
}

// Verify implements signerpb.SignerServer.
func (s *Server) Verify(ctx context.Context, req *signerpb.VerifyRequest) (*signerpb.VerifyResponse, error) {
	st, _, e, err := s.begin(ctx, "Verify", OpVerify, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	if err := st.checkMessage(req.GetMessage()); err != nil {
		return nil, err
	}
	if len(req.GetSignature()) > MaxSignatureBytes {
		return nil, status.Errorf(codes.InvalidArgument, "signature is %d bytes, over the limit of %d", len(req.GetSignature()), MaxSignatureBytes)
	}
	err = e.key.Verify(ctx, req.GetMessage(), req.GetSignature())
	switch {
	case err == nil:
		return &signerpb.VerifyResponse{Valid: true}, nil
	case errors.Is(err, provider.ErrInvalidSignature):
		return &signerpb.VerifyResponse{Valid: false}, nil
	}
	return nil, toStatus("verify", e.name, err)
}

func (e *entry) proto(p *clientPolicy) *signerpb.KeyInfo {
	return &signerpb.KeyInfo{
		Name: e.name, Id: e.info.ID, Algorithm: string(e.info.Algorithm), Backend: e.info.Backend,
		Version: e.info.Version, Determinism: e.determ, Operations: p.operations(),
	}
}

// PublicKey implements signerpb.SignerServer. Any client authorised for a
// key may read its description and public key.
func (s *Server) PublicKey(ctx context.Context, req *signerpb.PublicKeyRequest) (*signerpb.PublicKeyResponse, error) {
	st, p, e, err := s.begin(ctx, "PublicKey", "", req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	if e == nil {
		return nil, status.Error(codes.InvalidArgument, "no key named: set key to a key name or key ID")
	}
	return &signerpb.PublicKeyResponse{Info: e.proto(p), Spki: e.spki, MaxMessageBytes: st.cfg.Limits.MaxMessageBytes}, nil
}

// ListKeys implements signerpb.SignerServer: the keys the caller may use.
func (s *Server) ListKeys(ctx context.Context, _ *signerpb.ListKeysRequest) (*signerpb.ListKeysResponse, error) {
	st, p, _, err := s.begin(ctx, "ListKeys", "", "")
	if err != nil {
		return nil, err
	}
	defer st.release()
	resp := &signerpb.ListKeysResponse{MaxMessageBytes: st.cfg.Limits.MaxMessageBytes}
	for _, name := range sortedKeys(st.keys) {
		if p.mayUse(name) {
			resp.Keys = append(resp.Keys, st.keys[name].proto(p))
		}
	}
	return resp, nil
}
