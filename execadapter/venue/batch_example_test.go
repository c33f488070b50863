package venue_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func ExampleBatchSigner() {
	ctx := context.Background()
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})

	var orders [][]byte
	for _, id := range []string{"c-1", "c-2", "c-3"} {
		o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy,
			Type: order.Market, Quantity: 10, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
		b, _ := o.MarshalBinary()
		orders = append(orders, b)
	}
	bs, _ := venue.NewBatchSigner(key)
	sb, _ := bs.Sign(ctx, orders, time.Now().UnixNano()) // one signature for the three

	for _, env := range sb.Envelopes {
		var e venue.Envelope
		venue.ParseEnvelope(env, &e)
		ack, _ := sim.SubmitInBatch(ctx, sb.ID, sb.Body, env, nil)
		fmt.Println(e.Version, e.Index, len(e.Proof)/32, ack.Status)
	}
	// Output:
	// 2 0 2 accepted
	// 2 1 2 accepted
	// 2 2 1 accepted
}
