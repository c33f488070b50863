package execadapter

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// sentOrder is what a recordingVenue saw of one order.
type sentOrder struct {
	batched bool
	batchID uint64
	version byte
}

// recordingVenue is a real simulated venue that also notes how each order
// reached it.
type recordingVenue struct {
	*venue.Sim
	mu   sync.Mutex
	sent []sentOrder
}

func (r *recordingVenue) note(batched bool, id uint64, env []byte) {
	r.mu.Lock()
	r.sent = append(r.sent, sentOrder{batched, id, env[0]})
	r.mu.Unlock()
}

func (r *recordingVenue) Submit(ctx context.Context, env, id []byte) (venue.Ack, error) {
	r.note(false, 0, env)
	return r.Sim.Submit(ctx, env, id)
}

func (r *recordingVenue) SubmitInBatch(ctx context.Context, batchID uint64, batch, env, id []byte) (venue.Ack, error) {
	r.note(true, batchID, env)
	return r.Sim.SubmitInBatch(ctx, batchID, batch, env, id)
}

func newRecordingVenue(t testing.TB, keys *provider.Keyring) *recordingVenue {
	t.Helper()
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return &recordingVenue{Sim: sim}
}

func canonicalOrder(t testing.TB, id string) []byte {
	t.Helper()
	o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 100, Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sendAll sends n orders at once, each from its own goroutine, and returns
// the first error.
func sendAll(a *Adapter, t testing.TB, prefix string, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		b := canonicalOrder(t, fmt.Sprintf("%s-%d", prefix, i))
		wg.Go(func() {
			ack, err := a.SendOrder(context.Background(), b)
			if err == nil && ack.Status != venue.Accepted {
				err = fmt.Errorf("ack %+v", ack)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// keepBatchesOpen counts one more order in progress in a, as if another
// caller's order were on its way: no batch then holds every order in
// progress, so each closes by its window or BatchMax only, and a test that
// sends orders from many goroutines gets the batches it counts on however
// the goroutines are scheduled.
func keepBatchesOpen(a *Adapter) { a.batches.active.Add(1) }

// TestBatchConfig: a batch window needs a venue that takes batch-signed
// orders, a non-negative window and a BatchMax of 0 to
// venue.MaxBatchLeaves; BatchMax alone is refused rather than ignored.
func TestBatchConfig(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	v := newRecordingVenue(t, keys)
	plain := struct{ venue.Venue }{v.Sim} // a venue that is not a venue.BatchVenue
	for _, tc := range []struct {
		name    string
		venue   venue.Venue
		window  time.Duration
		max     int
		signers int
		ok      bool
	}{
		{"per order", v, 0, 0, 0, true},
		{"batched, default max", v, time.Millisecond, 0, 0, true},
		{"batched, largest max", v, time.Millisecond, venue.MaxBatchLeaves, 0, true},
		{"batched, 4 signers", v, time.Millisecond, 0, 4, true},
		{"negative window", v, -time.Millisecond, 0, 0, false},
		{"max without a window", v, 0, 8, 0, false},
		{"signers without a window", v, 0, 0, 2, false},
		{"negative max", v, time.Millisecond, -1, 0, false},
		{"negative signers", v, time.Millisecond, 0, -1, false},
		{"max over the limit", v, time.Millisecond, venue.MaxBatchLeaves + 1, 0, false},
		{"a venue without batches", plain, time.Millisecond, 8, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Signer: key, Venue: tc.venue, BatchWindow: tc.window, BatchMax: tc.max, BatchSigners: tc.signers})
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, provider.ErrInvalidConfig)) {
				t.Fatalf("New = %v; want ok %v or ErrInvalidConfig", err, tc.ok)
			}
		})
	}
}

