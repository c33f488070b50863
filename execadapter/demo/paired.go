package demo

import (
	"context"
	"errors"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/internal/latency"
)

// Paired sends n orders of the mix (seed) through a on one goroutine and,
// after each order the venue answered, runs baseline on the same order
// bytes, timing both: since the two alternate order by order, a machine
// busy with other work slows both alike, and the ratio of their percentiles
// is the adapter's own cost. Orders refused before the venue (risk
// rejections) are in neither sample. It returns at the first error of
// baseline.
func Paired(ctx context.Context, a *execadapter.Adapter, n int, seed uint64, baseline func(order []byte) error) (orders, base *latency.Sample, err error) {
	orders, base = latency.New(n), latency.New(n)
	mix := NewMix(seed, "p-")
	buf := make([]byte, 0, 256)
	for range n {
		buf = mix.Append(buf[:0], time.Now().UnixNano())
		t0 := time.Now()
		_, serr := a.SendOrder(ctx, buf)
		t1 := time.Now()
		if serr != nil && !venueRejected(serr) {
			continue
		}
		if err := baseline(buf); err != nil {
			return nil, nil, err
		}
		t2 := time.Now()
		orders.RecordValue(t1.Sub(t0).Nanoseconds())
		base.RecordValue(t2.Sub(t1).Nanoseconds())
	}
	return orders, base, nil
}

// venueRejected reports whether err is the venue's rejection of an order
// (declared apart so that the error it looks for does not escape, and cost
// an allocation, on every order).
func venueRejected(err error) bool {
	var e *execadapter.Error
	return errors.As(err, &e) && e.Kind == execadapter.ErrVenueRejected
}
