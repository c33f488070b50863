package service

import (
	"context"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// clientPolicy is what one client identity may do.
type clientPolicy struct {
	identity string
	allKeys  bool
	keys     map[string]bool
	ops      map[string]bool
	limiter  *limiter
}

func newPolicy(c Client, prev *clientPolicy) *clientPolicy {
	p := &clientPolicy{identity: c.Identity, keys: map[string]bool{}, ops: map[string]bool{}}
	for _, k := range c.Keys {
		if k == "*" {
			p.allKeys = true
		}
		p.keys[k] = true
	}
	for _, op := range c.Operations {
		p.ops[op] = true
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

// operations lists what p may do with a key it may use.
func (p *clientPolicy) operations() []string {
	var out []string
	for _, op := range []string{OpSign, OpVerify} {
		if p.ops[op] {
			out = append(out, op)
		}
	}
	return out
}

// peerIdentities returns the identities of the caller: the names on its
// verified certificate, or InsecureIdentity on a plaintext connection.
func peerIdentities(ctx context.Context) ([]string, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "no peer information")
	}
	if p.AuthInfo == nil || p.AuthInfo.AuthType() == "insecure" {
		// Only a server started with Options.InsecureLoopback has
		// plaintext connections.
		return []string{InsecureIdentity}, nil
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
		if slices.Contains(ids, p.identity) {
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
