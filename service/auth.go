package service

import (
	"context"
	"crypto/tls"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/mtls"
)

// clientPolicy is what one client identity may do.
type clientPolicy struct {
	identity string // as configured, for logs and metrics
	match    string // typed (see parseIdentity), compared with the caller's names
	allKeys  bool
	keys     map[string]bool
	ops      map[string]bool // as configured: OpSign, OpVerify, RPC names
	rpcs     map[string]bool // the RPCs ops allow (operationRPCs)
	limiter  *limiter
}

func newPolicy(c Client, prev *clientPolicy) *clientPolicy {
	// Config.validate has checked the identity.
	match, _ := parseIdentity(c.Identity)
	p := &clientPolicy{identity: c.Identity, match: match, keys: map[string]bool{}, ops: map[string]bool{}, rpcs: map[string]bool{}}
	for _, k := range c.Keys {
		if k == "*" {
			p.allKeys = true
		}
		p.keys[k] = true
	}
	for _, op := range c.Operations {
		p.ops[op] = true
		for _, rpc := range operationRPCs(op) {
			p.rpcs[rpc] = true
		}
	}
	if c.Rate > 0 {
		if prev != nil && prev.limiter != nil && prev.limiter.rate == c.Rate && prev.limiter.burst == float64(c.Burst) {
			p.limiter = prev.limiter // keep the bucket's state across a reload
		} else {
			p.limiter = newLimiter(c.Rate, c.Burst)
		}
	}
	return p
}

func (p *clientPolicy) mayUse(name string) bool { return p.allKeys || p.keys[name] }

// operations lists what p may do with a key it may use, as configured: the
// operations OpSign and OpVerify, then the RPCs it names.
func (p *clientPolicy) operations() []string {
	var out []string
	for _, op := range slices.Concat([]string{OpSign, OpVerify}, signingRPCs, []string{RPCVerify}, killRPCs) {
		if p.ops[op] {
			out = append(out, op)
		}
	}
	return out
}

// peerIdentities returns the typed identities of the caller: the names on
// its verified certificate, or the CN InsecureIdentity on a plaintext
// connection.
func peerIdentities(ctx context.Context) ([]string, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "no peer information")
	}
	if p.AuthInfo == nil || p.AuthInfo.AuthType() == "insecure" {
		// Only a server started with Options.InsecureLoopback has
		// plaintext connections.
		return []string{typedIdentity(identityCN, InsecureIdentity)}, nil
	}
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return nil, status.Errorf(codes.Unauthenticated, "connection security %q is not TLS", p.AuthInfo.AuthType())
	}
	// The handshake completes only when verifyClient has verified the
	// chain, so the leaf is a verified certificate.
	certs := ti.State.PeerCertificates
	if len(certs) == 0 {
		return nil, status.Error(codes.Unauthenticated, "no client certificate; connect with a certificate issued by a CA in tls.client-ca")
	}
	return identities(certs[0]), nil
}

// policyFor returns the policy of the first configured client that one of
// ids names.
func (st *state) policyFor(ids []string) *clientPolicy {
	for _, p := range st.clients {
		if slices.Contains(ids, p.match) {
			return p
		}
	}
	return nil
}

// limiter is a token bucket: rate tokens a second, holding at most burst.
type limiter struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	return &limiter{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

func (l *limiter) allow() bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// begin authorises a call of method (gRPC's full method name) on the key
// named name and returns the state (with a reference the caller must
// release), the client's policy and the key. With check set, the client must
// be allowed the method's RPC (clientPolicy.rpcs) and the key's purpose must
// sign through it (PurposeRPC); without, any client authorised for the key
// may call it (PublicKey, ListKeys). An unknown key is NOT_FOUND only for a
// client authorised for every key; for others it is PERMISSION_DENIED, so
// that a client learns nothing of keys it may not use.
func (s *Server) begin(ctx context.Context, method string, check bool, name string) (*state, *clientPolicy, *entry, error) {
	ids, err := peerIdentities(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	c, _ := ctx.Value(ctxKey{}).(*caller)
	if c == nil {
		c = &caller{}
	}
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
	if name == "" && !check {
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
	case check && !p.rpcs[rpcName(method)]:
		st.release()
		return nil, nil, nil, s.deny(ctx, ids, p.identity, method, name, "operation not authorised for this client")
	case check && !e.purpose.signs(rpcName(method)):
		st.release()
		return nil, nil, nil, s.deny(ctx, ids, p.identity, method, name, purposeErr(rpcName(method), e.name, e.purpose))
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

// handshake logs and counts an accepted TLS handshake: the key-exchange
// group and the signature schemes of the client's and the server's
// certificates, which a deployment moving to post-quantum TLS watches.
func (s *Server) handshake(ids []string, group tls.CurveID, clientScheme, serverScheme string) {
	g := group.String()
	s.log.Info("tls handshake", "identities", ids, "group", g, "post-quantum-group", mtls.PostQuantumGroup(group),
		"client-signature", clientScheme, "server-signature", serverScheme)
	s.handshakes.Add(context.Background(), 1, metric.WithAttributes(
		attribute.String("tls.group", g),
		attribute.String("tls.client.signature_scheme", clientScheme),
		attribute.String("tls.server.signature_scheme", serverScheme)))
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
