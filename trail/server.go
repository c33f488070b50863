package trail

import (
	"context"
	"fmt"
	"time"

	"github.com/transparency-dev/tessera"
	"golang.org/x/mod/sumdb/note"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
)

// LogKey registers one adapter log with the trail: its origin (the first
// line of its checkpoints) and the keys that sign them, any of which the
// trail accepts.
type LogKey struct {
	Origin string
	Keys   []provider.Verifier
}

// Config configures a trail [Server].
type Config struct {
	// Storage holds the log and the origin state. Required. The Server
	// does not close it.
	Storage *Storage
	// Signer signs the trail's own checkpoints: an Ed25519 key of any
	// backend, as a standard C2SP signed-note key named Origin. Required.
	Signer provider.Signer
	// Origin names the trail in its checkpoints. Required.
	Origin string
	// Logs are the adapter logs whose checkpoints the trail accepts.
	// Required: at least one.
	Logs []LogKey
	// BatchMaxSize and BatchMaxAge bound a batch of entries Tessera
	// sequences at once (default 4096 entries, 10ms).
	BatchMaxSize uint
	BatchMaxAge  time.Duration
	// CheckpointInterval is the longest time between two published trail
	// checkpoints (default 1s; at least Storage.MinCheckpointInterval).
	CheckpointInterval time.Duration
	// Witnesses, if any, must every one cosign a trail checkpoint before
	// it is published; WitnessTimeout bounds the wait for them (default
	// Tessera's). While one does not answer, no new trail checkpoint is
	// published; checkpoints are still accepted and given their index.
	Witnesses      []Witness
	WitnessTimeout time.Duration
}

// Server is a trail: it accepts the adapters' checkpoints into a Tessera
// log and serves that log (see [Server.Handler]).
type Server struct {
	origin   string
	logs     map[string]note.Verifiers
	origins  OriginStore
	appender *tessera.Appender
	reader   tessera.LogReader
	shutdown func(context.Context) error
	ctx      context.Context
	cancel   context.CancelFunc
}

// New starts a trail on cfg.Storage. It refuses, with an error matching
// provider.ErrInvalidConfig, a configuration without storage, signer,
// origin or logs, a signer that is not Ed25519, a log registered twice or
// without a key, and a trail signer that is also the key of a registered
// log (the trail's checkpoints and an adapter's must never be mistaken for
// each other). The background work of the log runs until [Server.Close].
func New(ctx context.Context, cfg Config) (*Server, error) {
	bad := func(format string, args ...any) (*Server, error) {
		return nil, fmt.Errorf("%w: trail: %s", provider.ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case cfg.Storage == nil:
		return bad("no storage")
	case cfg.Signer == nil:
		return bad("no signer for the trail's checkpoints")
	case cfg.Origin == "":
		return bad("no origin for the trail's checkpoints")
	case len(cfg.Logs) == 0:
		return bad("no log registered; register each adapter log's origin and checkpoint key")
	}
	if cfg.BatchMaxSize == 0 {
		cfg.BatchMaxSize = 4096
	}
	if cfg.BatchMaxAge == 0 {
		cfg.BatchMaxAge = 10 * time.Millisecond
	}
	if cfg.CheckpointInterval == 0 {
		cfg.CheckpointInterval = max(time.Second, cfg.Storage.MinCheckpointInterval)
	}
	if cfg.CheckpointInterval < cfg.Storage.MinCheckpointInterval {
		return bad("checkpoint interval %v is shorter than the storage's minimum %v", cfg.CheckpointInterval, cfg.Storage.MinCheckpointInterval)
	}
	logs := make(map[string]note.Verifiers, len(cfg.Logs))
	for _, l := range cfg.Logs {
		switch {
		case l.Origin == "":
			return bad("a log with an empty origin")
		case l.Origin == cfg.Origin:
			return bad("log %q has the trail's own origin", l.Origin)
		case len(l.Keys) == 0:
			return bad("log %q has no checkpoint key", l.Origin)
		}
		if _, dup := logs[l.Origin]; dup {
			return bad("log %q registered twice; give all its keys in one registration", l.Origin)
		}
		for _, k := range l.Keys {
			if provider.SameKey(cfg.Signer, k) {
				return bad("the trail's signer %s is also the checkpoint key of log %q; give the trail a key of its own", cfg.Signer.Info().ID, l.Origin)
			}
		}
		vs, err := audit.CheckpointVerifiers(l.Origin, l.Keys)
		if err != nil {
			return nil, fmt.Errorf("trail: log %q: %w", l.Origin, err)
		}
		logs[l.Origin] = vs
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ns, err := audit.NoteSigner(sctx, cfg.Origin, cfg.Signer)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("trail: signer: %w", err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(ns).
		WithBatching(cfg.BatchMaxSize, cfg.BatchMaxAge).
		WithCheckpointInterval(cfg.CheckpointInterval)
	if len(cfg.Witnesses) > 0 {
		g, err := witnessGroup(cfg.Witnesses)
		if err != nil {
			cancel()
			return nil, err
		}
		opts.WithWitnesses(g, &tessera.WitnessOptions{Timeout: cfg.WitnessTimeout})
	}
	a, shutdown, r, err := tessera.NewAppender(sctx, cfg.Storage.Driver, opts)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("trail: starting the log: %w", err)
	}
	return &Server{
		origin:   cfg.Origin,
		logs:     logs,
		origins:  cfg.Storage.Origins,
		appender: a,
		reader:   r,
		shutdown: shutdown,
		ctx:      sctx,
		cancel:   cancel,
	}, nil
}

// Origin returns the origin of the trail's checkpoints.
func (s *Server) Origin() string { return s.origin }

// Reader returns the reader of the trail's log: its checkpoint, tiles and
// entry bundles.
func (s *Server) Reader() tessera.LogReader { return s.reader }

// Close stops the trail: every checkpoint accepted before is in the log,
// under a published trail checkpoint, when it returns nil. It does not
// close the storage.
func (s *Server) Close(ctx context.Context) error {
	err := s.shutdown(ctx)
	s.cancel()
	if err != nil {
		return fmt.Errorf("trail: shutting down the log: the last entries may not be under a published checkpoint yet: %w", err)
	}
	return nil
}
