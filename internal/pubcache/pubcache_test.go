package pubcache_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/pubcache"
	"github.com/tinywindow/tinywindow/provider"
)

type key struct{ n int }

// fetcher counts its calls and answers with key n+1 or with err.
type fetcher struct {
	calls int
	err   error
}

func (f *fetcher) fetch(context.Context) (*key, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &key{n: f.calls}, nil
}

// TestCache: a key is served from the cache until its TTL runs out or it is
// marked stale; an unavailable service keeps the old key serving, any other
// error is returned; a TTL of 0 never refreshes.
func TestCache(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name      string
		ttl       time.Duration
		stale     bool
		fetchErr  error
		wantN     int // the key Get returns (0: an error)
		wantCalls int
	}{
		{"fresh", time.Hour, false, nil, 100, 0},
		{"never expires", 0, false, nil, 100, 0},
		{"expired", time.Nanosecond, false, nil, 1, 1},
		{"stale", time.Hour, true, nil, 1, 1},
		{"expired, service down", time.Nanosecond, false, fmt.Errorf("%w: down", provider.ErrUnavailable), 100, 1},
		{"expired, key deleted", time.Nanosecond, false, fmt.Errorf("%w: gone", provider.ErrKeyNotFound), 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c pubcache.Cache[key]
			c.Init(&key{n: 100}, tc.ttl)
			time.Sleep(time.Millisecond) // let a nanosecond TTL run out
			if tc.stale {
				c.MarkStale()
			}
			f := &fetcher{err: tc.fetchErr}
			got, err := c.Get(ctx, f.fetch)
			switch {
			case tc.wantN == 0 && !errors.Is(err, tc.fetchErr):
				t.Fatalf("Get = %v, %v; want %v", got, err, tc.fetchErr)
			case tc.wantN != 0 && (err != nil || got.n != tc.wantN):
				t.Fatalf("Get = %v, %v; want key %d", got, err, tc.wantN)
			case f.calls != tc.wantCalls:
				t.Fatalf("fetch called %d times, want %d", f.calls, tc.wantCalls)
			}
		})
	}
}

// TestCacheOutageRetry: after an unavailable service, the old key serves
// without another fetch until RetryStaleAfter; a stale mark clears once
// refreshed.
func TestCacheOutageRetry(t *testing.T) {
	var c pubcache.Cache[key]
	c.Init(&key{n: 100}, time.Hour)
	c.MarkStale()
	down := &fetcher{err: fmt.Errorf("%w: down", provider.ErrUnavailable)}
	for range 3 {
		if got, err := c.Get(t.Context(), down.fetch); err != nil || got.n != 100 {
			t.Fatalf("Get = %v, %v; want the old key", got, err)
		}
	}
	if down.calls != 1 {
		t.Fatalf("fetch called %d times during an outage, want 1 until RetryStaleAfter", down.calls)
	}
	c.MarkStale()
	up := &fetcher{}
	for range 3 {
		if got, err := c.Get(t.Context(), up.fetch); err != nil || got.n != 1 {
			t.Fatalf("Get = %v, %v; want the fresh key", got, err)
		}
	}
	if up.calls != 1 || c.Current().n != 1 {
		t.Fatalf("after a stale mark: %d fetches, current key %d; want 1 and 1", up.calls, c.Current().n)
	}
}
