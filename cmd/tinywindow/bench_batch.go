package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// benchBatch is the batch signing figures of bench --batch-window in
// --json: the window, the most orders per batch and the goroutines
// sending; the batches signed, per second and their mean orders; the mean
// time an order waited for its batch's window and signature (as the
// demo's added_latency_ns); the batch row's p50 and p99 less the order
// row's (what batching adds to an order's latency at that percentile); and
// the bytes on the wire per order, batched and signed on its own.
type benchBatch struct {
	WindowNS       int64   `json:"window_ns"`
	Max            int     `json:"max"`
	Senders        int     `json:"senders"`
	Signers        int     `json:"signers"`
	Batches        uint64  `json:"batches"`
	BatchesPerSec  float64 `json:"batches_per_sec"`
	LeavesPerBatch float64 `json:"leaves_per_batch"`
	AddedLatency   int64   `json:"added_latency_ns"`
	AddedP50       int64   `json:"added_p50_ns"`
	AddedP99       int64   `json:"added_p99_ns"`
	BytesPerOrder  float64 `json:"bytes_per_order"`
	PerOrderBytes  float64 `json:"per_order_bytes_per_order"`
}

// batchFlags are bench's flags of batch signing.
type batchFlags struct {
	window                time.Duration
	max, signers, senders int
}

// addSigning registers the flags of batch signing that demo and bench
// share: --batch-window, --batch-max and --batch-signers.
func (f *batchFlags) addSigning(fs *flag.FlagSet, windowUsage string) {
	fs.DurationVar(&f.window, "batch-window", 0, windowUsage)
	fs.IntVar(&f.max, "batch-max", 0, "most orders in one batch, with --batch-window (default 256)")
	fs.IntVar(&f.signers, "batch-signers", 0, "most batches signed at once, with --batch-window (default 1; more suit a key that signs over the network, or orders that must not wait for another batch's signature)")
}

// add registers bench's flags of batch signing: addSigning's and --senders.
func (f *batchFlags) add(fs *flag.FlagSet) {
	f.addSigning(fs, "also send orders through the execution adapter to an in-process venue, signed one by one and in batches gathered within this window (0 to 1s)")
	fs.IntVar(&f.senders, "senders", 0, "goroutines sending batch-signed orders at once, with --batch-window (default --batch-max: a batch gathers the orders that arrive together)")
}

// checkSigning returns what is wrong with addSigning's flags, or "".
func (f *batchFlags) checkSigning() string {
	switch {
	case f.window < 0 || f.window > time.Second:
		return fmt.Sprintf("--batch-window %v: must be 0 to 1s", f.window)
	case f.max != 0 && (f.window == 0 || f.max < 1 || f.max > venue.MaxBatchLeaves):
		return fmt.Sprintf("--batch-max %d: give 1 to %d, with --batch-window", f.max, venue.MaxBatchLeaves)
	case f.signers != 0 && (f.window == 0 || f.signers < 1 || f.signers > maxBatchSigners):
		return fmt.Sprintf("--batch-signers %d: give 1 to %d, with --batch-window", f.signers, maxBatchSigners)
	}
	return ""
}

// maxBatchSigners bounds --batch-signers.
const maxBatchSigners = 64

// check returns what is wrong with bench's flags, or "", and fills in the
// defaults.
func (f *batchFlags) check() string {
	if msg := f.checkSigning(); msg != "" {
		return msg
	}
	if f.senders != 0 && (f.window == 0 || f.senders < 1 || f.senders > 4096) {
		return fmt.Sprintf("--senders %d: give 1 to 4096, with --batch-window", f.senders)
	}
	if f.window > 0 {
		f.max = cmp.Or(f.max, execadapter.DefaultBatchMax)
		f.senders = cmp.Or(f.senders, f.max)
	}
	return ""
}

