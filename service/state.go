package service

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/telemetry"
)

// state is one generation of the configuration: its keys, clients and TLS
// settings. Calls hold a reference to the state they started with, so a
// reload swaps in a new state while calls in flight finish on the old one;
// the old keys are closed when its last call ends.
type state struct {
	cfg     *Config
	keys    map[string]*entry // by name
	byID    map[string]*entry
	clients []*clientPolicy
	tls     *serverTLS
	// tp receives the keys' spans: Options.TracerProvider, owned, or nil.
	tp trace.TracerProvider
	// owned is the tracer provider the server built from cfg.Tracing; a
	// reload with the same tracing section hands it on to the next state.
	owned *sdktrace.TracerProvider

	// tlsKeyGrace is how long the TLS key of tls.key-uri stays open after
	// the keys close (set when a reload replaces the state).
	tlsKeyGrace time.Duration

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
	// context is the context string the key binds into its signatures
	// (ML-DSA, SLH-DSA), if any.
	context []byte
	// purpose is what the key signs; the fields below serve one purpose
	// each: sealers (*venue.Sealer) for orders, ackSigners
	// (*venue.AckSigner) for acks, ck for checkpoints.
	purpose    Purpose
	maxSkew    time.Duration // of an orders key
	sealers    sync.Pool
	ackSigners sync.Pool
	ck         *checkpointState
	limits     *keyLimits // of an orders key with limits, else nil
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
		if st.tls, err = loadTLS(ctx, cfg); err != nil {
			return nil, err
		}
		st.tls.config.VerifyConnection = s.verifyClient(st.tls)
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
		e := &entry{name: name, info: k.Info(), purpose: cfg.Keys[name].purpose()}
		if e.key, err = telemetry.Wrap(k, telemetry.Options{Metrics: s.metrics.keys, TracerProvider: st.tp}); err != nil {
			k.Close()
			return nil, err
		}
		if err := s.preparePurpose(e, cfg.Keys[name]); err != nil {
			e.key.Close()
			return nil, fmt.Errorf("keys.%s: %w", name, err)
		}
		if d, ok := k.(provider.Determinism); ok {
			e.determ = signerpb.Determinism_DETERMINISM_RANDOMISED
			if d.Deterministic() {
				e.determ = signerpb.Determinism_DETERMINISM_DETERMINISTIC
			}
		}
		e.spki = publicDER(k)
		if c, ok := k.(interface{ SignatureContext() []byte }); ok {
			e.context = c.SignatureContext()
		}
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
		if st.tls != nil && st.tls.key != nil {
			if st.tlsKeyGrace > 0 {
				time.AfterFunc(st.tlsKeyGrace, func() { st.tls.key.Close() })
			} else {
				st.tls.key.Close()
			}
		}
		close(st.closed)
	})
}
