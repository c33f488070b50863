package service

import (
	"encoding/hex"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/provider"
)

// RejectionReason is the reason of the google.rpc.ErrorInfo detail of a
// SignOrder refused by a pre-trade check; its metadata "rule" names the
// check (a risk.Rule, such as "max_quantity"), "key" the key and
// "limits_sha256" the hex SHA-256 of the limits that refused the order.
const RejectionReason = "PRE_TRADE_CHECK_REJECTED"

// keyLimits are the pre-trade checks of a key of purpose orders with limits:
// the key's one risk.Checker, which every state naming the key shares, and
// the limits this state gives it.
type keyLimits struct {
	checker *risk.Checker
	path    string
	cfg     *risk.Config
	hash    [32]byte // cfg.Hash()
}

// prepareLimits loads the limits file of e, an orders key of configuration
// k, if it names one. The key's checker is created the first time a
// configuration gives the key limits; applyLimits gives it these limits
// once the state that holds them is the service's.
func (s *Server) prepareLimits(e *entry, k Key) error {
	if k.Limits == "" {
		return nil
	}
	cfg, err := risk.LoadConfig(k.Limits)
	if err != nil {
		return fmt.Errorf("%w: limits: %w", provider.ErrInvalidConfig, err)
	}
	hash, err := cfg.Hash()
	if err != nil {
		return fmt.Errorf("%w: limits %q: %w", provider.ErrInvalidConfig, k.Limits, err)
	}
	c := s.checkers[e.name]
	if c == nil {
		if c, err = risk.New(cfg); err != nil {
			return fmt.Errorf("%w: limits %q: %w", provider.ErrInvalidConfig, k.Limits, err)
		}
		if s.checkers == nil {
			s.checkers = map[string]*risk.Checker{}
		}
		s.checkers[e.name] = c
	}
	e.limits = &keyLimits{checker: c, path: k.Limits, cfg: cfg, hash: hash}
	return nil
}

// applyLimits gives each key's checker the limits of st, the state just
// made the service's, and logs msg with the key, the limits file and the
// SHA-256 of its canonical snapshot (risk.Config.Canonical), the hash that
// the key's envelopes carry from then on. The checker swaps its limits at
// once (risk.Checker.Reconfigure): every order is judged wholly under the
// old limits or wholly under the new, and its envelope carries the hash of
// the ones that judged it. The checkers of keys that no longer have limits
// are dropped.
func (s *Server) applyLimits(st *state, msg string) {
	for _, name := range sortedKeys(st.keys) {
		l := st.keys[name].limits
		if l == nil {
			continue
		}
		if err := l.checker.Reconfigure(l.cfg); err != nil {
			// The file was checked when the state was built.
			s.log.Error("limits not applied", "key", name, "limits", l.path, "err", err)
			continue
		}
		s.log.Info(msg, "key", name, "sha256", hex.EncodeToString(l.hash[:]), "limits", l.path)
	}
	for name := range s.checkers {
		if e := st.keys[name]; e == nil || e.limits == nil {
			delete(s.checkers, name)
		}
	}
}

// reserve runs the pre-trade checks on v at now (Unix nanoseconds) and, if
// they pass, reserves the order: a throttle token, its client order ID, and
// its notional against its account's credit. It returns the notional and the
// hash of the limits that judged it; a refused order is FAILED_PRECONDITION
// with a google.rpc.ErrorInfo detail (RejectionReason) naming the rule and
// the hash of the limits that refused it.
func (l *keyLimits) reserve(name string, v *order.View, now int64) (uint64, [32]byte, error) {
	n, hash, err := l.checker.ReserveHashed(v, now)
	if err == nil {
		return n, hash, nil
	}
	var r *risk.Rejection
	if !errors.As(err, &r) {
		return 0, hash, status.Errorf(codes.Internal, "pre-trade checks of key %s: %v", name, err)
	}
	st := status.Newf(codes.FailedPrecondition, "key %s: %v; the order is not signed", name, r)
	if d, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: RejectionReason, Domain: "tinywindow",
		Metadata: map[string]string{"rule": string(r.Rule), "key": name, "limits_sha256": hex.EncodeToString(hash[:])}}); derr == nil {
		st = d
	}
	return 0, hash, st.Err()
}

// settle ends the reservation of a signed order, or of one that failed to
// sign (signed false), of notional n: an order that was not signed, and an
// IOC or FOK order, which rests at no venue, give their notional back at
// once; a DAY or GTC order keeps it reserved for as long as the service
// runs (docs/service.md, "Pre-trade checks").
func (l *keyLimits) settle(v *order.View, n uint64, signed bool) {
	if n > 0 && (!signed || v.TimeInForce == order.IOC || v.TimeInForce == order.FOK) {
		l.checker.Release(v.Account, n)
	}
}
