package service

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// ctxKey keys the caller's identity in a call's context.
type ctxKey struct{}

// caller is what intercept learns about the caller.
type caller struct {
	ids      []string
	identity string // the matching configured identity
	known    bool   // whether identity is a configured client
}

// intercept runs around every call: it bounds the deadline and counts the
// call by client, method and status code.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	maxDeadline := s.state.Load().cfg.Limits.MaxDeadline
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > maxDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxDeadline)
		defer cancel()
	}
	c := &caller{}
	ctx = context.WithValue(ctx, ctxKey{}, c)
	resp, err := handler(ctx, req)
	who := c.identity
	if !c.known {
		who = "unknown"
	}
	s.requests.Add(ctx, 1, s.requestAttrs(who, info.FullMethod, status.Code(err))...)
	return resp, err
}
