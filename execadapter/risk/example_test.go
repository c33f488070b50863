package risk_test

import (
	"fmt"

	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/risk"
)

func Example() {
	cfg, err := risk.ParseConfig([]byte("max_quantity: 1000\nsymbols: {deny: [GME]}\n"))
	if err != nil {
		panic(err)
	}
	checker, _ := risk.New(cfg)
	o := order.Order{ClientOrderID: "c-1", Account: "ACC-1", Symbol: "GME", Side: order.Buy,
		Type: order.Limit, Quantity: 10, Price: order.Price{Mantissa: 25}, TimeInForce: order.Day, Timestamp: 1}
	b, _ := o.MarshalBinary()
	fmt.Println(checker.PreTradeCheck(b))
	// Output:
	// pre-trade check symbol_deny rejected the order: symbol "GME" is on the deny list
}
