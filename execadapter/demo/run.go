package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/latency"
	"github.com/tinywindow/tinywindow/provider"
)

// Options configure a demo run.
type Options struct {
	// Orders is the number of orders to send (default 100000).
	Orders int
	// Key signs the orders; the in-process venue and the audit check verify
	// with it. Required.
	Key provider.Key
	// Venue is "" for the in-process simulated venue, or tcp://HOST:PORT.
	Venue string
	// AuditPath is the audit log; "" writes a temporary file, removed after
	// the run.
	AuditPath string
	// NoAudit runs without an audit log: the baseline the log's cost is
	// measured against.
	NoAudit bool
	// CheckpointKey signs the audit log's checkpoints. It must not be Key
	// (provider.SameKey) unless AllowSharedCheckpointKey is set. Default:
	// the log's dedicated Ed25519 key (OpenCheckpointKey), made on the
	// first run and reused after.
	CheckpointKey provider.Key
	// AllowSharedCheckpointKey lets Key sign the checkpoints: with
	// CheckpointKey nil, Key signs them. It costs the log its proof (see
	// execadapter.Config.AllowSharedCheckpointKey).
	AllowSharedCheckpointKey bool
	// CheckpointsPath is the audit log's checkpoints file (default: the
	// log's path and ".checkpoints").
	CheckpointsPath string
	// Witnesses cosign the audit log's checkpoints.
	Witnesses []audit.Witness
	// Trails receive the audit log's checkpoints (execadapter.Config.Trails);
	// they need the audit log.
	Trails []audit.Trail
	// Durability of the audit log (default Batch).
	Durability audit.Durability
	// BatchInterval is the audit log's group-commit period in Batch
	// durability (default: the audit package's, 2ms).
	BatchInterval time.Duration
	// Limits is the risk configuration (default DefaultLimits).
	Limits *risk.Config
	// Seed fixes the order mix (default 1).
	Seed uint64
	// Timeout bounds each order's wait for the venue (default
	// DefaultTimeout). An order that times out fails with Delivery Unknown.
	Timeout time.Duration
	// VenueVerifier, if set, is the venue's key: every ack must be signed
	// with it (see execadapter.Config.VenueVerifier).
	VenueVerifier provider.Verifier
	// VenueKey, if set, is the key the in-process venue verifies orders
	// with, in place of Key: a key of its own with Key's key ID, as a real
	// venue holds (a second handle on the same HSM key, with sessions of its
	// own, or a software copy of an HMAC secret).
	VenueKey provider.Key
	// Progress, if set, is called on the run's goroutine every few hundred
	// orders and at the start of each later phase. It must return quickly:
	// its time counts in the run's elapsed time, though in no order's
	// latency.
	Progress func(Progress)
	// BatchWindow, BatchMax and BatchSigners sign orders in batches (see
	// execadapter.Config.BatchWindow); zero signs each on its own.
	BatchWindow  time.Duration
	BatchMax     int
	BatchSigners int
	// Senders is the number of goroutines sending orders at once (default
	// 1). Batch signing gathers the orders that arrive together: with one
	// sender, each batch holds one order.
	Senders int
	// Baseline adds, after each order, the raw calls the order needs from
	// its keys (a Sign with Key and a Verify with the venue's key, of the
	// same order bytes, outside the adapter), timed apart: Result.Baseline
	// holds their percentiles and the run's ratios to them.
	Baseline bool
}

// DefaultTimeout is the default deadline of each order: generous next to
// the microseconds a venue on the same machine takes.
const DefaultTimeout = time.Second

// StopAfter is the number of orders failing in a row that ends a run early:
// a venue that does not answer costs StopAfter timeouts, not one per order.
const StopAfter = 5

