package execadapter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
)

// errCannotTrade is the cause of a kill refused with
// killswitch.ErrUnknownScope: the pre-trade checks let no order of the
// scope's account or symbol through.
var errCannotTrade = errors.New("no order of it can pass the pre-trade checks")

// NewKillSwitch returns a kill switch for adapters that use the pre-trade
// checks r and the audit log log (either may be nil) and the clock now (nil:
// time.Now): it refuses a kill of an account or a symbol that r lets no
// order of through (killswitch.ErrUnknownScope), and records every event in
// log as a kill record followed at once by a signed checkpoint. Give it to
// every adapter that signs for the same orders (Config.KillSwitch), so
// that a kill stops them all, such as the old and the new adapter of a key
// rotation.
func NewKillSwitch(r *risk.Checker, log *audit.Writer, now func() time.Time) *killswitch.Switch {
	opts := killswitch.Options{Known: func(s killswitch.Scope) error { return knownScope(r, s) }, Now: now}
	if log != nil {
		opts.Record = func(_ context.Context, e killswitch.Event) error { return recordKill(log, e) }
		opts.Witness = log.Checkpoint
	}
	return killswitch.New(opts)
}

// newKillSwitch returns cfg.KillSwitch, or a kill switch of the adapter's own.
func newKillSwitch(cfg *Config) *killswitch.Switch {
	if cfg.KillSwitch != nil {
		return cfg.KillSwitch
	}
	return NewKillSwitch(cfg.Risk, cfg.Audit, cfg.Now)
}

// Kill brings a kill of scope into force, asked for by identity (the
// caller's authenticated identity) for reason. When it returns, no order
// in scope is signed until the kill is lifted (Resume), and every order
// that had passed the check before it has been signed or has failed; an
// order in scope fails with ErrRiskRejected, rule risk.RuleKillSwitch. The
// kill is then recorded in the audit log (a kill record, audit.TypeKill),
// and a signed checkpoint of it, which the witnesses are offered, is made
// at once, as long as ctx allows. If the record fails, the kill is in
// force all the same and the error matches killswitch.ErrNotRecorded; if
// the checkpoint is not signed in time, killswitch.ErrNotWitnessed (the
// log's next checkpoint covers the record).
//
// A malformed scope (the empty one included), an empty identity or reason
// are refused (killswitch.ErrInvalid), and so is an account or a symbol
// that the pre-trade checks let no order of through, which is most likely
// mistyped (killswitch.ErrUnknownScope; see risk.Checker.AccountCanTrade
// and SymbolCanTrade). Without pre-trade checks every account and symbol
// is known. The kills are those of Config.KillSwitch, shared with every
// adapter that has it; the risk configuration's kill_switch and
// risk.Checker.SetKillSwitch neither see nor lift them.
func (a *Adapter) Kill(ctx context.Context, scope killswitch.Scope, identity, reason string) (killswitch.Kill, killswitch.Effect, error) {
	k, eff, err := a.kills.Kill(ctx, scope, identity, reason)
	if err != nil {
		return k, eff, fmt.Errorf("execadapter: %w", err)
	}
	return k, eff, nil
}

// Resume approves lifting the kill of exactly scope, for identity: the
// first identity's approval leaves the kill in force, a second, different
// identity's lifts it; the same identity twice is refused
// (killswitch.ErrSameIdentity). Each approval and the resume are recorded in
// the audit log before they take effect, and a signed checkpoint of them is
// made at once: one that cannot be recorded is refused
// (killswitch.ErrNotRecorded); one whose checkpoint is not signed in time
// stands, with an error matching killswitch.ErrNotWitnessed. See
// killswitch.Switch.Resume.
func (a *Adapter) Resume(ctx context.Context, scope killswitch.Scope, identity, reason string) (killswitch.Resumed, error) {
	r, err := a.kills.Resume(ctx, scope, identity, reason)
	if err != nil {
		return r, fmt.Errorf("execadapter: %w", err)
	}
	return r, nil
}

// Kills returns the kills in force, by ID.
func (a *Adapter) Kills() []killswitch.Kill { return a.kills.Active() }

// KillStats returns the kill switch's counters: kills, approvals, resumes,
// orders refused under a kill, and the time kills took to take effect.
func (a *Adapter) KillStats() killswitch.Stats { return a.kills.Stats() }

// knownScope refuses a kill of an account or a symbol that r lets no order
// of through.
func knownScope(r *risk.Checker, s killswitch.Scope) error {
	switch {
	case r == nil:
		return nil
	case s.Kind == killswitch.Account && !r.AccountCanTrade(s.Value):
		return fmt.Errorf("account %q: %w (it has no credit limit and there is no default); check its name", s.Value, errCannotTrade)
	case s.Kind == killswitch.Symbol && !r.SymbolCanTrade(s.Value):
		return fmt.Errorf("symbol %q: %w (it is denied, or not allowed); check its name", s.Value, errCannotTrade)
	}
	return nil
}

// recordKill appends a kill switch event to log as a kill record.
func recordKill(log *audit.Writer, e killswitch.Event) error {
	p, err := e.AppendBinary(nil)
	if err != nil {
		return err
	}
	return log.Append(audit.TypeKill, e.Time.UnixNano(), p)
}

// enterKillSwitch checks the order v (bytes b) against the kills in force.
// It returns the pass to leave once the order is signed or has failed, or
// the recorded rejection of an order that a kill stops.
func (a *Adapter) enterKillSwitch(now int64, v *order.View, b []byte) (killswitch.Pass, error) {
	p, k := a.kills.Enter(v.Account, v.Symbol)
	if k == nil {
		return p, nil
	}
	rej := killRejection(k)
	e := &Error{Kind: ErrRiskRejected, Delivery: venue.NotSent, Rule: risk.RuleKillSwitch, Err: rej}
	return p, a.audited(e, a.auditReject(now, stageRisk, rej.Error(), b))
}

// killRejection is the rejection of an order that kill k stops.
func killRejection(k *killswitch.Kill) *risk.Rejection {
	return &risk.Rejection{Rule: risk.RuleKillSwitch, Detail: k.String() + " is in force: no order in its scope is signed until two identities resume it"}
}
