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
// field. It returns the order's timestamp.
func parseOrderRequest(req *signerpb.SignOrderRequest) (int64, error) {
	var v order.View
	if err := order.Parse(req.GetOrder(), &v); err != nil {
		return 0, status.Errorf(codes.InvalidArgument, "order: %v; send the canonical encoding of a valid order (docs/orders.md)", err)
	}
	return v.Timestamp, nil
}

// SignOrder implements signerpb.SignerServer: it signs a canonical order
// with a key of purpose orders and returns the signed-order envelope, built
// by execadapter/venue's Sealer as the adapter builds it in process. An
// order whose timestamp is further than the key's max-skew from the
// service's clock is refused as stale.
func (s *Server) SignOrder(ctx context.Context, req *signerpb.SignOrderRequest) (*signerpb.SignOrderResponse, error) {
	st, _, e, err := s.begin(ctx, signerpb.Signer_SignOrder_FullMethodName, true, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	ts, err := parseOrderRequest(req)
	if err != nil {
		return nil, err
	}
	if now := time.Now(); venue.Stale(ts, now, e.maxSkew) {
		return nil, status.Errorf(codes.InvalidArgument, "order timestamp %s is %v from the service's clock, over the key's max-skew of %v: a stale order; sign it with a fresh timestamp",
			time.Unix(0, ts).UTC().Format(time.RFC3339Nano), now.Sub(time.Unix(0, ts)).Round(time.Millisecond), e.maxSkew)
	}
	sl := e.sealers.Get().(*venue.Sealer)
	defer e.sealers.Put(sl)
	env, err := sl.Seal(ctx, req.GetOrder())
	if err != nil {
		return nil, toStatus("sign order", e.name, err)
	}
	return &signerpb.SignOrderResponse{Envelope: append([]byte(nil), env...), KeyId: e.info.ID}, nil
}
