package servicetest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/provider"
)

// Load is a number of workers, each with its own key handle, each signing
// a message and verifying the signature in a loop, one call at a time, until
// End. It is the load under which tests stop, drain or reload services.
type Load struct {
	ok     atomic.Int64
	mu     sync.Mutex
	failed [][]error // by worker
	stop   chan struct{}
	wg     sync.WaitGroup
}

// StartLoad opens uri once per worker and starts the workers. The handles
// close when the test ends.
func StartLoad(t TB, uri string, workers int) *Load {
	t.Helper()
	ctx := context.Background()
	l := &Load{failed: make([][]error, workers), stop: make(chan struct{})}
	keys := make([]provider.Key, workers)
	for w := range keys {
		k, err := provider.Open(ctx, uri)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		keys[w] = k
	}
	for w, k := range keys {
		l.wg.Go(func() {
			msg := []byte("order")
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				sig, err := k.Sign(ctx, msg)
				if err == nil {
					err = k.Verify(ctx, msg, sig)
				}
				if err != nil {
					l.mu.Lock()
					l.failed[w] = append(l.failed[w], err)
					l.mu.Unlock()
					continue
				}
				l.ok.Add(1)
			}
		})
	}
	return l
}

// OK returns how many sign-and-verify rounds have succeeded.
func (l *Load) OK() int64 { return l.ok.Load() }

// WaitOK waits until n more rounds have succeeded, for at most 20 s.
func (l *Load) WaitOK(t TB, n int64) {
	t.Helper()
	target := l.ok.Load() + n
	for deadline := time.Now().Add(20 * time.Second); l.ok.Load() < target; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("servicetest: the load did not reach", target, "successful rounds within 20s; it has", l.ok.Load())
		}
	}
}

// End stops the workers, waits for them, and returns the errors each one
// met, by worker.
func (l *Load) End() [][]error {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}
