//go:build !race

// The race detector makes sync.Pool drop what it is given, so the pools
// allocate again; this file is left out of race builds.

package venue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestTCPSubmitDoesNotAllocate checks that an order through a TCP venue with
// plain acks allocates nothing, client and server together (the server's
// frame reader used to allocate its length bytes for every frame).
func TestTCPSubmitDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("counts allocations of a whole round trip")
	}
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	c, err := DialTCP(context.Background(), srv.Addr().String(), TCPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const runs = 2000
	envs, ids := make([][]byte, runs+1), make([][]byte, runs+1)
	for i := range envs {
		ids[i] = fmt.Appendf(nil, "alloc-%d", i)
		envs[i] = signed(t, key, string(ids[i]), time.Now())
	}
	i := 0
	allocs := testing.AllocsPerRun(runs, func() {
		if ack, err := c.Submit(context.Background(), envs[i], ids[i]); err != nil || ack.Status != Accepted {
			t.Fatalf("%s: %+v %v", ids[i], ack, err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per order", allocs)
	}
}
