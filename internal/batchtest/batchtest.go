// Package batchtest checks that a key signs orders in batches through the
// execution adapter, and measures it against signing order by order: the
// test (Run) and the paired benchmark (BenchPaired) every backend's tests
// run on their keys.
package batchtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// Run sends 32 orders at once through an adapter that signs them with key
// in batches of at most 8 (a window that never ends first: each batch
// closes when it is full or holds every order in progress), to an
// in-process venue that verifies with key, and fails t unless every order
// is accepted and key made one signature per batch, for at least 4
// batches.
func Run(t testing.TB, key provider.Key) {
	t.Helper()
	keys, err := provider.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingKey{Key: key}
	a, err := execadapter.New(execadapter.Config{Signer: counted, Venue: sim, BatchWindow: time.Hour, BatchMax: 8})
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	stamp := time.Now().UnixNano()
	for i := range n {
		b := newOrder(t, fmt.Sprintf("batch-%x-%d", stamp&0xffffff, i))
		wg.Go(func() {
			ack, err := a.SendOrder(context.Background(), b)
			if err == nil && ack.Status != venue.Accepted {
				err = fmt.Errorf("ack %v (%v)", ack.Status, ack.Reason)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("%s: %v", key.Info().Algorithm, err)
		}
	}
	if st, signed := a.BatchStats(), counted.signatures.Load(); st.Batches < n/8 || st.Leaves != n || uint64(signed) != st.Batches {
		t.Fatalf("%s: %d signatures for %d batches of %d orders; want one per batch, at least %d batches of %d orders", key.Info().Algorithm, signed, st.Batches, st.Leaves, n/8, n)
	}
}

// countingKey is key, counting its signatures.
type countingKey struct {
	provider.Key
	signatures atomic.Int64
}

func (k *countingKey) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	k.signatures.Add(1)
	return k.Key.Sign(ctx, msg)
}

// newOrder returns a canonical limit order with client order ID id, stamped
// now.
func newOrder(t testing.TB, id string) []byte {
	t.Helper()
	o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 100, Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	b, err := o.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
