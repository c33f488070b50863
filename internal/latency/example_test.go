package latency_test

import (
	"fmt"

	"github.com/tinywindow/tinywindow/internal/latency"
)

func ExampleSample() {
	s := latency.New(4)
	for _, ns := range []int64{900, 1200, 1000, 5000} {
		s.RecordValue(ns)
	}
	fmt.Println(s.ValueAtQuantile(50), s.ValueAtQuantile(99), s.Max())
	// Output: 1000 5000 5000
}
