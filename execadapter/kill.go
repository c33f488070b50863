package execadapter

import (
	"context"
	"errors"
	"fmt"

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

// newKillSwitch returns the adapter's kill switch: it vets scopes against
// the pre-trade checks and records every event in the audit log.
func newKillSwitch(a *Adapter) *killswitch.Switch {
	return killswitch.New(killswitch.Options{Known: a.knownScope, Record: a.recordKill, Now: a.cfg.Now})
}

// Kill brings a kill of scope into force, asked for by identity (the
// caller's authenticated identity) for reason. When it returns, no order
// in scope is signed until the kill is lifted (Resume), and every order
// that had passed the check before it has been signed or has failed; an
// order in scope fails with ErrRiskRejected, rule risk.RuleKillSwitch. The
// kill is then recorded in the audit log (a kill record, audit.TypeKill,
// at once followed by a signed checkpoint, which the witnesses are
// offered), as long as ctx allows: if that fails, the kill is in force all
// the same and the error matches killswitch.ErrNotRecorded.
//
// A malformed scope (the empty one included), an empty identity or reason
// are refused (killswitch.ErrInvalid), and so is an account or a symbol
// that the pre-trade checks let no order of through, which is most likely
// mistyped (killswitch.ErrUnknownScope; see risk.Checker.AccountCanTrade
// and SymbolCanTrade). Without pre-trade checks every account and symbol
// is known. Kills are the adapter's own: the risk configuration's
// kill_switch and risk.Checker.SetKillSwitch neither see nor lift them.
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
// the audit log, followed by a signed checkpoint, before they take effect:
// one that cannot be recorded is refused (killswitch.ErrNotRecorded). See
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

// knownScope refuses a kill of an account or a symbol that the pre-trade
// checks let no order of through.
func (a *Adapter) knownScope(s killswitch.Scope) error {
	r := a.cfg.Risk
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

// recordKill appends a kill switch event to the audit log and has the log
// sign a checkpoint of it at once.
func (a *Adapter) recordKill(ctx context.Context, e killswitch.Event) error {
	if a.cfg.Audit == nil {
		return nil
	}
	p, err := e.AppendBinary(nil)
	if err != nil {
		return err
	}
	if err := a.cfg.Audit.Append(audit.TypeKill, e.Time.UnixNano(), p); err != nil {
		return err
	}
	return a.cfg.Audit.Checkpoint(ctx)
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
