package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
)

// sendConcurrently sends the run's orders from opts.Senders goroutines at
// once, each with an order mix of its own (its own client order IDs), and
// counts them in res and hist as Run's one sender does. Progress is
// reported for the phases only.
func sendConcurrently(ctx context.Context, a *execadapter.Adapter, opts Options, res *Result, hist *latency.Sample) error {
	var mu sync.Mutex // guards res, hist, next and inARow
	next, inARow := 0, 0
	stamp := time.Now().UnixNano() & 0xffffff
	var wg sync.WaitGroup
	for s := range opts.Senders {
		wg.Go(func() {
			mix := NewMix(opts.Seed+uint64(s), fmt.Sprintf("%x-%d-", stamp, s))
			h := latency.New(opts.Orders/opts.Senders + 1)
			buf := make([]byte, 0, 256)
			defer func() {
				mu.Lock()
				hist.Add(h)
				mu.Unlock()
			}()
			for {
				mu.Lock()
				stop := next >= opts.Orders || res.Stopped != "" || ctx.Err() != nil
				next++
				mu.Unlock()
				if stop {
					return
				}
				buf = mix.Append(buf[:0], time.Now().UnixNano())
				octx, cancel := context.WithTimeout(ctx, opts.Timeout)
				t0 := time.Now()
				_, err := a.SendOrder(octx, buf)
				h.RecordValue(time.Since(t0).Nanoseconds())
				cancel()
				mu.Lock()
				res.Sent++
				if err == nil || ctx.Err() == nil {
					res.tally(err, &inARow)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// batchStats fills in the batch signing figures of res from a's counters
// and the bytes on the wire per order; mix gives a sample order for the
// size of a per-order envelope signed with key.
func (res *Result) batchStats(a *execadapter.Adapter, mix *Mix, key provider.Signer) {
	st := a.BatchStats()
	if st.Leaves == 0 {
		// Each order signed on its own: one frame of an envelope, whose size
		// only the order's own fields change.
		s, err := venue.NewSealer(key)
		if err != nil {
			return
		}
		env, err := s.Seal(context.Background(), mix.Append(nil, time.Now().UnixNano()))
		if err == nil {
			res.BytesPerOrder = float64(venue.FrameOverhead + len(env))
		}
		return
	}
	res.Batches = st.Batches
	res.BatchesPerSec = float64(st.Batches) / res.Elapsed.Seconds()
	res.LeavesPerBatch = float64(st.Leaves) / float64(st.Batches)
	res.AddedLatency = int64(st.Wait) / int64(st.Leaves)
	res.BytesPerOrder = st.BytesPerOrder()
}
