package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinywindow/tinywindow/execadapter"
	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/execadapter/killswitch"
	"github.com/tinywindow/tinywindow/execadapter/venue"
	"github.com/tinywindow/tinywindow/provider"
)

// TestAuditVerifyListsKills: `audit verify` prints every kill switch event
// of the log, with its time, identity, scope and reason.
func TestAuditVerifyListsKills(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.log")
	key, _ := provider.Open(ctx, "hmac:seed=42")
	defer key.Close()
	ck, _ := provider.Open(ctx, "hmac:seed=4242")
	defer ck.Close()
	keys, _ := provider.NewKeyring(key)
	sim, _ := venue.NewSim(venue.SimOptions{Keys: keys})
	log, _, err := audit.Open(path, audit.Options{Signer: ck})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)
	a, err := execadapter.New(execadapter.Config{Signer: key, Venue: sim, Audit: log, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := killswitch.ParseScope("symbol=GME")
	if _, _, err := a.Kill(ctx, sc, "CN=risk-desk", "erroneous prints"); err != nil {
		t.Fatal(err)
	}
	a.Resume(ctx, sc, "CN=ops-1", "prints corrected")
	if _, err := a.Resume(ctx, sc, "CN=ops-2", "checked"); err != nil {
		t.Fatal(err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "", "audit", "verify", path, "--signer", "hmac:seed=4242")
	if code != exitOK {
		t.Fatalf("audit verify: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`  2026-03-02T14:30:00Z kill: kill 1 (symbol=GME), by "CN=risk-desk": "erroneous prints"`,
		`  2026-03-02T14:30:00Z resume-approval: kill 1 (symbol=GME), by "CN=ops-1": "prints corrected"`,
		`  2026-03-02T14:30:00Z resume: kill 1 (symbol=GME), by "CN=ops-2": "checked"`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("audit verify does not print %q:\n%s", want, out)
		}
	}
}
