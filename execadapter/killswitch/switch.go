package killswitch

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Kill is a kill in force.
type Kill struct {
	ID       uint64 // 1 for a switch's first kill, then +1
	Scope    Scope
	Identity string    // who killed
	Reason   string    // why
	Time     time.Time // when it came into force (Options.Now)
}

func (k *Kill) String() string {
	return fmt.Sprintf("kill %d (%v) by %q at %s: %q", k.ID, k.Scope, k.Identity, k.Time.UTC().Format(time.RFC3339Nano), k.Reason)
}

// Effect says how a kill came into force.
type Effect struct {
	// InFlight is the number of orders that had passed the check, and
	// were not yet signed or failed, when the kill was published; Kill
	// waited for them.
	InFlight int64
	// Took is the time from the call to Kill to the moment no order in its
	// scope could be signed any more: validation, publication and the wait
	// for InFlight orders. Recording comes after.
	Took time.Duration
}

// Resumed is the outcome of an accepted [Switch.Resume].
type Resumed struct {
	Kill Kill // the kill approved or lifted
	// Lifted is false after the first identity's approval (the kill stays
	// in force) and true after the second's (the kill is lifted).
	Lifted bool
	// Approvers are the identities that approved so far, first first.
	Approvers []string
}

// Options configure a [Switch].
type Options struct {
	// Known, if set, vets the scope of a kill: an error refuses the kill
	// with ErrUnknownScope and that error. A signer with pre-trade limits
	// refuses an account or a symbol that cannot trade under them.
	Known func(Scope) error
	// Record, if set, records every event, one at a time; a kill's event
	// comes before the events of its resume. A kill is in force before
	// Record is called for it and stays in force if Record fails; an
	// approval or a resume takes effect only if Record succeeds, so every
	// event recorded took effect.
	Record func(context.Context, Event) error
	// Witness, if set, is called after each recorded event has taken
	// effect, to have it witnessed at once (an audit log signs a
	// checkpoint). An error undoes nothing: the call returns its outcome
	// and an error matching ErrNotWitnessed.
	Witness func(context.Context) error
	// Now is the clock of events (default time.Now).
	Now func() time.Time
}

// Stats are a switch's counters.
type Stats struct {
	Kills     uint64 // kills that came into force
	Approvals uint64 // first approvals of a resume
	Resumes   uint64 // kills lifted
	// Refused counts the orders that a kill in force stopped.
	Refused uint64
	// InFlight sums Effect.InFlight over the kills.
	InFlight uint64
	// TakeEffectLast, TakeEffectMax and TakeEffectTotal are the last,
	// largest and summed Effect.Took of the kills.
	TakeEffectLast, TakeEffectMax, TakeEffectTotal time.Duration
}

// Switch is a kill switch: the kills in force, and the check each order
// passes before it is signed ([Switch.Enter]). It is safe for concurrent
// use. A kill comes into force at once ([Switch.Kill]); lifting it takes a
// [Switch.Resume] by two different identities.
type Switch struct {
	opts Options
	snap atomic.Pointer[snapshot] // nil: no kill in force
	g    gate

	// pubMu serialises publishing snapshots and draining the gate.
	pubMu  sync.Mutex
	nextID uint64

	// mu serialises events: the kills recorded and the approvals, and the
	// calls to Record. A kill takes effect before it takes mu, so a kill
	// never waits for the recording of another event to come into force.
	mu       sync.Mutex
	recorded map[Scope]*Kill    // the latest kill of each scope, once Kill took mu
	pending  map[Scope]approval // the first approval of lifting a scope's kill

	kills, approvals, resumes, refused, inFlight atomic.Uint64
	effLast, effMax, effTotal                    atomic.Int64
}

type approval struct {
	kill     uint64
	identity string
}

// New returns a switch with no kill in force.
func New(opts Options) *Switch {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Switch{opts: opts, recorded: map[Scope]*Kill{}, pending: map[Scope]approval{}}
}

// Kill brings a kill of scope into force for identity, who gives reason,
// and returns it once no order in scope can be signed: from its return, no
// order in scope passes Enter until the kill is lifted, and every order
// that passed Enter before has left. Killing a scope that is already killed
// replaces its kill with the new one, which needs resume approvals of its
// own. An order being signed when the kill is published delays Kill's
// return until its signature is made or fails (as long as the order's own
// context allows), never the kill's effect on later orders. The kill is then
// recorded (Options.Record, with ctx) and witnessed (Options.Witness); if
// either fails, Kill returns the kill in force and an error matching
// ErrNotRecorded or ErrNotWitnessed.
//
// An invalid scope, an empty identity or reason (see ErrInvalid) and a
// scope that Options.Known refuses (ErrUnknownScope) are refused before
// anything changes.
func (s *Switch) Kill(ctx context.Context, scope Scope, identity, reason string) (Kill, Effect, error) {
	t0 := time.Now()
	if err := checkRequest(scope, identity, reason); err != nil {
		return Kill{}, Effect{}, fmt.Errorf("kill: %w", err)
	}
	if s.opts.Known != nil {
		if err := s.opts.Known(scope); err != nil {
			return Kill{}, Effect{}, fmt.Errorf("kill %v: %w: %w", scope, ErrUnknownScope, err)
		}
	}
	s.pubMu.Lock()
	s.nextID++
	k := &Kill{ID: s.nextID, Scope: scope, Identity: identity, Reason: reason, Time: s.opts.Now()}
	s.snap.Store(s.snap.Load().with(k))
	eff := Effect{InFlight: s.g.drain()}
	s.pubMu.Unlock()
	eff.Took = time.Since(t0)
	s.count(eff)

	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.recorded[scope]; cur == nil || cur.ID < k.ID {
		s.recorded[scope] = k
		delete(s.pending, scope)
	}
	if err := s.record(ctx, Event{Action: ActionKill, Kill: k.ID, Scope: scope, Identity: identity, Reason: reason, Time: k.Time}); err != nil {
		return *k, eff, fmt.Errorf("%v is in force, but %w", k, err)
	}
	if err := s.witness(ctx); err != nil {
		return *k, eff, fmt.Errorf("%v is in force and recorded, but %w", k, err)
	}
	return *k, eff, nil
}

