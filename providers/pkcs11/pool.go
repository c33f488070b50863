//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/miekg/pkcs11"
	"github.com/tinywindow/tinywindow/provider"
)

// pool is a bounded pool of sessions on one token. A session is held by one
// goroutine at a time, from get to put or discard: PKCS#11 modules (SoftHSM
// among them) may corrupt memory when two threads use one session at once.
type pool struct {
	mod  *module
	slot uint
	key  string        // the key as the URI named it, for errors
	sem  chan struct{} // one token per session that may be open

	mu     sync.Mutex
	idle   []pkcs11.SessionHandle
	closed bool

	opened  atomic.Int64 // sessions opened, for tests and diagnostics
	evicted atomic.Int64 // sessions closed because they broke
}

func newPool(mod *module, slot uint, key string, max int) *pool {
	return &pool{mod: mod, slot: slot, key: key, sem: make(chan struct{}, max)}
}

// get borrows a session, opening one if none is idle. It waits while max
// sessions are borrowed, until one comes back or ctx is done.
func (p *pool) get(ctx context.Context) (pkcs11.SessionHandle, error) {
	return p.borrow(ctx, false)
}

// borrow is get; with fresh it always opens a new session, never an idle one,
// so that the retry after a broken session cannot draw another session that
// broke in the same way.
func (p *pool) borrow(ctx context.Context, fresh bool) (pkcs11.SessionHandle, error) {
	select {
	case p.sem <- struct{}{}:
	default:
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return 0, provider.OpErrorf(Scheme, "", p.key, provider.ErrUnavailable, "waiting for a free session: %w", ctx.Err())
		}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.sem
		return 0, &provider.OpError{Backend: Scheme, Key: p.key, Kind: provider.ErrClosed}
	}
	if n := len(p.idle); n > 0 && !fresh {
		sh := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return sh, nil
	}
	p.mu.Unlock()
	sh, err := p.mod.ctx.OpenSession(p.slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		<-p.sem
		return 0, opError("C_OpenSession", p.key, err)
	}
	p.opened.Add(1)
	return sh, nil
}

// put returns a good session to the pool.
func (p *pool) put(sh pkcs11.SessionHandle) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.mod.ctx.CloseSession(sh)
		<-p.sem
		return
	}
	p.idle = append(p.idle, sh)
	p.mu.Unlock()
	<-p.sem
}

// adopt takes a good session opened elsewhere into the pool, or closes it if
// the pool has as many sessions as it may.
func (p *pool) adopt(sh pkcs11.SessionHandle) {
	p.mu.Lock()
	if !p.closed && len(p.sem)+len(p.idle) < cap(p.sem) {
		p.idle = append(p.idle, sh)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.mod.ctx.CloseSession(sh)
}

// discard closes a broken session; it is never used again.
func (p *pool) discard(sh pkcs11.SessionHandle) {
	p.evicted.Add(1)
	p.mod.ctx.CloseSession(sh) // it is broken already: an error here says nothing new
	<-p.sem
}

// close closes the idle sessions, makes later gets fail with ErrClosed, and
// waits until every borrowed session has come back (and been closed).
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, sh := range idle {
		p.mod.ctx.CloseSession(sh)
	}
	for range cap(p.sem) {
		p.sem <- struct{}{}
	}
	// Every session is closed. Free the tokens again, so that a late get
	// acquires one, sees closed and fails at once instead of waiting.
	for range cap(p.sem) {
		<-p.sem
	}
}
