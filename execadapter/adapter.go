package execadapter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// Ack is a venue's acknowledgement of an accepted order.
type Ack = venue.Ack

// Config assembles an Adapter.
type Config struct {
	// Signer signs every order (required).
	Signer provider.Signer
	// Venue receives the orders (required).
	Venue venue.Venue
	// Risk runs the pre-trade checks; nil runs none.
	Risk *risk.Checker
	// Audit records every order, ack, rejection and failure; nil records
	// nothing. A record that cannot be written fails the order with
	// ErrAudit, and after a failed write or fsync every later order fails
	// with ErrAudit before it is sent. With audit.Always an acknowledged
	// order's records are on stable storage; with audit.Batch they may
	// still be in memory, and those of the orders acknowledged since the
	// log's last fsync are lost if the process dies or a write fails (see
	// audit.Batch).
	// Its checkpoint key (audit.Writer.CheckpointKey) must not be Signer
	// (provider.SameKey), unless AllowSharedCheckpointKey is set.
	Audit *audit.Writer
	// Trails receive Audit's checkpoints: New adds them to Audit
	// (audit.Writer.AddTrails), which forwards each checkpoint to every
	// trail until Audit is closed. A trail that is down or slow never
	// delays SendOrder: only the latest checkpoint waits for it. Trails
	// need Audit. A trail given here or in Audit's audit.Options.Trails is
	// the same; adapters sharing one Audit give the trails to one of them.
	Trails []audit.Trail
	// AllowSharedCheckpointKey lets Audit's checkpoints be signed by the
	// order key. It costs the log its proof: whoever can have the order key
	// sign bytes of their choosing (a signing service client allowed to
	// sign with it, a `tinywindow sign` user) can sign a checkpoint of a
	// rewritten log. Leave it unset outside tests and demonstrations.
	AllowSharedCheckpointKey bool
	// VenueVerifier, if set, is the venue's key: every ack must carry the
	// venue's signature over the ack and the order's hash (Ack.Signed), and
	// an ack without one, or whose signature does not verify, fails the
	// order with ErrVenueProtocol. The audit log records the signed ack.
	VenueVerifier provider.Verifier
	// Now is the clock (default time.Now).
	Now func() time.Time
	// KillSwitch holds the kills (Adapter.Kill) that stop this adapter's
	// orders; adapters that sign for the same orders share one, made by
	// NewKillSwitch. Nil: the adapter makes its own, with NewKillSwitch
	// and its Risk, Audit and Now.
	KillSwitch *killswitch.Switch
	// BatchWindow, if positive, signs orders in batches (see
	// docs/orders.md, "Batch signing"): the orders that arrive within
	// BatchWindow of a batch's first, up to BatchMax (default
	// DefaultBatchMax, at most venue.MaxBatchLeaves), are the leaves of a
	// Merkle tree whose root Signer signs once, and each is sent with its
	// inclusion proof after the batch's signature; a venue.HoldingVenue
	// (venue.TCP is one) gets a batch's orders in one write. A batch also closes,
	// without waiting for the rest of its window, as soon as it holds
	// every order in progress (every SendOrder call not yet returned) and
	// a signer is free: no order can join it then but a new call's, so a
	// lone sender's orders wait for no window. At most BatchSigners
	// batches (default 1) are signed at once: an order waits at most
	// BatchWindow and one signature while a signer is free; a batch whose
	// window ends while none is keeps gathering orders until one is, so
	// an order then waits at most the longer of BatchWindow and one
	// signature, plus one signature. More signers suit a key whose
	// signatures wait on the network (a KMS) rather than the CPU. Venue
	// must be a venue.BatchVenue. Zero signs each order on its own;
	// BatchMax and BatchSigners must then be zero too.
	BatchWindow  time.Duration
	BatchMax     int
	BatchSigners int
}

// Adapter is the execution adapter. It is safe for concurrent use.
type Adapter struct {
	cfg     Config
	sealers sync.Pool
	kills   *killswitch.Switch
	batches *batcher // nil when each order is signed on its own
}