// TestBatchSendOrder: with a batch window, orders sent at once from more
// goroutines than CPUs are all accepted, each batch-signed (envelope
// version 2) in a batch of at most BatchMax; a batch closes when full even
// under a window that would never end, or when its window ends even if it
// is not full. With the window at zero every order is signed on its own
// (version 1, Submit) as before.
func TestBatchSendOrder(t *testing.T) {
	n := 16 * runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		name   string
		window time.Duration
		max    int
		orders int
	}{
		{"per order", 0, 0, n},
		{"closed by BatchMax", time.Hour, 8, 8 * (n / 8)},
		{"closed by the window", 200 * time.Microsecond, venue.MaxBatchLeaves, n},
		{"one order, alone: closed at once", time.Hour, 4, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := hmac.NewFromSeed(1)
			keys, _ := provider.NewKeyring(key)
			v := newRecordingVenue(t, keys)
			a, err := New(Config{Signer: key, Venue: v, BatchWindow: tc.window, BatchMax: tc.max})
			if err != nil {
				t.Fatal(err)
			}
			if tc.window > 0 && tc.orders > 1 {
				keepBatchesOpen(a)
			}
			if err := sendAll(a, t, "o", tc.orders); err != nil {
				t.Fatal(err)
			}
			perBatch := map[uint64]int{}
			for _, s := range v.sent {
				if s.batched != (tc.window > 0) || (s.version == venue.BatchEnvelopeVersion) != (tc.window > 0) {
					t.Fatalf("an order sent batched %v, envelope version %d, with window %v", s.batched, s.version, tc.window)
				}
				if s.batched {
					perBatch[s.batchID]++
				}
			}
			if len(v.sent) != tc.orders {
				t.Fatalf("%d orders sent; want %d", len(v.sent), tc.orders)
			}
			for id, k := range perBatch {
				if tc.max > 0 && k > tc.max {
					t.Fatalf("batch %d of %d orders; BatchMax is %d", id, k, tc.max)
				}
			}
			st := a.BatchStats()
			if st.Batches != uint64(len(perBatch)) || (tc.window > 0 && (st.Leaves != uint64(tc.orders) || st.Wait <= 0 || st.BatchBytes == 0 || st.EnvelopeBytes == 0)) {
				t.Fatalf("BatchStats %+v for %d batches of %d orders", st, len(perBatch), tc.orders)
			}
			if tc.window == time.Hour && len(perBatch) != (tc.orders+tc.max-1)/tc.max {
				t.Fatalf("%d batches of %d orders; want %d", len(perBatch), tc.orders, (tc.orders+tc.max-1)/tc.max)
			}
		})
	}
}

// gatedKey is a real key whose Sign waits until the gate opens, and which
// reports how many signatures are in progress at once.
type gatedKey struct {
	provider.Key
	gate    chan struct{}
	started chan struct{}
}

func (k *gatedKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	k.started <- struct{}{}
	<-k.gate
	return k.Key.Sign(ctx, msg)
}

// TestBatchSigningOverlapsGathering: while batch k's signature is still
// being made, batch k+1 gathers its orders and, with two signers, is
// signed without waiting for batch k: an order waits for its own batch's
// signature only.
func TestBatchSigningOverlapsGathering(t *testing.T) {
	base := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(base)
	key := &gatedKey{Key: base, gate: make(chan struct{}), started: make(chan struct{}, 4)}
	v := newRecordingVenue(t, keys)
	a, err := New(Config{Signer: key, Venue: v, BatchWindow: time.Hour, BatchMax: 2, BatchSigners: 2})
	if err != nil {
		t.Fatal(err)
	}
	keepBatchesOpen(a)
	done := make(chan error, 2)
	go func() { done <- sendAll(a, t, "k", 2) }()
	<-key.started // batch k is being signed, held at the gate
	go func() { done <- sendAll(a, t, "k1", 2) }()
	<-key.started // batch k+1 gathered and is being signed too
	close(key.gate)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if len(v.sent) != 4 {
		t.Fatalf("%d orders sent; want 4", len(v.sent))
	}
}

