package service_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tinywindow/tinywindow/api/signerpb"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
)

// TestPurposeRPCsConcurrent: 32 goroutines (on however few CPUs) sign
// orders, acks and checkpoints at once; every envelope and signed ack is
// the one an in-process Sealer or AckSigner makes of that goroutine's own
// order, and the checkpoint key's state ends at the largest tree signed,
// from which it extends.
func TestPurposeRPCsConcurrent(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, purposeKeys(t, dir))
	c := signerpb.NewSignerClient(e.ca.Conn(t, e.addr, e.trader))
	ctx := context.Background()
	const goroutines, calls = 32, 20
	const origin = "example.com/concurrent"
	tree := newMemTree(goroutines * calls)
	for n := int64(1); n <= goroutines*calls; n++ {
		tree.checkpoint(origin, n) // grow it now: memTree is not safe for concurrent growth
	}
	if _, err := c.SignCheckpoint(ctx, &signerpb.SignCheckpointRequest{Key: "log", Checkpoint: tree.checkpoint(origin, 1), Bootstrap: true}); err != nil {
		t.Fatal(err)
	}
	ordersKey, acksKey := openLocal(t, "hmac:seed=2"), openLocal(t, "hmac:seed=3")
	var mu sync.Mutex // serialises the checkpoint requests' choice of sizes
	last := int64(1)
	var signed []int64 // the sizes signed
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			sl, _ := venue.NewSealer(ordersKey)
			as, _ := venue.NewAckSigner(acksKey)
			for i := range calls {
				o := order.Order{ClientOrderID: fmt.Sprintf("c-%d-%d", g, i), Account: "ACC-1", Symbol: "AAPL", Side: order.Buy,
					Type: order.Market, Quantity: int64(1 + i), TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
				ord, _ := o.MarshalBinary()
				want, _ := sl.Seal(ctx, ord)
				resp, err := c.SignOrder(ctx, &signerpb.SignOrderRequest{Key: "orders", Order: ord})
				if err != nil || !bytes.Equal(resp.GetEnvelope(), want) {
					errs <- fmt.Errorf("goroutine %d order %d: %v, envelope %x, want %x", g, i, err, resp.GetEnvelope(), want)
					return
				}
				a := venue.Ack{Status: 1, VenueOrderID: uint64(g*calls + i + 1), VenueTime: 5}
				wantAck, _ := as.Sign(ctx, a, []byte(o.ClientOrderID), want)
				ack, err := c.SignAck(ctx, &signerpb.SignAckRequest{Key: "acks", Status: 1, VenueOrderId: a.VenueOrderID, VenueTime: 5,
					ClientOrderId: []byte(o.ClientOrderID), Envelope: want})
				if err != nil || !bytes.Equal(ack.GetSignedAck(), wantAck) {
					errs <- fmt.Errorf("goroutine %d ack %d: %v", g, i, err)
					return
				}
				mu.Lock()
				from, to := last, last+1
				last = to
				mu.Unlock()
				// Requests may reach the service out of order: one from a
				// size other than the service's is refused, never signed.
				_, err = c.SignCheckpoint(ctx, &signerpb.SignCheckpointRequest{Key: "log", Checkpoint: tree.checkpoint(origin, to), FromSize: from, Proof: tree.proof(from, to)})
				switch status.Code(err) {
				case codes.OK:
					mu.Lock()
					signed = append(signed, to)
					mu.Unlock()
				case codes.FailedPrecondition:
				default:
					errs <- fmt.Errorf("goroutine %d checkpoint %d: %v", g, to, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Each request extends size k to k+1 from k, so the signed sizes are a
	// chain 2, 3, ..., m (the first request that came before its
	// predecessor breaks it for good), and the state holds m, after a
	// restart too.
	slices.Sort(signed)
	for i, n := range signed {
		if n != int64(i+2) {
			t.Fatalf("signed sizes %v are not a chain from 2", signed)
		}
	}
	m := int64(len(signed) + 1)
	t.Logf("%d of %d checkpoints signed before one came out of order", len(signed), goroutines*calls)
	e.srv.Shutdown(ctx)
	e2 := newCkEnv(t, filepath.Join(dir, "log.ckstate"))
	if tr, err := e2.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, goroutines*calls), FromSize: 1}); status.Code(err) != codes.FailedPrecondition || tr != fmt.Sprint(m) {
		t.Fatalf("state after a restart: trailer %q, %v; want size %d", tr, err, m)
	}
	if _, err := e2.sign(&signerpb.SignCheckpointRequest{Checkpoint: tree.checkpoint(origin, goroutines*calls), FromSize: m, Proof: tree.proof(m, goroutines*calls)}); err != nil && m < goroutines*calls {
		t.Fatalf("extend from %d: %v", m, err)
	}
}
