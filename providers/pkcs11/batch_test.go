//go:build cgo && !nopkcs11

package pkcs11

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
)

// TestBatchSigning: orders batch-signed with keys held in SoftHSM2 (one
// C_Sign per batch) are all accepted by a venue that verifies each batch
// once and each order's proof against it.
func TestBatchSigning(t *testing.T) {
	needKeys(t)
	for _, object := range []string{"p256", "ed25519", "hmac"} {
		t.Run(object, func(t *testing.T) {
			key := testenv.MustOpen(t, keyURI(object))
			keys, err := provider.NewKeyring(key)
			if err != nil {
				t.Fatal(err)
			}
			sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
			if err != nil {
				t.Fatal(err)
			}
			a, err := execadapter.New(execadapter.Config{Signer: key, Venue: sim, BatchWindow: time.Hour, BatchMax: 8})
			if err != nil {
				t.Fatal(err)
			}
			const n = 32
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				o := order.Order{ClientOrderID: fmt.Sprintf("b-%d", i), Account: "ACC-1", Symbol: "AAPL", Side: order.Buy,
					Type: order.Market, Quantity: 10, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
				b, err := o.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
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
					t.Fatal(err)
				}
			}
			if st := a.BatchStats(); st.Batches != n/8 || st.Leaves != n {
				t.Fatalf("%d batches of %d orders; want %d signatures for %d orders", st.Batches, st.Leaves, n/8, n)
			}
		})
	}
}
