package venue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/internal/testenv"
	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestTCPSubmitDoesNotAllocate checks that an order through a TCP venue with
// plain acks allocates nothing, client and server together (the server's
// frame reader used to allocate its length bytes for every frame).
func TestTCPSubmitDoesNotAllocate(t *testing.T) {
	testenv.SkipAllocations(t)
	if testing.Short() {
		t.Skip("counts allocations of a whole round trip")
	}
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	srv := startServer(t, keys)
	c := dialServer(t, srv, TCPOptions{})
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

// TestSignedAckAllocations: with signed acks, a Submit allocates only the
// copy of the signed ack that the caller keeps (Ack.Signed), and parsing a
// well-formed signed ack allocates nothing.
func TestSignedAckAllocations(t *testing.T) {
	testenv.SkipAllocations(t)
	if testing.Short() {
		t.Skip("counts allocations of a whole round trip")
	}
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	srv := startServerOpts(t, keys, ServerOptions{Signer: hmac.NewFromSeed(9)})
	c := dialServer(t, srv, TCPOptions{})
	const runs = 2000
	envs, ids := make([][]byte, runs+1), make([][]byte, runs+1)
	for i := range envs {
		ids[i] = fmt.Appendf(nil, "signed-alloc-%d", i)
		envs[i] = signed(t, key, string(ids[i]), time.Now())
	}
	i := 0
	var last Ack
	allocs := testing.AllocsPerRun(runs, func() {
		ack, err := c.Submit(context.Background(), envs[i], ids[i])
		if err != nil || ack.Status != Accepted || ack.Signed == nil {
			t.Fatalf("%s: %+v %v", ids[i], ack, err)
		}
		last = ack
		i++
	})
	if allocs != 1 {
		t.Errorf("%v allocations per order with signed acks; want 1 (the caller's copy of the ack)", allocs)
	}
	if parse := testing.AllocsPerRun(100, func() {
		if _, err := ParseSignedAck(last.Signed); err != nil {
			t.Fatal(err)
		}
	}); parse != 0 {
		t.Errorf("ParseSignedAck: %v allocations; want 0", parse)
	}
}
