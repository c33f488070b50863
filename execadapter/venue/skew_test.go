package venue

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/provider"
	"github.com/tinywindow/tinywindow/providers/hmac"
)

// TestMaxSkewBounds: NewSim refuses a MaxSkew that is negative or not less
// than half of the duplicate window (2h, -5s, exactly half), and takes one
// just under half, or none (the default).
func TestMaxSkewBounds(t *testing.T) {
	keys, _ := provider.NewKeyring(hmac.NewFromSeed(42))
	tests := []struct {
		name         string
		skew, window time.Duration
		ok           bool
		skewInEffect time.Duration
	}{
		{"default", 0, 0, true, DefaultMaxSkew},
		{"2h with the default window", 2 * time.Hour, 0, false, 0},
		{"-5s", -5 * time.Second, 0, false, 0},
		{"half the window", DefaultDedupWindow / 2, 0, false, 0},
		{"just under half the window", DefaultDedupWindow/2 - time.Nanosecond, 0, true, DefaultDedupWindow/2 - time.Nanosecond},
		{"2h with a window of 4h", 2 * time.Hour, 4 * time.Hour, false, 0},
		{"2h with a window of 5h", 2 * time.Hour, 5 * time.Hour, true, 2 * time.Hour},
		{"the default with a window of 10s", 0, 10 * time.Second, false, 0},
		{"overflowing twice", 1<<62 + 1, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, err := NewSim(SimOptions{Keys: keys, MaxSkew: tt.skew, DedupWindow: tt.window})
			if !tt.ok {
				if err == nil || !errors.Is(err, provider.ErrInvalidConfig) {
					t.Fatalf("NewSim: %v; want an invalid config", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sim.opts.MaxSkew != tt.skewInEffect {
				t.Fatalf("max skew %v, want %v", sim.opts.MaxSkew, tt.skewInEffect)
			}
		})
	}
}

// TestReplayNeverAcceptedTwice: with the largest MaxSkew allowed for a
// duplicate window, an order accepted at any point of its skew (as early,
// on time, as late as it may be) is answered, when sent again at any
// nanosecond until long after, either as a duplicate or as stale, never
// accepted again.
func TestReplayNeverAcceptedTwice(t *testing.T) {
	key := hmac.NewFromSeed(42)
	keys, _ := provider.NewKeyring(key)
	const window = 1000 * time.Nanosecond
	skew := (window - 1) / 2
	if err := CheckMaxSkew(skew+1, window); err == nil {
		t.Fatalf("max skew %v allowed; %v is meant to be the largest", skew+1, skew)
	}
	ts := time.Unix(1700000000, 0)
	for _, acceptAt := range []time.Duration{-skew, 0, skew} {
		t.Run(fmt.Sprint(acceptAt), func(t *testing.T) {
			var clock time.Time
			sim, err := NewSim(SimOptions{Keys: keys, MaxSkew: skew, DedupWindow: window, Now: func() time.Time { return clock }})
			if err != nil {
				t.Fatal(err)
			}
			env := signed(t, key, "replayed", ts)
			clock = ts.Add(acceptAt)
			if ack, _ := sim.Submit(context.Background(), env, nil); ack.Status != Accepted {
				t.Fatalf("first: %+v", ack)
			}
			for d := time.Duration(0); d <= 2*window; d++ {
				clock = ts.Add(acceptAt + d)
				ack, _ := sim.Submit(context.Background(), env, nil)
				if ack.Status == Accepted || (ack.Reason != ReasonDuplicate && ack.Reason != ReasonStale) {
					t.Fatalf("sent again %v after its acceptance: %+v", d, ack)
				}
			}
		})
	}
}
