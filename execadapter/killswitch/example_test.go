package killswitch_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tinywindow/tinywindow/execadapter/killswitch"
)

// A kill of one account stops its orders at once; lifting it takes two
// different identities.
func ExampleSwitch() {
	ctx := context.Background()
	s := killswitch.New(killswitch.Options{
		Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		Record: func(_ context.Context, e killswitch.Event) error {
			fmt.Println("recorded:", e) // an audit log, in a signer
			return nil
		},
	})
	scope, _ := killswitch.ParseScope("account=ACC-1")
	s.Kill(ctx, scope, "alice", "runaway algorithm")

	// Before signing an order:
	if _, k := s.Enter([]byte("ACC-1"), []byte("AAPL")); k != nil {
		fmt.Println("refused: kill", k.ID, "by", k.Identity)
	}

	s.Resume(ctx, scope, "bob", "algorithm fixed")
	if _, err := s.Resume(ctx, scope, "bob", "algorithm fixed"); err != nil {
		fmt.Println(err)
	}
	r, _ := s.Resume(ctx, scope, "carol", "checked the fix")
	fmt.Println("lifted:", r.Lifted, r.Approvers)

	p, k := s.Enter([]byte("ACC-1"), []byte("AAPL"))
	if k == nil {
		// ... sign the order ...
		p.Leave()
		fmt.Println("signed")
	}
	// Output:
	// recorded: kill: kill 1 (account=ACC-1), by "alice": "runaway algorithm"
	// refused: kill 1 by alice
	// recorded: resume-approval: kill 1 (account=ACC-1), by "bob": "algorithm fixed"
	// resume of kill 1 (account=ACC-1) by "alice" at 2026-01-01T00:00:00Z: "runaway algorithm" refused: "bob" approved it already: a resume needs a second, different identity
	// recorded: resume: kill 1 (account=ACC-1), by "carol": "checked the fix"
	// lifted: true [bob carol]
	// signed
}