func (s *Switch) count(eff Effect) {
	s.kills.Add(1)
	s.inFlight.Add(uint64(eff.InFlight))
	d := int64(eff.Took)
	s.effLast.Store(d)
	s.effTotal.Add(d)
	for {
		m := s.effMax.Load()
		if d <= m || s.effMax.CompareAndSwap(m, d) {
			return
		}
	}
}

// Resume approves lifting the kill in force for scope, for identity, who
// gives reason. The first identity's approval is recorded and leaves the
// kill in force (Resumed.Lifted false); a second, different identity's
// resume is recorded and then lifts it. The same identity approving twice
// is refused with ErrSameIdentity; the kill stays in force and the first
// approval stands. An approval holds until the kill is lifted or replaced
// by a new kill of the scope. A kill of the identity that killed may be
// approved by that identity.
//
// A scope with no kill in force is refused with ErrNotKilled; a resume
// lifts only the kill of exactly its scope (resuming account=A does not
// lift a kill of all). If Options.Record fails, the approval or resume is
// refused (ErrNotRecorded) and nothing changes; if Options.Witness fails
// after it, the approval or resume stands, and Resume returns it with an
// error matching ErrNotWitnessed.
func (s *Switch) Resume(ctx context.Context, scope Scope, identity, reason string) (Resumed, error) {
	if err := checkRequest(scope, identity, reason); err != nil {
		return Resumed{}, fmt.Errorf("resume: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.recorded[scope]
	if k == nil {
		return Resumed{}, fmt.Errorf("resume %v: %w; nothing to lift", scope, ErrNotKilled)
	}
	ev := Event{Kill: k.ID, Scope: scope, Identity: identity, Reason: reason, Time: s.opts.Now()}
	ap, ok := s.pending[scope]
	if !ok || ap.kill != k.ID {
		ev.Action = ActionApprove
		if err := s.record(ctx, ev); err != nil {
			return Resumed{}, fmt.Errorf("resume of %v refused: %w", k, err)
		}
		s.pending[scope] = approval{kill: k.ID, identity: identity}
		s.approvals.Add(1)
		r := Resumed{Kill: *k, Approvers: []string{identity}}
		if err := s.witness(ctx); err != nil {
			return r, fmt.Errorf("approval of the resume of %v by %q recorded, but %w", k, identity, err)
		}
		return r, nil
	}
	if ap.identity == identity {
		return Resumed{}, fmt.Errorf("resume of %v refused: %q approved it already: %w", k, identity, ErrSameIdentity)
	}
	ev.Action = ActionResume
	if err := s.record(ctx, ev); err != nil {
		return Resumed{}, fmt.Errorf("resume of %v refused: %w", k, err)
	}
	s.pubMu.Lock()
	s.snap.Store(s.snap.Load().without(k))
	s.pubMu.Unlock()
	delete(s.recorded, scope)
	delete(s.pending, scope)
	s.resumes.Add(1)
	r := Resumed{Kill: *k, Lifted: true, Approvers: []string{ap.identity, identity}}
	if err := s.witness(ctx); err != nil {
		return r, fmt.Errorf("%v lifted and recorded, but %w", k, err)
	}
	return r, nil
}

// witness calls Options.Witness; s.mu is held.
func (s *Switch) witness(ctx context.Context) error {
	if s.opts.Witness == nil {
		return nil
	}
	if err := s.opts.Witness(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrNotWitnessed, err)
	}
	return nil
}

// record calls Options.Record; s.mu is held.
func (s *Switch) record(ctx context.Context, e Event) error {
	if s.opts.Record == nil {
		return nil
	}
	if err := s.opts.Record(ctx, e); err != nil {
		return fmt.Errorf("%w: recording the %v: %w", ErrNotRecorded, e.Action, err)
	}
	return nil
}

func checkRequest(scope Scope, identity, reason string) error {
	if err := scope.Check(); err != nil {
		return err
	}
	if err := checkText("identity", identity, MaxIdentity); err != nil {
		return err
	}
	return checkText("reason", reason, MaxReason)
}

// Stops returns the kill in force that stops an order of account and
// symbol, or nil, without counting a refusal: a dry run of Enter, for
// checks that change nothing. The returned kill must not be changed.
func (s *Switch) Stops(account, symbol []byte) *Kill {
	if sn := s.snap.Load(); sn != nil {
		return sn.match(account, symbol)
	}
	return nil
}

// Active returns the kills in force, by ID.
func (s *Switch) Active() []Kill { return s.snap.Load().list() }

// Stats returns the switch's counters.
func (s *Switch) Stats() Stats {
	return Stats{Kills: s.kills.Load(), Approvals: s.approvals.Load(), Resumes: s.resumes.Load(),
		Refused: s.refused.Load(), InFlight: s.inFlight.Load(),
		TakeEffectLast: time.Duration(s.effLast.Load()), TakeEffectMax: time.Duration(s.effMax.Load()),
		TakeEffectTotal: time.Duration(s.effTotal.Load())}
}
