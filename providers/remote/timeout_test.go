package remote

import (
	"context"
	"errors"
	"testing"
	"time"
)

type valueKey struct{}

// TestWithTimeout: a context without a deadline gets the URI's timeout on
// this side only: it ends with context.DeadlineExceeded, as gRPC needs to
// report DEADLINE_EXCEEDED, but neither it nor the contexts gRPC derives
// from it report a deadline, so none is sent. A caller's deadline is kept.
func TestWithTimeout(t *testing.T) {
	k := &Key{cfg: &config{timeout: 10 * time.Millisecond}}
	ctx, cancel := k.withTimeout(context.Background())
	defer cancel()
	child, cancelChild := context.WithCancel(context.WithValue(ctx, valueKey{}, "v"))
	defer cancelChild()
	for name, c := range map[string]context.Context{"timeout": ctx, "derived": child} {
		if d, ok := c.Deadline(); ok {
			t.Errorf("%s context reports the deadline %v", name, d)
		}
		<-c.Done()
		if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s context ended with %v, want context.DeadlineExceeded", name, err)
		}
	}

	caller, cancelCaller := context.WithTimeout(context.Background(), time.Hour)
	defer cancelCaller()
	want, _ := caller.Deadline()
	got, cancel2 := k.withTimeout(caller)
	defer cancel2()
	if d, ok := got.Deadline(); !ok || !d.Equal(want) || got != caller {
		t.Errorf("the caller's deadline %v became %v (%v)", want, d, ok)
	}
}
