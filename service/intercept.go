package service

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
)

// ctxKey keys the caller's identity in a call's context.
type ctxKey struct{}

// caller is what intercept learns about the caller.
type caller struct {
	identity string // the matching configured identity
	known    bool   // whether identity is a configured client
}

// callContext is a call's context carrying its caller under ctxKey: one
// allocation where context.WithValue and a *caller would be two.
type callContext struct {
	context.Context
	c caller
}

// Value returns the call's *caller for ctxKey, and asks the parent context
// otherwise.
func (x *callContext) Value(key any) any {
	if key == (ctxKey{}) {
		return &x.c
	}
	return x.Context.Value(key)
}

// methodLabel is how every metric and log line names a method: gRPC's full
// method name without its leading slash, as in
// "tinywindow.signer.v1.Signer/Sign" (the fully-qualified rpc.method of the
// OpenTelemetry RPC conventions).
func methodLabel(fullMethod string) string { return strings.TrimPrefix(fullMethod, "/") }

// isSigner reports whether fullMethod is a method of the Signer service,
// whose handlers authorise each call per client, key and RPC. The
// other services (health, reflection) reveal no key and serve every caller
// that the mutual TLS handshake authenticated.
func isSigner(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/"+signerpb.Signer_ServiceDesc.ServiceName+"/")
}

// intercept runs around every unary call: it bounds the deadline and counts
// the call by client, method and status code.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	maxDeadline := s.state.Load().cfg.Limits.MaxDeadline
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > maxDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxDeadline)
		defer cancel()
	}
	cc := &callContext{Context: ctx}
	if !isSigner(info.FullMethod) {
		s.identify(ctx, &cc.c)
	}
	resp, err := handler(cc, req)
	s.count(ctx, &cc.c, info.FullMethod, err)
	return resp, err
}

// interceptStream runs around every streaming call (server reflection, the
// health service's Watch) and counts it when it ends. It sets no deadline:
// a Watch lasts as long as the connection.
func (s *Server) interceptStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	c := &caller{}
	s.identify(ss.Context(), c)
	err := handler(srv, ss)
	s.count(ss.Context(), c, info.FullMethod, err)
	return err
}

// identify fills in c for a call that is not authorised per key: the
// caller's configured identity if it has one. It refuses nothing.
func (s *Server) identify(ctx context.Context, c *caller) {
	ids, err := peerIdentities(ctx)
	if err != nil {
		return
	}
	if p := s.state.Load().policyFor(ids); p != nil {
		c.identity, c.known = p.identity, true
	}
}

// count adds a call to tinywindow.service.requests.
func (s *Server) count(ctx context.Context, c *caller, fullMethod string, err error) {
	who := c.identity
	if !c.known {
		who = "unknown"
	}
	s.requests.Add(ctx, 1, s.requestAttrs(who, methodLabel(fullMethod), status.Code(err))...)
}
