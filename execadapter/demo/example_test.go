package demo_test

import (
	"context"
	"fmt"

	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

func ExampleRun() {
	res, err := demo.Run(context.Background(), demo.Options{Orders: 2000, Key: hmac.NewFromSeed(42)})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Orders, res.Accepted+res.Rejected, res.Failed, res.AuditVerified)
	// Output:
	// 2000 2000 0 true
}