// Result is what a run measured. Latencies are of SendOrder, end to end.
type Result struct {
	Orders        int            `json:"orders"`
	Sent          int            `json:"sent"` // orders given to SendOrder: Orders, unless the run stopped early
	Accepted      int            `json:"accepted"`
	Rejected      int            `json:"rejected"`
	RiskRejected  map[string]int `json:"risk_rejected"`
	VenueRejected map[string]int `json:"venue_rejected"`
	Failed        int            `json:"failed"`
	FirstError    string         `json:"first_error,omitempty"`
	Stopped       string         `json:"stopped,omitempty"` // why the run ended before Orders, if it did
	OpsPerSec     float64        `json:"ops_per_sec"`
	P50           int64          `json:"p50_ns"`
	P90           int64          `json:"p90_ns"`
	P99           int64          `json:"p99_ns"`
	P999          int64          `json:"p999_ns"`
	Max           int64          `json:"max_ns"`
	Elapsed       time.Duration  `json:"elapsed_ns"`
	AuditVerified bool           `json:"audit_verified"`
	AuditRecords  uint64         `json:"audit_records"`
	AuditPath     string         `json:"audit_path,omitempty"`
	AuditError    string         `json:"audit_error,omitempty"`
	// AuditRecovery says what opening an existing audit log cut (a torn
	// tail: audit.Recovery), if it cut anything.
	AuditRecovery string `json:"audit_recovery,omitempty"`
	// The audit writer's counters (audit.Stats).
	AuditCheckpoints        uint64 `json:"audit_checkpoints"`
	AuditCheckpointFailures uint64 `json:"audit_checkpoint_failures"`
	AuditCosignatures       uint64 `json:"audit_cosignatures"`
	AuditWitnessFailures    uint64 `json:"audit_witness_failures"`
	// The trails' counters (audit.Stats): checkpoints accepted, failed
	// requests, trails that had not accepted the last checkpoint when the
	// log closed, and the trail entry index of the checkpoint accepted last
	// (-1: none).
	AuditTrails        int    `json:"audit_trails"`
	AuditTrailAccepted uint64 `json:"audit_trail_accepted"`
	AuditTrailFailures uint64 `json:"audit_trail_failures"`
	AuditTrailBehind   int    `json:"audit_trail_behind"`
	AuditTrailIndex    int64  `json:"audit_trail_index"`
	// AuditBackPressure counts the SendOrder calls whose audit record found
	// the log's pending bound reached (the flusher behind) and that hashed
	// and wrote the pending records themselves; AuditBackPressureBytes the
	// bytes they wrote (audit.Stats). No record is dropped.
	AuditBackPressure      uint64           `json:"audit_back_pressure"`
	AuditBackPressureBytes uint64           `json:"audit_back_pressure_bytes"`
	Signer                 provider.KeyInfo `json:"signer"`
	// CheckpointKey is the key that signed the audit log's checkpoints;
	// CheckpointKeyURI its URI when it is the log's dedicated key
	// (OpenCheckpointKey), kept beside a log the run keeps, and
	// CheckpointKeyCreated whether this run made it. CheckpointNoteKey is
	// the C2SP signed-note verifier key of an Ed25519 checkpoint key.
	CheckpointKey        *provider.KeyInfo `json:"checkpoint_key,omitempty"`
	CheckpointKeyURI     string            `json:"checkpoint_key_uri,omitempty"`
	CheckpointKeyCreated bool              `json:"checkpoint_key_created,omitempty"`
	CheckpointNoteKey    string            `json:"checkpoint_note_key,omitempty"`
	Venue                string            `json:"venue"`
	Durability           string            `json:"audit_durability"`
	MallocsPerOp         float64           `json:"mallocs_per_order"`
	// Baseline holds the raw sign-and-verify loop measured alongside the
	// orders (Options.Baseline). Throughput leaves its time out; CPU and
	// allocations per order include its work.
	Baseline *Baseline `json:"baseline,omitempty"`
	// Senders is Options.Senders, BatchSigners the batches signed at once
	// (Options.BatchSigners, at least 1). Batches, BatchesPerSec, LeavesPerBatch
	// and AddedLatency (the mean time an order waited for its batch's
	// window and signature) describe batch signing (Options.BatchWindow);
	// all zero without it.
	Senders        int     `json:"senders"`
	BatchWindow    int64   `json:"batch_window_ns,omitempty"`
	BatchSigners   int     `json:"batch_signers,omitempty"`
	Batches        uint64  `json:"batches,omitempty"`
	BatchesPerSec  float64 `json:"batches_per_sec,omitempty"`
	LeavesPerBatch float64 `json:"leaves_per_batch,omitempty"`
	AddedLatency   int64   `json:"added_latency_ns,omitempty"`
	// BytesPerOrder is the mean bytes on the wire per order: its frame,
	// and its share of its batch's frame when batch-signed.
	BytesPerOrder float64 `json:"bytes_per_order"`
	// CPUPerOrder is the process's CPU time (all threads, including the
	// audit flusher and the garbage collector) per order: on a machine
	// shared with other work it shows the cost apart from the waiting.
	CPUPerOrder int64 `json:"cpu_ns_per_order"`
}

