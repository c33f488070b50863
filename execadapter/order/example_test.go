package order_test

import (
	"encoding/json"
	"fmt"

	"github.com/tinywindow/tinywindow/execadapter/order"
)

func Example() {
	var o order.Order
	err := json.Unmarshal([]byte(`{"version":1,"client_order_id":"c-1","account":"ACC-1",
		"symbol":"AAPL","side":"buy","type":"limit","quantity":100,"price":"189.25",
		"time_in_force":"day","timestamp":"2026-11-26T14:30:00Z"}`), &o)
	if err != nil {
		panic(err)
	}
	b, _ := o.MarshalBinary()
	fmt.Printf("%d bytes: %x\n", len(b), b[:12])
	_, err = order.Decode(append(b, 0))
	fmt.Println(err)
	// Output:
	// 44 bytes: 010101010000000000000064
	// invalid order: end (byte 44): 1 bytes after the order's last field
}
