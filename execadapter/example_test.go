package execadapter_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

func Example() {
	ctx := context.Background()
	key, _ := provider.Open(ctx, "hmac:seed=42")
	defer key.Close()
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	limits, _ := risk.ParseConfig([]byte("max_quantity: 1000\n"))
	checker, _ := risk.New(limits)
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	// The audit log's checkpoints are signed by a key of their own: never
	// the order key (execadapter.New refuses it).
	ck, _ := provider.Open(ctx, "hmac:seed=4242")
	defer ck.Close()
	log, _, _ := audit.Open(filepath.Join(dir, "audit.log"), audit.Options{Signer: ck})
	defer log.Close()
	a, _ := execadapter.New(execadapter.Config{Signer: key, Venue: sim, Risk: checker, Audit: log})

	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy,
		Type: order.Limit, Quantity: 100, Price: order.Price{Mantissa: 18925, Exponent: -2},
		TimeInForce: order.Day, Timestamp: time.Now().UnixNano()}
	b, _ := o.MarshalBinary()
	ack, err := a.SendOrder(ctx, b)
	fmt.Println(ack.Status, ack.VenueOrderID, err)

	o.ClientOrderID, o.Quantity = "c-2", 5000
	b, _ = o.MarshalBinary()
	_, err = a.SendOrder(ctx, b)
	var e *execadapter.Error
	if errors.As(err, &e) {
		fmt.Println(e.Rule, e.Delivery, execadapter.MayHaveReachedVenue(err))
	}
	// Output:
	// accepted 1 <nil>
	// max_quantity not sent false
}
