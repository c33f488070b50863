package service

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
)

// parseOrderRequest checks the order of a SignOrder request: the canonical
// encoding of a valid order (order.Parse), else INVALID_ARGUMENT naming the
// field. It decodes the order into v.
func parseOrderRequest(req *signerpb.SignOrderRequest, v *order.View) error {
	if err := order.Parse(req.GetOrder(), v); err != nil {
		return status.Errorf(codes.InvalidArgument, "order: %v; send the canonical encoding of a valid order (docs/orders.md)", err)
	}
	return nil
}

// SignOrder implements signerpb.SignerServer: it signs a canonical order
// with a key of purpose orders and returns the signed-order envelope, built
// by execadapter/venue's Sealer as the adapter builds it in process. An
// order whose timestamp is further than the key's max-skew from the
// service's clock is refused as stale. A key with limits (Key.Limits) signs
// only an order its pre-trade checks pass, in a version 3 envelope that
// carries the hash of the limits that judged it
// (venue.LimitsEnvelopeVersion); a refused order is FAILED_PRECONDITION
// naming the rule (keyLimits.reserve) and is not signed. An order in the
// scope of a kill in force (Kill) is FAILED_PRECONDITION naming the kill
// (KillReason) and is not signed, before any pre-trade check.
func (s *Server) SignOrder(ctx context.Context, req *signerpb.SignOrderRequest) (*signerpb.SignOrderResponse, error) {
	st, _, e, err := s.begin(ctx, signerpb.Signer_SignOrder_FullMethodName, true, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	var v order.View
	if err := parseOrderRequest(req, &v); err != nil {
		return nil, err
	}
	ts := v.Timestamp
	now := time.Now()
	if venue.Stale(ts, now, e.maxSkew) {
		return nil, status.Errorf(codes.InvalidArgument, "order timestamp %s is %v from the service's clock, over the key's max-skew of %v: a stale order; sign it with a fresh timestamp",
			time.Unix(0, ts).UTC().Format(time.RFC3339Nano), now.Sub(time.Unix(0, ts)).Round(time.Millisecond), e.maxSkew)
	}
	// The kill switch comes before the pre-trade checks, so that an order
	// a kill stops reserves nothing; the pass is left once the order is
	// signed or has failed, so that a Kill's answer waits for it.
	pass, k := s.kills.Enter(v.Account, v.Symbol)
	if k != nil {
		return nil, killRefusal(e.name, k)
	}
	defer pass.Leave()
	sl := e.sealers.Get().(*venue.Sealer)
	defer e.sealers.Put(sl)
	var env []byte
	if l := e.limits; l != nil {
		n, hash, err := l.reserve(e.name, &v, now.UnixNano())
		if err != nil {
			return nil, err
		}
		env, err = sl.SealLimits(ctx, req.GetOrder(), hash)
		l.settle(&v, n, err == nil)
	} else {
		env, err = sl.Seal(ctx, req.GetOrder())
	}
	if err != nil {
		return nil, toStatus("sign order", e.name, err)
	}
	return &signerpb.SignOrderResponse{Envelope: append([]byte(nil), env...), KeyId: e.info.ID}, nil
}
