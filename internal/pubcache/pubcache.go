// Package pubcache keeps the public key of a key held by a remote service
// (a cloud KMS, Vault), so that signatures are verified in the process
// without a call per verification, and refreshes it when its time to live
// runs out or when the backend learns that the key it names has changed.
//
// A refresh that fails because the service is unavailable keeps the old key
// serving and is tried again after RetryStaleAfter: a key version's public
// key never changes, so an outage of the service must not stop local
// verification. Any other failure (the key was deleted, or is now of
// another kind) is returned.
package pubcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// RetryStaleAfter is how long a public key whose refresh failed because the
// service was unavailable goes on serving before the refresh is tried again.
const RetryStaleAfter = 30 * time.Second

// Cache holds one public key of type K. Its zero value is empty; Init fills
// it. It is safe for concurrent use.
type Cache[K any] struct {
	ttl     time.Duration
	cur     atomic.Pointer[entry[K]]
	stale   atomic.Bool
	refresh sync.Mutex // one refresh at a time
}

type entry[K any] struct {
	key     *K
	expires time.Time // zero: never
}

// Init stores the key fetched when the handle was opened, to be refreshed
// every ttl (never when ttl is 0).
func (c *Cache[K]) Init(key *K, ttl time.Duration) {
	c.ttl = ttl
	c.cur.Store(c.entry(key, ttl))
}

func (c *Cache[K]) entry(key *K, after time.Duration) *entry[K] {
	e := &entry[K]{key: key}
	if after > 0 {
		e.expires = time.Now().Add(after)
	}
	return e
}

// Current returns the cached key without refreshing it, or nil before Init.
func (c *Cache[K]) Current() *K {
	if e := c.cur.Load(); e != nil {
		return e.key
	}
	return nil
}

// MarkStale makes the next Get refresh the key, for a backend that learns
// that the name it holds now resolves to another key (an alias moved).
func (c *Cache[K]) MarkStale() { c.stale.Store(true) }

// Get returns the cached key, calling fetch first when it is due. When
// fetch fails with an error matching provider.ErrUnavailable and a key is
// cached (and ctx is still live), the cached key is returned and the refresh
// is tried again after RetryStaleAfter.
func (c *Cache[K]) Get(ctx context.Context, fetch func(context.Context) (*K, error)) (*K, error) {
	e := c.cur.Load()
	if !c.due(e) {
		return e.key, nil
	}
	c.refresh.Lock()
	defer c.refresh.Unlock()
	if e = c.cur.Load(); !c.due(e) {
		return e.key, nil
	}
	c.stale.Store(false)
	fresh, err := fetch(ctx)
	if err != nil {
		if errors.Is(err, provider.ErrUnavailable) && e != nil && ctx.Err() == nil {
			c.cur.Store(c.entry(e.key, RetryStaleAfter))
			return e.key, nil
		}
		return nil, err
	}
	c.cur.Store(c.entry(fresh, c.ttl))
	return fresh, nil
}

func (c *Cache[K]) due(e *entry[K]) bool {
	return e == nil || c.stale.Load() || !e.expires.IsZero() && time.Now().After(e.expires)
}
