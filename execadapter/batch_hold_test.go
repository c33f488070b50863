package execadapter

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// countingTCP is a real TCP venue client that counts how the adapter
// submits to it.
type countingTCP struct {
	*venue.TCP
	held, inBatch, flushes atomic.Int32
}

func (c *countingTCP) SubmitHeld(ctx context.Context, batchID uint64, batch, env, id []byte, queued func()) (venue.Ack, error) {
	c.held.Add(1)
	return c.TCP.SubmitHeld(ctx, batchID, batch, env, id, queued)
}

func (c *countingTCP) SubmitInBatch(ctx context.Context, batchID uint64, batch, env, id []byte) (venue.Ack, error) {
	c.inBatch.Add(1)
	return c.TCP.SubmitInBatch(ctx, batchID, batch, env, id)
}

func (c *countingTCP) Flush() {
	c.flushes.Add(1)
	c.TCP.Flush()
}

// tcpSimVenue serves a simulated venue that trusts keys over TCP and
// returns a counting client for it.
func tcpSimVenue(t *testing.T, keys *provider.Keyring) *countingTCP {
	t.Helper()
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return &countingTCP{TCP: serveTCP(t, sim, venue.ServerOptions{})}
}

// TestBatchHeldUntilLast: with a venue that can hold orders back
// (venue.HoldingVenue), the orders of a batch are held, and once the last
// is in the venue's queue the venue writes them all (one Flush), or the
// last submitted, finding all the others queued, is sent unheld and
// writes them with its own: each is accepted.
func TestBatchHeldUntilLast(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	v := tcpSimVenue(t, keys)
	a, err := New(Config{Signer: key, Venue: v, BatchWindow: time.Hour, BatchMax: 4})
	if err != nil {
		t.Fatal(err)
	}
	keepBatchesOpen(a)
	if err := sendAll(a, t, "h", 4); err != nil {
		t.Fatal(err)
	}
	// The last order to be submitted is held too, and flushes, unless it
	// finds every other one in the queue already and writes them itself.
	if h, b, f := v.held.Load(), v.inBatch.Load(), v.flushes.Load(); h+b != 4 || b > 1 || f != 1-b {
		t.Fatalf("%d orders held, %d sent unheld, %d flushes; want 4 held and 1 flush, or 3 held and 1 sent unheld", h, b, f)
	}
	// A batch of one order is sent unheld, as if signed on its own.
	a.batches.leave() // no order is in progress elsewhere any more
	held, unheld := v.held.Load(), v.inBatch.Load()
	if err := sendAll(a, t, "alone", 1); err != nil {
		t.Fatal(err)
	}
	if h, b := v.held.Load(), v.inBatch.Load(); h != held || b != unheld+1 {
		t.Fatalf("a batch of one order: %d held, %d sent unheld; want 0 and 1", h-held, b-unheld)
	}
}

// TestBatchLastToGiveUpFlushes: when the last order of a batch to leave
// it gives up instead of being submitted (its context ended, or the audit
// log failed), it has the venue write the orders held for it, which are
// then accepted.
func TestBatchLastToGiveUpFlushes(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	v := tcpSimVenue(t, keys)
	a, err := New(Config{Signer: key, Venue: v, BatchWindow: time.Hour, BatchMax: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	orders := [][]byte{canonicalOrder(t, "stays"), canonicalOrder(t, "leaves")}
	p := &pendingBatch{orders: orders}
	p.unsent.Store(2)
	if p.sb, err = a.batches.signer.Sign(ctx, orders, time.Now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		ack Ack
		err error
	}
	held := make(chan answer, 1)
	go func() {
		ack, err := a.submit(ctx, p, p.sb.Envelopes[0], []byte("stays"))
		held <- answer{ack, err}
	}()
	for v.held.Load() != 1 {
		time.Sleep(100 * time.Microsecond)
	}
	a.batches.settle(p)
	select {
	case r := <-held:
		if r.err != nil || r.ack.Status != venue.Accepted {
			t.Fatalf("the order held: %+v %v; want accepted", r.ack, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the order held was never written")
	}
	if f := v.flushes.Load(); f != 1 {
		t.Fatalf("%d flushes; want 1", f)
	}
}

// TestBatchLoneSenderWaitsForNoWindow: orders sent one after another by one
// caller each make a batch that holds every order in progress, so each is
// signed at once, not when its window (an hour here) ends; an order in
// progress elsewhere keeps the next batch open for its window, until it is
// done.
func TestBatchLoneSenderWaitsForNoWindow(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	v := newRecordingVenue(t, keys)
	a, err := New(Config{Signer: key, Venue: v, BatchWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := a.SendOrder(ctx, canonicalOrder(t, fmt.Sprint("lone-", i)))
		cancel()
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	if st := a.BatchStats(); st.Batches != 5 || st.Leaves != 5 {
		t.Fatalf("BatchStats %+v; want 5 batches of one order", st)
	}
	keepBatchesOpen(a)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := a.SendOrder(ctx, canonicalOrder(t, "not alone")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an order not alone: %v; want it to wait for its window until its context ends", err)
	}
	// When the order in progress elsewhere is done, the batch gathering
	// holds every order in progress, and closes.
	done := make(chan error, 1)
	go func() {
		_, err := a.SendOrder(context.Background(), canonicalOrder(t, "left alone"))
		done <- err
	}()
	for a.batches.gathering.Load() != 1 {
		time.Sleep(100 * time.Microsecond)
	}
	a.batches.leave()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the order left alone: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the order left alone waited for its window")
	}
}

// TestBatchShortWindowTimedByItsFirstOrder: a window shorter than
// timerWindow, with no timer behind it, is timed by the batch's first
// order: the batch closes, and not before its window has ended.
func TestBatchShortWindowTimedByItsFirstOrder(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	v := newRecordingVenue(t, keys)
	const window = 300 * time.Microsecond
	a, err := New(Config{Signer: key, Venue: v, BatchWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	keepBatchesOpen(a)
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := a.SendOrder(ctx, canonicalOrder(t, fmt.Sprint("short-", i)))
		cancel()
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	if st := a.BatchStats(); st.Batches != 3 || st.Wait < 3*window {
		t.Fatalf("BatchStats %+v; want 3 batches, each closed once its %v window ended", st, window)
	}
}

// TestBatchOverTCPUnderLoad: many senders' batches over a real TCP venue,
// each batch's orders held until its last is queued, while busy
// goroutines oversubscribe the CPUs (so that the orders of a batch reach
// the venue client in every interleaving): every order is accepted, none
// left waiting in the queue for a write that never comes.
func TestBatchOverTCPUnderLoad(t *testing.T) {
	key := hmac.NewFromSeed(1)
	keys, _ := provider.NewKeyring(key)
	v := tcpSimVenue(t, keys)
	a, err := New(Config{Signer: key, Venue: v, BatchWindow: 50 * time.Microsecond, BatchMax: 16})
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var busy sync.WaitGroup
	for range 2 * runtime.NumCPU() {
		busy.Go(func() {
			for !stop.Load() {
			}
		})
	}
	defer busy.Wait()
	defer stop.Store(true)
	const senders, each = 64, 30
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				ack, err := a.SendOrder(ctx, canonicalOrder(t, fmt.Sprintf("load-%d-%d", s, i)))
				cancel()
				if err == nil && ack.Status != venue.Accepted {
					err = fmt.Errorf("ack %+v", ack)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := a.BatchStats(); st.Leaves != senders*each {
		t.Fatalf("BatchStats %+v; want %d orders", st, senders*each)
	}
}
