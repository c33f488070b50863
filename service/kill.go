package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.opentelemetry.io/otel/metric"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/provider"
)

// KillReason is the reason of the google.rpc.ErrorInfo detail of a
// SignOrder refused because a kill is in force; its metadata "kill" holds
// the kill's ID and "scope" its scope.
const KillReason = "KILL_SWITCH"

// The RPCs of the kill switch, which a client is allowed by name in
// Client.Operations; neither names a key.
const (
	RPCKill   = "Kill"
	RPCResume = "Resume"
)

// killRPCs are the RPCs of the kill switch; no operation but their own
// names allows them.
var killRPCs = []string{RPCKill, RPCResume}

// AuditConfig names the service's audit log, where every kill, resume
// approval and resume is appended as a kill record (audit.TypeKill) and
// followed at once by a checkpoint signed with CheckpointSigner. A
// configuration that allows a client Kill or Resume must have one.
type AuditConfig struct {
	// Path is the log file (audit.Open); its checkpoints file is
	// Path+".checkpoints".
	Path string `yaml:"path"`
	// CheckpointSigner is the URI of the key that signs the log's
	// checkpoints; the backends section adds its options.
	CheckpointSigner string `yaml:"checkpoint-signer"`
}

func (a *AuditConfig) check() error {
	switch {
	case a.Path == "":
		return configErr("audit: path is empty; name the audit log file")
	case a.CheckpointSigner == "":
		return configErr("audit: checkpoint-signer is empty; name the URI of the key that signs the log's checkpoints")
	}
	if _, err := provider.ParseURI(a.CheckpointSigner); err != nil {
		return fmt.Errorf("audit.checkpoint-signer: %w", err)
	}
	return nil
}

// equal reports whether a and b name the same log and key; nil is no log.
func (a *AuditConfig) equal(b *AuditConfig) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// allowsKill reports whether a client of c may call Kill or Resume.
func (c *Config) allowsKill() bool {
	for _, cl := range c.Clients {
		for _, op := range cl.Operations {
			if slices.Contains(killRPCs, op) {
				return true
			}
		}
	}
	return false
}

// openAudit opens the audit log of cfg, if it has one, with its checkpoint
// key; it is the service's from New to Shutdown.
func (s *Server) openAudit(ctx context.Context, cfg *Config) error {
	if cfg.Audit == nil {
		return nil
	}
	u, err := cfg.withBackend(cfg.Audit.CheckpointSigner)
	if err != nil {
		return fmt.Errorf("audit.checkpoint-signer: %w", err)
	}
	k, err := provider.OpenURI(ctx, u)
	if err != nil {
		return fmt.Errorf("audit.checkpoint-signer: %w", err)
	}
	w, rec, err := audit.Open(cfg.Audit.Path, audit.Options{Signer: k, Durability: audit.Always})
	if err != nil {
		k.Close()
		return err
	}
	if rec.TruncatedRecords > 0 {
		s.log.Warn("audit log: torn tail cut", "path", cfg.Audit.Path, "records", rec.TruncatedRecords)
	}
	s.audit, s.auditKey = w, k
	return nil
}

// closeAudit closes the audit log and its checkpoint key.
func (s *Server) closeAudit() error {
	if s.audit == nil {
		return nil
	}
	err := s.audit.Close()
	if cerr := s.auditKey.Close(); err == nil {
		err = cerr
	}
	s.audit = nil
	return err
}

// newKillSwitch returns the service's kill switch: one for the whole
// service, so that a kill stops the orders of every key of purpose orders.
// It refuses a kill of an account or a symbol that the pre-trade limits of
// no orders key let trade (when some key has limits), and records every
// event in the audit log as a kill record followed by a checkpoint.
func (s *Server) newKillSwitch() *killswitch.Switch {
	opts := killswitch.Options{Known: s.knownScope}
	if s.audit != nil {
		w := s.audit
		opts.Record = func(_ context.Context, e killswitch.Event) error {
			p, err := e.AppendBinary(nil)
			if err != nil {
				return err
			}
			return w.Append(audit.TypeKill, e.Time.UnixNano(), p)
		}
		opts.Witness = w.Checkpoint
	}
	return killswitch.New(opts)
}

// errCannotTrade is the cause of a kill refused with
// killswitch.ErrUnknownScope.
var errCannotTrade = errors.New("no orders key's pre-trade limits let it trade; check its name")

// knownScope refuses an account or a symbol that the limits of no orders
// key let trade; without limits, every account and symbol is known.
func (s *Server) knownScope(sc killswitch.Scope) error {
	if sc.Kind == killswitch.All {
		return nil
	}
	st := s.acquire()
	defer st.release()
	limited := false
	for _, e := range st.keys {
		if e.limits == nil {
			continue
		}
		limited = true
		c := e.limits.checker
		if sc.Kind == killswitch.Account && c.AccountCanTrade(sc.Value) || sc.Kind == killswitch.Symbol && c.SymbolCanTrade(sc.Value) {
			return nil
		}
	}
	if !limited {
		return nil
	}
	return fmt.Errorf("%v: %w", sc, errCannotTrade)
}

// killRefusal is the status of an order that kill k stops: FAILED_PRECONDITION
// naming the kill, with a google.rpc.ErrorInfo detail (KillReason).
func killRefusal(key string, k *killswitch.Kill) error {
	st := status.Newf(codes.FailedPrecondition, "key %s: %v is in force: the order is not signed; no order in its scope is signed until two identities resume it", key, k)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: KillReason, Domain: "tinywindow",
		Metadata: map[string]string{"kill": fmt.Sprint(k.ID), "scope": k.Scope.String(), "key": key}}); err == nil {
		st = d
	}
	return st.Err()
}

