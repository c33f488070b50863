package service

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/provider"
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

// handshakeTimeout bounds a connection's TLS handshake.
const handshakeTimeout = 10 * time.Second

// streamWorkers is how many goroutines the gRPC server keeps to run calls.
// A call otherwise runs on a goroutine of its own, whose stack grows (and is
// copied) as the call goes down the interceptor, the handler and the key:
// workers keep their grown stacks from call to call. A call arriving while
// every worker is busy gets a goroutine of its own, as without workers.
const streamWorkers = 64

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
	// handshakes counts accepted TLS handshakes by group and schemes.
	handshakes metric.Int64Counter

	reloadMu sync.Mutex
	stopped  bool // set by Shutdown, under reloadMu
	state    atomic.Pointer[state]
	stopOnce sync.Once
	// retiring counts tracer providers of replaced states still flushing.
	retiring sync.WaitGroup

	// ckStates holds the checkpoint state file of every key of purpose
	// checkpoints, by path, from the first state that names it to
	// Shutdown: a reload keeps the file open and locked.
	ckMu     sync.Mutex
	ckStates map[string]*checkpointState

	// checkers holds the pre-trade checks of every key of purpose orders
	// with limits, by key name, from the first state that names them: a
	// reload gives them new limits and keeps what they counted. Read and
	// written by build and applyLimits, under reloadMu (or in New).
	checkers map[string]*risk.Checker

	// kills is the service's one kill switch (kill.go): every SignOrder
	// passes it, whatever the key. audit and auditKey are the audit log of
	// its events and the log's checkpoint key, or nil; both are fixed at
	// start.
	kills    *killswitch.Switch
	audit    *audit.Writer
	auditKey provider.Key
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
	if s.handshakes, err = m.Int64Counter("tinywindow.service.tls.handshakes",
		metric.WithDescription("Accepted mutual TLS handshakes by key-exchange group and by the signature schemes of the client's and the server's certificates."),
		metric.WithUnit("{handshake}")); err != nil {
		return nil, fmt.Errorf("%w: metrics: %w", provider.ErrInvalidConfig, err)
	}
	if err := s.registerKillMetrics(m); err != nil {
		return nil, fmt.Errorf("%w: metrics: %w", provider.ErrInvalidConfig, err)
	}
	if err := s.openAudit(ctx, cfg); err != nil {
		return nil, err
	}
	s.kills = s.newKillSwitch()
	st, err := s.build(ctx, cfg, nil)
	if err != nil {
		s.closeCheckpointStates()
		s.closeAudit()
		return nil, err
	}
	s.state.Store(st)
	s.applyLimits(st, "limits loaded")
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
			GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
				st := s.state.Load().tls
				if err := s.checkHello(st, hello); err != nil {
					return nil, err
				}
				return st.config, nil
			},
		})
	}
	gopts := []grpc.ServerOption{
		grpc.Creds(creds),
		grpc.MaxRecvMsgSize(int(s.maxRecv)),
		grpc.UnaryInterceptor(s.intercept),
		grpc.StreamInterceptor(s.interceptStream),
		grpc.ConnectionTimeout(handshakeTimeout),
		grpc.NumStreamWorkers(streamWorkers),
	}
	if n := cfg.Limits.MaxConcurrentStreams; n > 0 {
		gopts = append(gopts, grpc.MaxConcurrentStreams(n))
	}
	s.grpc = grpc.NewServer(gopts...)
	signerpb.RegisterSignerServer(s.grpc, s)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	s.health.SetServingStatus(signerpb.Signer_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	// Server reflection lets tools such as grpcurl list and call the API
	// without its proto files. Like health, it serves every caller the
	// mutual TLS handshake authenticated: the API is public, the keys are
	// not, and every Signer call is still authorised per key.
	reflection.Register(s.grpc)
	return s, nil
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
	attrs := []any{"addr", lis.Addr().String(), "mtls", !s.opts.InsecureLoopback}
	if st := s.state.Load().tls; st != nil {
		attrs = append(attrs, "server-signature", st.scheme, "require-post-quantum", st.requirePQ)
	}
	s.log.Info("serving", attrs...)
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
		s.closeCheckpointStates()
		if e := s.closeAudit(); e != nil && err == nil {
			err = fmt.Errorf("audit log: %w", e)
		}
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