// Baseline is the raw cost of each order's key operations, measured order by
// order in the same run as the orders, and the orders' latency ratios to it.
type Baseline struct {
	What      string  `json:"what"`
	P50       int64   `json:"p50_ns"`
	P90       int64   `json:"p90_ns"`
	P99       int64   `json:"p99_ns"`
	P999      int64   `json:"p999_ns"`
	Max       int64   `json:"max_ns"`
	P50Ratio  float64 `json:"p50_ratio"`
	P99Ratio  float64 `json:"p99_ratio"`
	P999Ratio float64 `json:"p999_ratio"`
}

// baselineWhat describes the baseline loop.
const baselineWhat = "Sign with the signer and Verify with the venue's key of each order's bytes, raw, between orders"

// Run sends the orders through a fresh [execadapter.Adapter], each with a
// deadline of opts.Timeout, and verifies the audit log afterwards. A run
// where [StopAfter] orders in a row fail, or most orders fail, stops early
// with a [Result] that says why (Stopped) and counts the failures.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Key == nil {
		return nil, fmt.Errorf("%w: demo needs a key", provider.ErrInvalidConfig)
	}
	if opts.Orders <= 0 {
		opts.Orders = 100000
	}
	if opts.Durability == 0 {
		opts.Durability = audit.Batch
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Senders <= 0 {
		opts.Senders = 1
	}
	if opts.Senders > 1 && opts.Baseline {
		return nil, fmt.Errorf("%w: the baseline is timed between the orders of one sender; Senders is %d", provider.ErrInvalidConfig, opts.Senders)
	}
	if opts.Limits == nil {
		cfg, err := risk.ParseConfig([]byte(DefaultLimits))
		if err != nil {
			return nil, err
		}
		opts.Limits = cfg
	}
	checker, err := risk.New(opts.Limits)
	if err != nil {
		return nil, err
	}
	venueKey := opts.Key
	if opts.VenueKey != nil && opts.Venue != "" {
		return nil, fmt.Errorf("%w: VenueKey is the in-process venue's key; a TCP venue verifies with its own", provider.ErrInvalidConfig)
	}
	if opts.VenueKey != nil {
		if got, want := opts.VenueKey.Info().ID, opts.Key.Info().ID; got != want {
			return nil, fmt.Errorf("%w: the venue's key %q is not the signer's key %q", provider.ErrInvalidConfig, got, want)
		}
		venueKey = opts.VenueKey
	}
	keys, err := provider.NewKeyring(venueKey)
	if err != nil {
		return nil, err
	}
	res := &Result{Orders: opts.Orders, RiskRejected: map[string]int{}, VenueRejected: map[string]int{},
		Signer: opts.Key.Info(), Venue: "in-process", Durability: opts.Durability.String(), Senders: opts.Senders, BatchWindow: int64(opts.BatchWindow)}
	if opts.BatchWindow > 0 {
		res.BatchSigners = max(opts.BatchSigners, 1)
	}

	// The duplicate windows' memory is mapped before the run, not by page
	// faults in the orders that first reach each page.
	checker.Prefault()
	var v venue.Venue
	if opts.Venue == "" {
		var sim *venue.Sim
		if sim, err = venue.NewSim(venue.SimOptions{Keys: keys}); err == nil {
			sim.Prefault()
			v = sim
		}
	} else {
		var addr string
		if addr, err = venue.ParseAddr(opts.Venue); err == nil {
			v, err = venue.DialTCP(ctx, addr, venue.TCPOptions{})
			res.Venue = opts.Venue
		}
	}
	if err != nil {
		return nil, err
	}
	defer v.Close()

	if opts.NoAudit && len(opts.Trails) > 0 {
		return nil, fmt.Errorf("%w: demo: trails receive the audit log's checkpoints; NoAudit leaves none", provider.ErrInvalidConfig)
	}
	var log *audit.Writer
	path := opts.AuditPath
	if opts.NoAudit {
		path = ""
	} else if path == "" {
		// A private directory: the audit log refuses one that others can
		// write, as the system's temporary directory is.
		dir, err := os.MkdirTemp("", "tinywindow-audit-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "audit.log")
	} else {
		res.AuditPath = path
	}
	cpKey := opts.CheckpointKey
	cfg := execadapter.Config{Signer: opts.Key, Venue: v, Risk: checker, VenueVerifier: opts.VenueVerifier,
		AllowSharedCheckpointKey: opts.AllowSharedCheckpointKey, BatchWindow: opts.BatchWindow, BatchMax: opts.BatchMax, BatchSigners: opts.BatchSigners}
	if !opts.NoAudit {
		switch {
		case cpKey == nil && opts.AllowSharedCheckpointKey:
			cpKey = opts.Key
		case cpKey == nil:
			var uri string
			if cpKey, uri, res.CheckpointKeyCreated, err = OpenCheckpointKey(ctx, path); err != nil {
				return nil, err
			}
			defer cpKey.Close()
			if res.AuditPath != "" {
				res.CheckpointKeyURI = uri
			}
		case !opts.AllowSharedCheckpointKey:
			// Refused before the log is opened, so that no checkpoint is
			// signed with the order key; execadapter.New would refuse too.
			if err := audit.CheckDedicatedKey(cpKey, opts.Key, "order"); err != nil {
				return nil, err
			}
		}
		info := cpKey.Info()
		res.CheckpointKey = &info
		var rec audit.Recovery
		log, rec, err = audit.Open(path, audit.Options{Signer: cpKey, Durability: opts.Durability, BatchInterval: opts.BatchInterval,
			CheckpointsPath: opts.CheckpointsPath, Witnesses: opts.Witnesses})
		if err != nil {
			return nil, err
		}
		defer log.Close()
		cfg.Audit = log
		cfg.Trails = opts.Trails
		res.CheckpointNoteKey, _ = audit.CheckpointVerifierKey(log.Origin(), cpKey)
		if rec.TruncatedBytes > 0 {
			res.AuditRecovery = rec.String()
		}
	}
	a, err := execadapter.New(cfg)
	if err != nil {
		return nil, err
	}

	hist := latency.New(opts.Orders)
	mix := NewMix(opts.Seed, fmt.Sprintf("%x-", time.Now().UnixNano()&0xffffff))
	buf := make([]byte, 0, 256)
	var base *latency.Sample
	var sig []byte
	var baseTime time.Duration
	if opts.Baseline {
		base = latency.New(opts.Orders)
		sig = make([]byte, 0, 8192)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU()
	start := time.Now()
	t0 := start
	octx := newOrderDeadline(ctx, opts.Timeout)
	defer octx.close()
	inARow := 0
	n := opts.Orders // sent by this goroutine
	if opts.Senders > 1 {
		n = 0
		if err := sendConcurrently(ctx, a, opts, res, hist); err != nil {
			return nil, err
		}
	}
	for range n {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		buf = mix.Append(buf[:0], t0.UnixNano())
		octx.arm()
		t0 = time.Now()
		_, err := a.SendOrder(octx, buf)
		t1 := time.Now()
		octx.disarm()
		res.Sent++
		hist.RecordValue(t1.Sub(t0).Nanoseconds())
		if opts.Progress != nil && res.Sent%progressEvery == 0 {
			opts.Progress(Progress{Phase: PhaseOrders, Done: res.Sent, Total: opts.Orders})
		}
		t0 = t1
		if base != nil {
			var berr error
			if sig, berr = provider.SignAppend(ctx, opts.Key, sig[:0], buf); berr == nil {
				berr = venueKey.Verify(ctx, buf, sig)
			}
			t0 = time.Now()
			if berr != nil {
				return nil, fmt.Errorf("baseline: %w", berr)
			}
			base.RecordValue(t0.Sub(t1).Nanoseconds())
			baseTime += t0.Sub(t1)
		}
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if res.tally(err, &inARow) {
			break
		}
	}
	res.Elapsed = time.Since(start) - baseTime
	res.CPUPerOrder = int64(processCPU()-cpu0) / int64(res.Sent)
	runtime.ReadMemStats(&ms1)
	res.MallocsPerOp = float64(ms1.Mallocs-ms0.Mallocs) / float64(res.Sent)
	res.OpsPerSec = float64(res.Sent) / res.Elapsed.Seconds()
	res.batchStats(a, mix, opts.Key)
	res.P50 = hist.ValueAtQuantile(50)
	res.P90 = hist.ValueAtQuantile(90)
	res.P99 = hist.ValueAtQuantile(99)
	res.P999 = hist.ValueAtQuantile(99.9)
	res.Max = hist.Max()
	if base != nil {
		res.Baseline = &Baseline{What: baselineWhat, P50: base.ValueAtQuantile(50), P90: base.ValueAtQuantile(90),
			P99: base.ValueAtQuantile(99), P999: base.ValueAtQuantile(99.9), Max: base.Max()}
		res.Baseline.P50Ratio = ratio(res.P50, res.Baseline.P50)
		res.Baseline.P99Ratio = ratio(res.P99, res.Baseline.P99)
		res.Baseline.P999Ratio = ratio(res.P999, res.Baseline.P999)
	}

	if opts.NoAudit {
		res.Durability = "none"
		return res, nil
	}
	report(opts, PhaseClosing, res.Sent)
	if err := log.Close(); err != nil {
		res.AuditError = err.Error()
		return res, nil
	}
	cpKeys, err := provider.NewKeyring(cpKey)
	if err != nil {
		return nil, err
	}
	st := log.Stats()
	res.AuditCheckpoints, res.AuditCheckpointFailures = st.Checkpoints, st.CheckpointFailures
	res.AuditCosignatures, res.AuditWitnessFailures = st.Cosignatures, st.WitnessFailures
	res.AuditTrails, res.AuditTrailAccepted, res.AuditTrailFailures = len(opts.Trails), st.TrailAccepted, st.TrailFailures
	res.AuditTrailBehind, res.AuditTrailIndex = st.TrailBehind, st.TrailIndex
	res.AuditBackPressure, res.AuditBackPressureBytes = st.BackPressure, st.BackPressureBytes
	report(opts, PhaseVerifying, res.Sent)
	rep, err := audit.VerifyFile(ctx, path, cpKeys)
	if err != nil {
		res.AuditError = err.Error()
		return res, nil
	}
	res.AuditVerified = true
	res.AuditRecords = rep.Records
	return res, nil
}

// tally counts the outcome err of one order sent, with inARow the
// failures in a row before it, and reports whether the run is to stop
// (Stopped says why).
func (res *Result) tally(err error, inARow *int) bool {
	if err == nil {
		res.Accepted++
		*inARow = 0
		return false
	}
	var e *execadapter.Error
	switch {
	case errors.As(err, &e) && e.Kind == execadapter.ErrRiskRejected:
		res.Rejected++
		res.RiskRejected[string(e.Rule)]++
		*inARow = 0
	case errors.As(err, &e) && e.Kind == execadapter.ErrVenueRejected:
		res.Rejected++
		res.VenueRejected[e.Reason.String()]++
		*inARow = 0
	default:
		res.Failed++
		*inARow++
		if res.Failed == 1 {
			res.FirstError = err.Error()
		}
	}
	if *inARow >= StopAfter {
		res.Stopped = fmt.Sprintf("%d orders in a row failed", *inARow)
	} else if res.Failed > 100 && res.Failed*2 > res.Sent {
		res.Stopped = fmt.Sprintf("%d of %d orders failed", res.Failed, res.Sent)
	}
	return res.Stopped != ""
}

// report calls opts.Progress, if set, for phase.
func report(opts Options, phase Phase, sent int) {
	if opts.Progress != nil {
		opts.Progress(Progress{Phase: phase, Done: sent, Total: opts.Orders})
	}
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}