// TestBatchWaitsForASigner: with one signer (BatchSigners 1), a batch whose
// window ends while batch k is still being signed is not signed beside it:
// it goes on gathering the orders that come meanwhile, and is signed, with
// all of them, once batch k's signature is done, then a full batch that had
// to wait is signed after it. Three signatures for 2 + 5 + 4 orders.
func TestBatchWaitsForASigner(t *testing.T) {
	base := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(base)
	key := &gatedKey{Key: base, gate: make(chan struct{}), started: make(chan struct{}, 8)}
	v := newRecordingVenue(t, keys)
	a, err := New(Config{Signer: key, Venue: v, BatchWindow: time.Millisecond, BatchMax: 4, BatchSigners: 1})
	if err != nil {
		t.Fatal(err)
	}
	keepBatchesOpen(a)
	b := a.batches
	state := func() (orders int, due bool, queued int) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.cur != nil {
			orders, due = len(b.cur.orders), b.cur.due
		}
		return orders, due, len(b.queue)
	}
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting until %s", what)
			}
		}
	}
	done := make(chan error, 4)
	go func() { done <- sendAll(a, t, "k", 2) }()
	<-key.started // batch k (2 orders, closed by its window) is being signed, held
	go func() { done <- sendAll(a, t, "k1", 1) }()
	waitUntil("batch k+1's window has ended", func() bool { _, due, _ := state(); return due })
	go func() { done <- sendAll(a, t, "k1more", 3) }()
	waitUntil("batch k+1 is full and queued", func() bool { n, _, q := state(); return n == 0 && q == 1 })
	go func() { done <- sendAll(a, t, "k2", 3) }()
	waitUntil("batch k+2 gathers 3 orders", func() bool { n, _, _ := state(); return n == 3 })
	select {
	case <-key.started:
		t.Fatal("a second batch was signed while the one signer was busy")
	default:
	}
	close(key.gate)
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := a.BatchStats(); got.Batches != 3 || got.Leaves != 9 {
		t.Fatalf("BatchStats = %+v; want 3 batches of 9 orders in all", got)
	}
	if len(v.sent) != 9 {
		t.Fatalf("%d orders sent; want 9", len(v.sent))
	}
}

// TestBatchOrderContextEnds: an order whose context ends while its batch is
// being signed fails NotSent, and the other orders of its batch go on.
func TestBatchOrderContextEnds(t *testing.T) {
	base := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(base)
	key := &gatedKey{Key: base, gate: make(chan struct{}), started: make(chan struct{}, 4)}
	v := newRecordingVenue(t, keys)
	a, err := New(Config{Signer: key, Venue: v, BatchWindow: time.Hour, BatchMax: 2})
	if err != nil {
		t.Fatal(err)
	}
	keepBatchesOpen(a)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := a.SendOrder(ctx, canonicalOrder(t, "gone"))
		first <- err
	}()
	second := make(chan error, 1)
	go func() {
		_, err := a.SendOrder(context.Background(), canonicalOrder(t, "stays"))
		second <- err
	}()
	<-key.started
	cancel()
	err = <-first
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrSigning || e.Delivery != venue.NotSent || !errors.Is(err, context.Canceled) {
		t.Fatalf("the order whose context ended: %v; want ErrSigning, NotSent, context.Canceled", err)
	}
	close(key.gate)
	if err := <-second; err != nil {
		t.Fatal(err)
	}
}

// TestBatchAudit: with an audit log, each batch's signature is recorded
// once (audit.TypeBatch), before every order record of its batch, so that
// audit.ProveOrder proves each batch-signed order with its batch's record
// and the proof checks with the public keys alone.
func TestBatchAudit(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	ck := hmac.NewFromSeed(4242)
	ckKeys, _ := provider.NewKeyring(ck)
	path := filepath.Join(t.TempDir(), "audit.log")
	log, _, err := audit.Open(path, audit.Options{Signer: ck})
	if err != nil {
		t.Fatal(err)
	}
	v := newRecordingVenue(t, keys)
	a, err := New(Config{Signer: key, Venue: v, Audit: log, BatchWindow: time.Hour, BatchMax: 4})
	if err != nil {
		t.Fatal(err)
	}
	keepBatchesOpen(a)
	if err := sendAll(a, t, "o", 16); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyFile(context.Background(), path, ckKeys)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ByType[audit.TypeBatch] != 4 || rep.ByType[audit.TypeOrder] != 16 {
		t.Fatalf("%d batch records and %d order records; want 4 and 16", rep.ByType[audit.TypeBatch], rep.ByType[audit.TypeOrder])
	}
	origin := ""
	proved := 0
	for seq := uint64(1); seq <= rep.Records; seq++ {
		op, err := audit.ProveOrder(path, seq)
		if err != nil {
			if strings.Contains(err.Error(), "no checkpoint covers") {
				continue // the last checkpoint itself
			}
			t.Fatalf("record %d: %v", seq, err)
		}
		if op.Batch == nil {
			continue
		}
		if origin == "" {
			origin = audit.CheckpointOrigin(op.Record.Checkpoint)
		}
		vs, err := audit.CheckpointVerifiers(origin, []provider.Verifier{ck})
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := audit.ParseOrderProof(op.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := parsed.Check(context.Background(), vs, keys); err != nil {
			t.Fatalf("record %d: %v", seq, err)
		}
		proved++
	}
	if proved != 16 {
		t.Fatalf("%d batch-signed orders proved; want 16", proved)
	}
}
