// Package adaptertest builds the execution adapter that the backends'
// paired benchmarks send orders through.
package adaptertest

import (
	"testing"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/demo"
	"github.com/tinywindow/tinywindow/execadapter/risk"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// New returns an adapter that signs with signer under the demo's limits
// ([demo.DefaultLimits]) and sends to an in-process venue verifying with
// verifier, with no audit log. The venue's and the risk checker's duplicate
// windows are prefaulted, so that no order pays their first page faults.
func New(tb testing.TB, signer, verifier provider.Key) *execadapter.Adapter {
	tb.Helper()
	keys, err := provider.NewKeyring(verifier)
	if err != nil {
		tb.Fatal(err)
	}
	sim, err := venue.NewSim(venue.SimOptions{Keys: keys})
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := risk.ParseConfig([]byte(demo.DefaultLimits))
	if err != nil {
		tb.Fatal(err)
	}
	checker, err := risk.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	sim.Prefault()
	checker.Prefault()
	a, err := execadapter.New(execadapter.Config{Signer: signer, Venue: sim, Risk: checker})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}
