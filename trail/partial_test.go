package trail

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/tinywindow/tinywindow/execadapter/audit"
	"github.com/tinywindow/tinywindow/provider"
)

// TestTrailServesPartialFromFull: a partial tile or entry bundle that the
// storage does not hold, because the full one replaced it, is served as
// the first W hashes or entries of the full one.
func TestTrailServesPartialFromFull(t *testing.T) {
	ctx := context.Background()
	const n = 260
	logs := make([]*memLog, n)
	keys := make([]LogKey, n)
	for i := range logs {
		k := newMemKey()
		origin := fmt.Sprintf("adapter.test/%d", i)
		s, err := audit.NoteSigner(ctx, origin, k)
		if err != nil {
			t.Fatal(err)
		}
		logs[i] = &memLog{origin: origin, signer: s}
		keys[i] = LogKey{Origin: origin, Keys: []provider.Verifier{k}}
	}
	tt := startTrail(t, t.TempDir(), ed25519Key(t), keys...)
	var wg sync.WaitGroup
	for _, l := range logs {
		wg.Go(func() {
			b, err := l.next(1, 0)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := tt.srv.AddCheckpoint(ctx, b); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	tt.published(n)
	// Tessera wrote partials only for the sizes it integrated at, and
	// removes those a full tile replaced: whether .p/5 is on disk or not,
	// it is served as the first 5.
	for _, p := range []string{"/tile/0/000", "/tile/entries/000"} {
		code, full := tt.get(p)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", p, code)
		}
		code, part := tt.get(p + ".p/5")
		if code != http.StatusOK {
			t.Fatalf("GET %s.p/5: %d", p, code)
		}
		want := full[:5*32]
		if p == "/tile/entries/000" {
			want, _ = bundlePrefix(full, 5)
		}
		if !bytes.Equal(part, want) {
			t.Errorf("GET %s.p/5 is not the first 5 of the full one: %d bytes, full %d, want %d", p, len(part), len(full), len(want))
		}
	}
}
