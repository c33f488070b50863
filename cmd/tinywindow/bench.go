package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tinywindow/tinywindow/provider"
)

func init() {
	register(command{name: "bench", summary: "measure sign and verify: ops/s and latency percentiles", run: runBench})
}

// benchResult is one operation's figures in bench --json.
type benchResult struct {
	Op        string  `json:"op"`
	Ops       int64   `json:"ops"`
	Errors    int64   `json:"errors"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50       int64   `json:"p50_ns"`
	P99       int64   `json:"p99_ns"`
	P999      int64   `json:"p999_ns"`
	Max       int64   `json:"max_ns"`
}

// benchReport is the object printed by bench --json.
type benchReport struct {
	Signer      string        `json:"signer"`
	KeyID       string        `json:"key_id"`
	Backend     string        `json:"backend"`
	Algorithm   string        `json:"algorithm"`
	Size        int           `json:"size"`
	Concurrency int           `json:"concurrency"`
	DurationNS  int64         `json:"duration_ns"`
	Results     []benchResult `json:"results"`
	Batch       *benchBatch   `json:"batch,omitempty"`
}

const (
	histMin = 1                       // 1 ns
	histMax = int64(60 * time.Second) // longer calls are clamped
	histSig = 3                       // significant figures
)

func runBench(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "bench", "--signer URI [--size 64] [--duration 5s] [--concurrency N] [--batch-window D [--batch-max N] [--senders N]] [--json]")
	var sf signerFlags
	sf.add(fs)
	size := fs.Int("size", 64, "message size in bytes")
	duration := fs.Duration("duration", 5*time.Second, "how long to run each operation")
	concurrency := fs.Int("concurrency", 1, "goroutines signing (and then verifying) at once")
	var bf batchFlags
	bf.add(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case *size < 0 || *size > maxInput:
		return e.errorf("bench: --size %d: must be from 0 to %d", *size, maxInput)
	case *duration <= 0 || *duration > time.Hour:
		return e.errorf("bench: --duration %v: must be positive and at most 1h", *duration)
	case *concurrency < 1 || *concurrency > 4096:
		return e.errorf("bench: --concurrency %d: must be from 1 to 4096", *concurrency)
	}
	if msg := bf.check(); msg != "" {
		return e.errorf("bench: %s", msg)
	}
	key, err := sf.open(ctx)
	if err != nil {
		return e.errorf("bench: %v", err)
	}
	defer key.Close()
	msg := make([]byte, *size)
	for i := range msg {
		msg[i] = byte(i)
	}
	sig, err := key.Sign(ctx, msg)
	if err != nil {
		return e.errorf("bench: sign: %v", err)
	}
	info := key.Info()
	rep := benchReport{
		Signer: sf.uri(), KeyID: info.ID, Backend: info.Backend, Algorithm: string(info.Algorithm),
		Size: *size, Concurrency: *concurrency, DurationNS: int64(*duration),
	}
	ops := []struct {
		name string
		fn   func(buf []byte) ([]byte, error)
	}{
		{"sign", func(buf []byte) ([]byte, error) { return provider.SignAppend(ctx, key, buf[:0], msg) }},
		{"verify", func(buf []byte) ([]byte, error) { return buf, key.Verify(ctx, msg, sig) }},
	}
	for _, op := range ops {
		res, firstErr := measure(ctx, op.name, *concurrency, *duration, op.fn)
		if firstErr != nil {
			return e.errorf("bench: %s: %v", op.name, firstErr)
		}
		rep.Results = append(rep.Results, res)
	}
	if bf.window > 0 {
		res, batch, err := benchOrders(ctx, key, *concurrency, *duration, bf)
		if err != nil {
			return e.errorf("bench: %v", err)
		}
		rep.Results, rep.Batch = append(rep.Results, res...), batch
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		if err := enc.Encode(rep); err != nil {
			return e.errorf("bench: %v", err)
		}
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%s key %s (%s), %d-byte messages, %d goroutine(s), %v per operation\n",
		rep.Backend, rep.KeyID, rep.Algorithm, rep.Size, rep.Concurrency, *duration)
	fmt.Fprintf(e.stdout, "%-7s %12s %10s %10s %10s %10s\n", "op", "ops/s", "p50", "p99", "p99.9", "max")
	for _, r := range rep.Results {
		fmt.Fprintf(e.stdout, "%-7s %12.0f %10v %10v %10v %10v\n", r.Op, r.OpsPerSec,
			time.Duration(r.P50), time.Duration(r.P99), time.Duration(r.P999), time.Duration(r.Max))
	}
	if rep.Batch != nil {
		printBatch(e.stdout, rep.Batch)
	}
	return exitOK
}

// measure runs fn from n goroutines for d, each at least once, and returns
// its throughput and latency percentiles, or the first error any call
// returned.
func measure(ctx context.Context, name string, n int, d time.Duration, fn func([]byte) ([]byte, error)) (benchResult, error) {
	hists := make([]*hdrhistogram.Histogram, n)
	errs := make([]error, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for g := range n {
		h := hdrhistogram.New(histMin, histMax, histSig)
		hists[g] = h
		wg.Go(func() {
			buf := make([]byte, 0, 8192)
			var err error
			// Each goroutine calls fn at least once, however late it starts.
			for t0 := time.Now(); ; {
				buf, err = fn(buf)
				t1 := time.Now()
				if err != nil {
					errs[g] = err
					cancel()
					return
				}
				h.RecordValue(min(t1.Sub(t0).Nanoseconds(), histMax))
				t0 = t1
				if !t0.Before(deadline) || ctx.Err() != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return benchResult{}, err
		}
	}
	total := hdrhistogram.New(histMin, histMax, histSig)
	for _, h := range hists {
		total.Merge(h)
	}
	count := total.TotalCount()
	return benchResult{
		Op:        name,
		Ops:       count,
		OpsPerSec: float64(count) / elapsed.Seconds(),
		P50:       total.ValueAtQuantile(50),
		P99:       total.ValueAtQuantile(99),
		P999:      total.ValueAtQuantile(99.9),
		Max:       total.Max(),
	}, nil
}
