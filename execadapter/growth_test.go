package execadapter

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/internal/testenv"
)

// TestSendOrderDoesNotAllocate checks that an order through the adapter
// allocates nothing once warm.
func TestSendOrderDoesNotAllocate(t *testing.T) {
	testenv.SkipAllocations(t)
	f := newFixture(t, options{audit: audit.Options{Durability: audit.Batch}})
	orders := make([][]byte, 1<<12)
	for i := range orders {
		orders[i] = f.order(t, fmt.Sprintf("o-%d", i), nil)
	}
	ctx := context.Background()
	i := 0
	send := func() {
		if _, err := f.a.SendOrder(ctx, orders[i%len(orders)]); err != nil {
			t.Fatal(err)
		}
		i++
		if i%len(orders) == 0 { // a new round: move past the duplicate windows
			f.clock = f.clock.Add(11 * time.Minute)
			for j := range orders {
				orders[j] = f.order(t, fmt.Sprintf("o-%d", j), nil)
			}
		}
	}
	for range 2000 {
		send()
	}
	if n := testing.AllocsPerRun(1000, send); n > 0 {
		t.Fatalf("SendOrder allocates %v times per order", n)
	}
}

// TestMillionOrdersNoAllocationGrowth sends a million accepted orders
// through SendOrder (HMAC, in-process venue, batch audit) and checks that
// the order path does not allocate (not even once in 500 orders) and that
// the live heap does not grow from the first 100k orders to the millionth.
// It is left out of race builds, where it would take minutes.
func TestMillionOrdersNoAllocationGrowth(t *testing.T) {
	testenv.SkipAllocations(t)
	if testing.Short() {
		t.Skip("sends a million orders")
	}
	// Checkpoints every CheckpointEvery records, never on a timer: the
	// allocations of a checkpoint (its signature, the clock reading) are
	// then the same per order on a fast machine and on a loaded one.
	f := newFixture(t, options{audit: audit.Options{Durability: audit.Batch, CheckpointInterval: time.Hour}})
	ctx := context.Background()
	o := order.Order{Account: "ACC-1", Symbol: "AAPL", Side: order.Buy, Type: order.Limit,
		Quantity: 100, Price: order.Price{Mantissa: 19005, Exponent: -2}, TimeInForce: order.IOC}
	id := make([]byte, 0, 32)
	buf := make([]byte, 0, order.MaxSize)
	send := func(i int) {
		id = strconv.AppendInt(append(id[:0], "m-"...), int64(i), 10)
		o.ClientOrderID = string(id) // the order's own allocation, outside SendOrder
		o.Timestamp = f.clock.UnixNano()
		buf, _ = o.AppendCanonical(buf[:0])
		if _, err := f.a.SendOrder(ctx, buf); err != nil {
			t.Fatal(err)
		}
		if i%50000 == 0 { // keep the simulated clock moving
			f.clock = f.clock.Add(time.Second)
		}
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	const warm, total = 100_000, 1_000_000
	for i := range warm {
		send(i)
	}
	before := heap()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := warm; i < total; i++ {
		send(i)
	}
	runtime.ReadMemStats(&m1)
	after := heap()
	// One allocation per order is the test's own client order ID string.
	// What is left is the audit log's own work, counted with the orders
	// since MemStats counts every goroutine: its checkpoints (a signature
	// and a clock reading, about 25 allocations each, one per 65,536
	// records) and its group commits, about 0.0005 per order in all, more
	// when the machine is slow. An allocation on the order path, even once
	// in 500 orders, is over the bound.
	perOrder := float64(m1.Mallocs-m0.Mallocs)/float64(total-warm) - 1
	t.Logf("heap %d → %d bytes; %.4f mallocs per order inside SendOrder", before, after, perOrder)
	if perOrder > 0.002 {
		t.Fatalf("SendOrder allocates %.4f times per order", perOrder)
	}
	if after > before+4<<20 {
		t.Fatalf("live heap grew from %d to %d bytes over %d orders", before, after, total-warm)
	}
}
