package service

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// begin authorises a call of method (gRPC's full method name) to op on the
// key named name and returns the state (with a reference the caller must
// release), the client's policy and the key. An unknown key is NOT_FOUND only for a client authorised for every
// key; for others it is PERMISSION_DENIED, so that a client learns nothing of
// keys it may not use.
func (s *Server) begin(ctx context.Context, method, op, name string) (*state, *clientPolicy, *entry, error) {
	ids, err := peerIdentities(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	c, _ := ctx.Value(ctxKey{}).(*caller)
	if c == nil {
		c = &caller{}
	}
	c.ids = ids
	if len(name) > MaxKeyNameBytes {
		return nil, nil, nil, status.Errorf(codes.InvalidArgument, "key name is %d bytes, over the limit of %d", len(name), MaxKeyNameBytes)
	}
	st := s.acquire()
	p := st.policyFor(ids)
	if p == nil {
		st.release()
		return nil, nil, nil, s.deny(ctx, ids, "", method, name, "certificate identity is not in clients")
	}
	c.identity, c.known = p.identity, true
	if p.limiter != nil && !p.limiter.allow() {
		st.release()
		return nil, nil, nil, status.Errorf(codes.ResourceExhausted, "client %s is over its rate of %g requests a second", p.identity, p.limiter.rate)
	}
	if name == "" && op == "" {
		return st, p, nil, nil
	}
	if name == "" {
		st.release()
		return nil, nil, nil, status.Error(codes.InvalidArgument, "no key named: set key to a key name or key ID")
	}
	e := st.keys[name]
	if e == nil {
		e = st.byID[name]
	}
	switch {
	case e == nil && p.allKeys:
		st.release()
		return nil, nil, nil, status.Errorf(codes.NotFound, "no key %q; ListKeys lists the keys", name)
	case e == nil || !p.mayUse(e.name):
		st.release()
		return nil, nil, nil, s.deny(ctx, ids, p.identity, method, name, "key not authorised for this client")
	case op != "" && !p.ops[op]:
		st.release()
		return nil, nil, nil, s.deny(ctx, ids, p.identity, method, name, "operation not authorised for this client")
	}
	return st, p, e, nil
}

// refuse logs and counts a refused TLS handshake. The names on a refused
// certificate are logged but not used as a metric attribute: anyone can put
// anything in a certificate of their own.
func (s *Server) refuse(ids []string, reason string) {
	s.log.Warn("client certificate refused", "identities", ids, "reason", reason)
	s.denied.Add(context.Background(), 1, metric.WithAttributes(attribute.String("client", "unknown"), attribute.String("rpc.method", "handshake")))
}

// deny logs and counts a refused call and returns its status. client is the
// configured identity of the caller, or empty when it is not a configured
// client (it is then counted as "unknown").
func (s *Server) deny(ctx context.Context, ids []string, client, method, key, reason string) error {
	who := client
	if who == "" {
		who = "unknown"
	}
	method = methodLabel(method)
	s.log.Warn("permission denied", "client", who, "identities", ids, "method", method, "key", key, "reason", reason)
	s.denied.Add(ctx, 1, metric.WithAttributes(attribute.String("client", who), attribute.String("rpc.method", method)))
	name := who
	if client == "" && len(ids) > 0 {
		name = ids[0]
	}
	return status.Errorf(codes.PermissionDenied, "client %s may not call %s on key %q: %s", name, method, key, reason)
}
