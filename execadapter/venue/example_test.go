package venue_test

import (
	"context"
	"fmt"
	"net"
	"os"
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

func ExampleNewServer() {
	ctx := context.Background()
	orderKey, venueKey := hmac.NewFromSeed(42), hmac.NewFromSeed(9)
	keys, _ := provider.NewKeyring(orderKey)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	dir, _ := os.MkdirTemp("", "venue-state")
	defer os.RemoveAll(dir)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv, err := venue.NewServer(ln, sim, venue.ServerOptions{StateDir: dir, Signer: venueKey})
	if err != nil {
		panic(err)
	}
	go srv.Serve()
	defer srv.Close()

	c, _ := venue.DialTCP(ctx, ln.Addr().String(), venue.TCPOptions{})
	defer c.Close()
	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "AAPL", Side: order.Buy,
		Type: order.Market, Quantity: 10, TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
	b, _ := o.MarshalBinary()
	sealer, _ := venue.NewSealer(orderKey)
	env, _ := sealer.Seal(ctx, b)
	ack, _ := c.Submit(ctx, env, []byte(o.ClientOrderID))
	fmt.Println(ack.Status, ack.VenueOrderID, venue.VerifyAck(ctx, venueKey, ack, []byte(o.ClientOrderID), env))
	// Output:
	// accepted 1 <nil>
}
