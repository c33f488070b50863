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

func Example() {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})

	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy,
		Type: order.Limit, Quantity: 10, Price: order.Price{Mantissa: 18925, Exponent: -2},
		TimeInForce: order.Day, Timestamp: time.Now().UnixNano()}
	b, _ := o.MarshalBinary()
	sealer, _ := venue.NewSealer(key)
	env, _ := sealer.Seal(context.Background(), b)

	ack, _ := sim.Submit(context.Background(), env, []byte(o.ClientOrderID))
	fmt.Println(ack.Status, ack.VenueOrderID)
	ack, _ = sim.Submit(context.Background(), env, []byte(o.ClientOrderID))
	fmt.Println(ack.Status, ack.Reason, ack.VenueOrderID)
	// Output:
	// accepted 1
	// rejected duplicate client order ID 1
}
