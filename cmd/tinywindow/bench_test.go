package main

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestMeasureEachGoroutineOnce: measure calls fn from each goroutine at
// least once, even when the duration is over before any goroutine starts,
// so that a short run on a busy machine still has figures.
func TestMeasureEachGoroutineOnce(t *testing.T) {
	for _, n := range []int{1, 64} {
		var calls atomic.Int64
		res, err := measure(t.Context(), "op", n, time.Nanosecond, func(b []byte) ([]byte, error) {
			calls.Add(1)
			return b, nil
		})
		if err != nil || res.Ops < int64(n) || calls.Load() != res.Ops {
			t.Fatalf("%d goroutines: %d ops recorded of %d calls (%v); want at least %d", n, res.Ops, calls.Load(), err, n)
		}
	}
}
