package service

import (
	"context"
	"math"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
)

// parseAckRequest decodes the ack of a SignAck request: status and reason
// of one byte each, a client order ID of at most order.MaxClientOrderID
// bytes, and a well-formed signed-order envelope (venue.ParseEnvelope);
// else INVALID_ARGUMENT.
func parseAckRequest(req *signerpb.SignAckRequest) (venue.Ack, error) {
	switch {
	case req.GetStatus() > math.MaxUint8 || req.GetReason() > math.MaxUint8:
		return venue.Ack{}, status.Errorf(codes.InvalidArgument, "ack status %d and reason %d must each fit a byte", req.GetStatus(), req.GetReason())
	case len(req.GetClientOrderId()) > order.MaxClientOrderID:
		return venue.Ack{}, status.Errorf(codes.InvalidArgument, "client order ID of %d bytes is over %d", len(req.GetClientOrderId()), order.MaxClientOrderID)
	}
	var env venue.Envelope
	if err := venue.ParseEnvelope(req.GetEnvelope(), &env); err != nil {
		return venue.Ack{}, status.Errorf(codes.InvalidArgument, "envelope: %v; send the signed-order envelope the ack answers", err)
	}
	return venue.Ack{
		Status: venue.Status(req.GetStatus()), Reason: venue.Reason(req.GetReason()),
		VenueOrderID: req.GetVenueOrderId(), VenueTime: req.GetVenueTime(),
	}, nil
}

// SignAck implements signerpb.SignerServer: it signs a venue's ack with a
// key of purpose acks, as execadapter/venue's AckSigner does in a venue, and
// returns the body of the signed-ack frame.
func (s *Server) SignAck(ctx context.Context, req *signerpb.SignAckRequest) (*signerpb.SignAckResponse, error) {
	st, _, e, err := s.begin(ctx, signerpb.Signer_SignAck_FullMethodName, true, req.GetKey())
	if err != nil {
		return nil, err
	}
	defer st.release()
	a, err := parseAckRequest(req)
	if err != nil {
		return nil, err
	}
	as := e.ackSigners.Get().(*venue.AckSigner)
	defer e.ackSigners.Put(as)
	body, err := as.Sign(ctx, a, req.GetClientOrderId(), req.GetEnvelope())
	if err != nil {
		return nil, toStatus("sign ack", e.name, err)
	}
	return &signerpb.SignAckResponse{SignedAck: append([]byte(nil), body...), KeyId: e.info.ID}, nil
}