// benchOrders measures orders sent through the execution adapter to an
// in-process venue that verifies them with key (no audit log), each for d:
// "order", each order signed on its own, from n goroutines; and "batch",
// batch-signed as f says, from f.senders goroutines. An order the venue
// does not accept ends the run with an error.
func benchOrders(ctx context.Context, key provider.Key, n int, d time.Duration, f batchFlags) ([]benchResult, *benchBatch, error) {
	keys, err := provider.NewKeyring(key)
	if err != nil {
		return nil, nil, err
	}
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		return nil, nil, err
	}
	perOrder, err := execadapter.New(execadapter.Config{Signer: key, Venue: sim})
	if err != nil {
		return nil, nil, err
	}
	batched, err := execadapter.New(execadapter.Config{Signer: key, Venue: sim, BatchWindow: f.window, BatchMax: f.max, BatchSigners: f.signers})
	if err != nil {
		return nil, nil, err
	}
	var next atomic.Uint64
	prefix := fmt.Sprintf("bench-%x-", time.Now().UnixNano()&0xffffff)
	send := func(a *execadapter.Adapter) func([]byte) ([]byte, error) {
		return func(buf []byte) ([]byte, error) {
			buf, err := benchOrder(buf[:0], fmt.Sprint(prefix, next.Add(1)))
			if err != nil {
				return buf, err
			}
			ack, err := a.SendOrder(ctx, buf)
			if err == nil && ack.Status != venue.Accepted {
				err = fmt.Errorf("the venue did not accept an order: %v (%v)", ack.Status, ack.Reason)
			}
			return buf, err
		}
	}
	one, err := measure(ctx, "order", n, d, send(perOrder))
	if err != nil {
		return nil, nil, fmt.Errorf("order: %w", err)
	}
	many, err := measure(ctx, "batch", f.senders, d, send(batched))
	if err != nil {
		return nil, nil, fmt.Errorf("batch: %w", err)
	}
	st := batched.BatchStats()
	rep := &benchBatch{WindowNS: int64(f.window), Max: f.max, Senders: f.senders, Signers: max(f.signers, 1), Batches: st.Batches,
		AddedP50: many.P50 - one.P50, AddedP99: many.P99 - one.P99, BytesPerOrder: st.BytesPerOrder()}
	if st.Batches > 0 {
		rep.BatchesPerSec = float64(st.Batches) * many.OpsPerSec / float64(many.Ops)
		rep.LeavesPerBatch = float64(st.Leaves) / float64(st.Batches)
		rep.AddedLatency = int64(st.Wait) / int64(st.Leaves)
	}
	s, err := venue.NewSealer(key)
	if err != nil {
		return nil, nil, err
	}
	o, err := benchOrder(nil, fmt.Sprint(prefix, "size"))
	if err != nil {
		return nil, nil, err
	}
	env, err := s.Seal(ctx, o)
	if err != nil {
		return nil, nil, fmt.Errorf("order: %w", err)
	}
	rep.PerOrderBytes = float64(venue.FrameOverhead + len(env))
	return []benchResult{one, many}, rep, nil
}

// benchOrder appends to dst a canonical limit order with client order ID
// id, stamped now.
func benchOrder(dst []byte, id string) ([]byte, error) {
	o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 100, Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	return o.AppendCanonical(dst)
}

// printBatch prints the batch line of bench's table.
func printBatch(w io.Writer, b *benchBatch) {
	fmt.Fprintf(w, "batches: window %v, at most %d orders, %d senders: %d batches (%.0f/s), %.1f orders per batch;\n",
		time.Duration(b.WindowNS), b.Max, b.Senders, b.Batches, b.BatchesPerSec, b.LeavesPerBatch)
	plus := func(ns int64) string {
		if ns >= 0 {
			return "+" + time.Duration(ns).String()
		}
		return time.Duration(ns).String()
	}
	fmt.Fprintf(w, "  added latency %v per order (window and batch signature); batch against order: %s at p50, %s at p99;\n",
		time.Duration(b.AddedLatency), plus(b.AddedP50), plus(b.AddedP99))
	fmt.Fprintf(w, "  %.0f bytes on the wire per order batched, %.0f signed on its own\n", b.BytesPerOrder, b.PerOrderBytes)
}
