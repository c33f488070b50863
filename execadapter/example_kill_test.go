package execadapter_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/execadapter/order"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// A kill stops an account's orders before they are signed; it is recorded
// in the audit log with a checkpoint at once, and lifting it takes two
// different identities.
func ExampleAdapter_Kill() {
	ctx := context.Background()
	key, _ := provider.Open(ctx, "hmac:seed=42")
	defer key.Close()
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ck, _ := provider.Open(ctx, "hmac:seed=4242")
	defer ck.Close()
	log, _, _ := audit.Open(filepath.Join(dir, "audit.log"), audit.Options{Signer: ck})
	a, _ := execadapter.New(execadapter.Config{Signer: key, Venue: sim, Audit: log})
	send := func(id string) error {
		o := order.Order{ClientOrderID: id, Account: "ACC-1", Symbol: "AAPL", Side: order.Buy,
			Type: order.Limit, Quantity: 100, Price: order.Price{Mantissa: 18925, Exponent: -2},
			TimeInForce: order.IOC, Timestamp: time.Now().UnixNano()}
		b, _ := o.MarshalBinary()
		_, err := a.SendOrder(ctx, b)
		return err
	}

	scope, _ := killswitch.ParseScope("account=ACC-1")
	k, _, err := a.Kill(ctx, scope, "risk-desk", "runaway algorithm")
	fmt.Println(k.ID, k.Scope, err)
	var e *execadapter.Error
	if errors.As(send("c-1"), &e) {
		fmt.Println(e.Rule, e.Delivery)
	}
	a.Resume(ctx, scope, "ops-1", "algorithm stopped")
	_, err = a.Resume(ctx, scope, "ops-1", "algorithm stopped")
	fmt.Println(errors.Is(err, killswitch.ErrSameIdentity))
	r, _ := a.Resume(ctx, scope, "ops-2", "checked")
	fmt.Println(r.Lifted, send("c-2"))

	log.Close()
	rep, _ := audit.VerifyFile(ctx, filepath.Join(dir, "audit.log"), mustKeyring(ck))
	for _, ev := range rep.Kills {
		fmt.Println(ev.Action, ev.Scope, ev.Identity)
	}
	// Output:
	// 1 account=ACC-1 <nil>
	// kill_switch not sent
	// true
	// true <nil>
	// kill account=ACC-1 risk-desk
	// resume-approval account=ACC-1 ops-1
	// resume account=ACC-1 ops-2
}

func mustKeyring(k provider.Key) *provider.Keyring {
	r, err := provider.NewKeyring(k)
	if err != nil {
		panic(err)
	}
	return r
}