// authoriseKill authorises a call of rpc (RPCKill or RPCResume) and
// returns the typed certificate identity of the caller's configured client,
// the identity the event is recorded under.
func (s *Server) authoriseKill(ctx context.Context, method string) (string, error) {
	st, p, _, err := s.begin(ctx, method, false, "")
	if err != nil {
		return "", err
	}
	defer st.release()
	if !p.rpcs[rpcName(method)] {
		ids, _ := peerIdentities(ctx)
		return "", s.deny(ctx, ids, p.identity, method, "", "operation not authorised for this client")
	}
	return p.match, nil
}

// killStatus maps an error of the kill switch to a status.
func killStatus(op string, err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, killswitch.ErrInvalid), errors.Is(err, killswitch.ErrUnknownScope):
		code = codes.InvalidArgument
	case errors.Is(err, killswitch.ErrNotKilled), errors.Is(err, killswitch.ErrSameIdentity):
		code = codes.FailedPrecondition
	case errors.Is(err, killswitch.ErrNotRecorded), errors.Is(err, killswitch.ErrNotWitnessed):
		code = codes.Unavailable
	}
	return status.Errorf(code, "%s: %v", op, err)
}

// parseScope parses the scope of a Kill or Resume request (op "kill" or
// "resume"): the text form of killswitch.ParseScope, else INVALID_ARGUMENT
// saying what a scope is.
func parseScope(op, text string) (killswitch.Scope, error) {
	sc, err := killswitch.ParseScope(text)
	if err != nil {
		return killswitch.Scope{}, killStatus(op, err)
	}
	return sc, nil
}

// Kill implements signerpb.SignerServer: it brings a kill of the request's
// scope into force for the caller's certificate identity and answers once
// no order in scope can be signed through SignOrder, the kill is in the
// audit log and a signed checkpoint covers it. A kill that is in force but
// could not be recorded or witnessed is UNAVAILABLE saying so: it stays in
// force. See killswitch.Switch.Kill.
func (s *Server) Kill(ctx context.Context, req *signerpb.KillRequest) (*signerpb.KillResponse, error) {
	id, err := s.authoriseKill(ctx, signerpb.Signer_Kill_FullMethodName)
	if err != nil {
		return nil, err
	}
	sc, err := parseScope("kill", req.GetScope())
	if err != nil {
		return nil, err
	}
	k, eff, err := s.kills.Kill(ctx, sc, id, req.GetReason())
	if err != nil {
		if k.ID != 0 {
			s.log.Error("kill in force, not recorded", "kill", k.ID, "scope", k.Scope.String(), "identity", id, "err", err)
		}
		return nil, killStatus("kill", err)
	}
	s.log.Warn("kill in force", "kill", k.ID, "scope", k.Scope.String(), "identity", id, "reason", k.Reason,
		"in-flight", eff.InFlight, "took", eff.Took, "recorded", s.audit != nil)
	return &signerpb.KillResponse{KillId: k.ID, Scope: k.Scope.String(), Identity: id, TimeUnixNano: k.Time.UnixNano(),
		InFlight: eff.InFlight, TookNanos: int64(eff.Took), Recorded: s.audit != nil}, nil
}

// Resume implements signerpb.SignerServer: it approves lifting the kill of
// exactly the request's scope for the caller's certificate identity; the
// second, different identity's approval lifts it. Each approval is in the
// audit log, covered by a signed checkpoint, before it takes effect and
// the call answers. See killswitch.Switch.Resume.
func (s *Server) Resume(ctx context.Context, req *signerpb.ResumeRequest) (*signerpb.ResumeResponse, error) {
	id, err := s.authoriseKill(ctx, signerpb.Signer_Resume_FullMethodName)
	if err != nil {
		return nil, err
	}
	sc, err := parseScope("resume", req.GetScope())
	if err != nil {
		return nil, err
	}
	r, err := s.kills.Resume(ctx, sc, id, req.GetReason())
	if err != nil {
		return nil, killStatus("resume", err)
	}
	s.log.Warn("kill resume approved", "kill", r.Kill.ID, "scope", sc.String(), "identity", id, "lifted", r.Lifted, "reason", req.GetReason())
	return &signerpb.ResumeResponse{KillId: r.Kill.ID, Lifted: r.Lifted, Approvers: r.Approvers, Recorded: s.audit != nil}, nil
}

// registerKillMetrics registers the kill switch's counters with m.
func (s *Server) registerKillMetrics(m metric.Meter) error {
	kills, err := m.Int64ObservableCounter("tinywindow.service.kill.kills",
		metric.WithDescription("Kills that came into force."), metric.WithUnit("{kill}"))
	if err != nil {
		return err
	}
	refused, err := m.Int64ObservableCounter("tinywindow.service.kill.refused",
		metric.WithDescription("SignOrder calls refused because a kill was in force."), metric.WithUnit("{order}"))
	if err != nil {
		return err
	}
	resumes, err := m.Int64ObservableCounter("tinywindow.service.kill.resumes",
		metric.WithDescription("Kills lifted by two identities."), metric.WithUnit("{kill}"))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := s.kills.Stats()
		o.ObserveInt64(kills, int64(st.Kills))
		o.ObserveInt64(refused, int64(st.Refused))
		o.ObserveInt64(resumes, int64(st.Resumes))
		return nil
	}, kills, refused, resumes)
	return err
}