// New returns an Adapter. It refuses (provider.ErrInvalidConfig, matching
// audit.ErrSharedKey) an audit log whose checkpoint key is the order key,
// unless cfg.AllowSharedCheckpointKey is set, and (provider.ErrInvalidConfig)
// Trails without Audit or with a URL that is not http or https.
func New(cfg Config) (*Adapter, error) {
	if cfg.Signer == nil || cfg.Venue == nil {
		return nil, fmt.Errorf("%w: execadapter needs a signer and a venue", provider.ErrInvalidConfig)
	}
	if _, err := venue.NewSealer(cfg.Signer); err != nil {
		return nil, err
	}
	if len(cfg.Trails) > 0 && cfg.Audit == nil {
		return nil, fmt.Errorf("%w: execadapter: Config.Trails forward the audit log's checkpoints; set Config.Audit", provider.ErrInvalidConfig)
	}
	if cfg.Audit != nil && !cfg.AllowSharedCheckpointKey {
		if err := audit.CheckDedicatedKey(cfg.Audit.CheckpointKey(), cfg.Signer, "order"); err != nil {
			return nil, fmt.Errorf("execadapter: %w (Config.AllowSharedCheckpointKey)", err)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Adapter{cfg: cfg}
	a.kills = newKillSwitch(&cfg)
	var err error
	if a.batches, err = newBatcher(&cfg); err != nil {
		return nil, err
	}
	a.sealers.New = func() any { s, _ := venue.NewSealer(cfg.Signer); return s }
	if len(cfg.Trails) > 0 {
		if err := cfg.Audit.AddTrails(cfg.Trails...); err != nil {
			return nil, fmt.Errorf("execadapter: Config.Trails: %w", err)
		}
	}
	return a, nil
}

// Risk returns the pre-trade checker (nil if none), for its kill switch and
// reference prices.
func (a *Adapter) Risk() *risk.Checker { return a.cfg.Risk }

// PreTradeCheck decodes the canonical order bytes and runs every pre-trade
// check, the kills in force (Kill) first, without sending anything or
// changing any state (no throttle token is taken, no client order ID
// remembered, no credit reserved). It returns nil, an error matching
// order.ErrInvalid, or a *risk.Rejection naming its rule.
func (a *Adapter) PreTradeCheck(b []byte) error {
	var v order.View
	if err := order.Parse(b, &v); err != nil {
		return err
	}
	if k := a.kills.Stops(v.Account, v.Symbol); k != nil {
		return killRejection(k)
	}
	if a.cfg.Risk == nil {
		return nil
	}
	_, err := a.cfg.Risk.Check(&v, a.cfg.Now().UnixNano())
	return err
}

// Audit record payload stages of a rejection.
const (
	stageDecode = 1
	stageRisk   = 2
	stageVenue  = 3
)

// maxAuditedInput bounds how much of an undecodable input is recorded.
const maxAuditedInput = 1024

// SendOrder decodes the canonical order bytes b, refuses it if a kill in
// force covers it (Kill), runs the pre-trade checks (reserving the order's
// notional against its account's credit), signs the bytes through the
// signer, records the signed order in the audit log, sends it to the venue,
// waits for the venue's ack (as long as ctx allows), checks it (and its
// signature, with Config.VenueVerifier) and records it. b must not change
// until SendOrder returns.
//
// Every failure is an *Error whose Kind says what failed and whose Delivery
// says whether the order may have reached the venue. A rejection or failure
// that the audit log could not record is an ErrAudit error (its message
// names what it recorded). Orders with time in force IOC or FOK stop being
// open once acknowledged, so their notional is released at once; for DAY
// and GTC orders call Release when they fill or are cancelled.
func (a *Adapter) SendOrder(ctx context.Context, b []byte) (Ack, error) {
	if a.batches != nil {
		a.batches.enter()
		defer a.batches.leave()
	}
	now := a.cfg.Now().UnixNano()
	var v order.View
	if err := order.Parse(b, &v); err != nil {
		e := &Error{Kind: ErrInvalidOrder, Delivery: venue.NotSent, Err: err}
		return Ack{}, a.audited(e, a.auditReject(now, stageDecode, err.Error(), b))
	}
	pass, err := a.enterKillSwitch(now, &v, b)
	if err != nil {
		return Ack{}, err
	}
	var notional uint64
	if a.cfg.Risk != nil {
		n, err := a.cfg.Risk.Reserve(&v, now)
		if err != nil {
			pass.Leave()
			e := &Error{Kind: ErrRiskRejected, Delivery: venue.NotSent, Err: err}
			var r *risk.Rejection
			if errors.As(err, &r) {
				e.Rule = r.Rule
			}
			return Ack{}, a.audited(e, a.auditReject(now, stageRisk, err.Error(), b))
		}
		notional = n
	}
	var env []byte
	var batch *pendingBatch
	if a.batches != nil {
		env, batch, err = a.sealInBatch(ctx, b)
	} else {
		s := a.sealers.Get().(*venue.Sealer)
		defer a.sealers.Put(s)
		env, err = s.Seal(ctx, b)
	}
	pass.Leave() // signed or failed, in a batch too: a kill from now on need not wait for it
	if err != nil {
		a.release(&v, notional)
		e := &Error{Kind: ErrSigning, Delivery: venue.NotSent, Err: err}
		return Ack{}, a.audited(e, a.auditFailure(now, &v, e.Delivery, err))
	}
	if a.cfg.Audit != nil {
		err := a.auditBatch(batch, now) // once per batch, before its first order
		if err == nil {
			err = a.cfg.Audit.Append(audit.TypeOrder, now, env)
		}
		if err != nil {
			if batch != nil {
				a.batches.settle(batch)
			}
			a.release(&v, notional)
			return Ack{}, &Error{Kind: ErrAudit, Delivery: venue.NotSent, Err: err}
		}
	}
	ack, err := a.submit(ctx, batch, env, v.ClientOrderID)
	if err != nil {
		e := &Error{Kind: ErrVenueUnreachable, Delivery: venue.DeliveryOf(err), Err: err}
		switch {
		case errors.Is(err, venue.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
			e.Kind = ErrTimeout
		case errors.Is(err, venue.ErrProtocol):
			e.Kind = ErrVenueProtocol
		}
		if e.Delivery == venue.NotSent {
			a.release(&v, notional)
		}
		return Ack{}, a.audited(e, a.auditFailure(a.cfg.Now().UnixNano(), &v, e.Delivery, err))
	}
	if err := a.checkAck(ctx, ack, env, v.ClientOrderID); err != nil {
		e := &Error{Kind: ErrVenueProtocol, Delivery: venue.Unknown, Err: err}
		return Ack{}, a.audited(e, a.auditFailure(a.cfg.Now().UnixNano(), &v, e.Delivery, err))
	}
	aerr := a.auditAck(&v, ack)
	if ack.Status == venue.Rejected {
		a.release(&v, notional)
		e := &Error{Kind: ErrVenueRejected, Delivery: venue.Delivered, Reason: ack.Reason, Ack: ack}
		return Ack{}, a.audited(e, aerr)
	}
	if v.TimeInForce == order.IOC || v.TimeInForce == order.FOK {
		a.release(&v, notional)
	}
	if aerr != nil {
		return ack, &Error{Kind: ErrAudit, Delivery: venue.Delivered, Ack: ack, Err: aerr}
	}
	return ack, nil
}

// audited returns e, or, when the audit log could not record it (aerr is
// not nil), an ErrAudit error that keeps e's delivery, rule, reason and ack
// and names e in its message.
func (a *Adapter) audited(e *Error, aerr error) *Error {
	if aerr == nil {
		return e
	}
	return &Error{Kind: ErrAudit, Delivery: e.Delivery, Rule: e.Rule, Reason: e.Reason, Ack: e.Ack,
		Err: fmt.Errorf("recording %q: %w", e.Error(), aerr)}
}

// Release tells the pre-trade checks that an order of account with the
// given notional (nano-units, as risk.Nanos computes it) is no longer open.
func (a *Adapter) Release(account []byte, notional uint64) {
	if a.cfg.Risk != nil {
		a.cfg.Risk.Release(account, notional)
	}
}

func (a *Adapter) release(v *order.View, notional uint64) {
	if a.cfg.Risk != nil && notional > 0 {
		a.cfg.Risk.Release(v.Account, notional)
	}
}

// checkAck checks that ack is well formed and, with a VenueVerifier, that
// it is signed by the venue over the same answer to this envelope.
func (a *Adapter) checkAck(ctx context.Context, ack Ack, env, clientOrderID []byte) error {
	if !(ack.Status == venue.Accepted && ack.VenueOrderID != 0 && ack.Reason == venue.ReasonNone) && ack.Status != venue.Rejected {
		return fmt.Errorf("%w: ack with status %v, reason %v, venue order ID %d", venue.ErrProtocol, ack.Status, ack.Reason, ack.VenueOrderID)
	}
	if a.cfg.VenueVerifier == nil {
		return nil
	}
	if ack.Signed == nil {
		return fmt.Errorf("%w: the ack is not signed; the venue must sign its acks with %s", venue.ErrProtocol, a.cfg.VenueVerifier.Info().ID)
	}
	return venue.VerifyAck(ctx, a.cfg.VenueVerifier, ack, clientOrderID, env)
}

// auditAck records the ack: the venue's signed ack as received when it
// signs, else the ack in its frame form.
func (a *Adapter) auditAck(v *order.View, ack Ack) error {
	if a.cfg.Audit == nil {
		return nil
	}
	if ack.Signed != nil {
		return a.cfg.Audit.Append(audit.TypeAck, ack.VenueTime, ack.Signed)
	}
	var p [64]byte
	body := venue.AppendAckFrame(p[:0], ack, v.ClientOrderID)[5:]
	return a.cfg.Audit.Append(audit.TypeAck, ack.VenueTime, body)
}

// auditReject records a rejected input: stage, the reason, and the input.
func (a *Adapter) auditReject(now int64, stage byte, reason string, b []byte) error {
	if a.cfg.Audit == nil {
		return nil
	}
	if len(reason) > 255 {
		reason = reason[:255]
	}
	if len(b) > maxAuditedInput {
		b = b[:maxAuditedInput]
	}
	return a.cfg.Audit.Append(audit.TypeReject, now, []byte{stage, byte(len(reason))}, []byte(reason), b)
}

// auditFailure records a failed send: its delivery, the client order ID
// and the error.
func (a *Adapter) auditFailure(now int64, v *order.View, d venue.Delivery, err error) error {
	if a.cfg.Audit == nil {
		return nil
	}
	msg := err.Error()
	if len(msg) > 255 {
		msg = msg[:255]
	}
	return a.cfg.Audit.Append(audit.TypeSendError, now, []byte{byte(d), byte(len(v.ClientOrderID))}, v.ClientOrderID, []byte{byte(len(msg))}, []byte(msg))
}
